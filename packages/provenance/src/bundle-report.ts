/**
 * The verification report of an investigation bundle: what the server's verifier
 * (packages/server/src/provenance/bundle-verify.ts) returns and `/api/opsbook/bundles` answers
 * as JSON, and what the browser shows. Types and the format tag only, so that the browser can
 * import it (no Node or Arrow code; the chain import is a type).
 */
import type { ChainProblem } from './chain';

/** The format tag of bundles (`format` of bundle.json and of the report). */
export const BUNDLE_FORMAT = 'opsbook.bundle.v1';

/** Why a file is not a readable bundle container (fatal: nothing else can be checked). */
export type ContainerProblem =
  | 'not-a-bundle'
  | 'truncated'
  | 'bad-header'
  | 'bad-member-name'
  | 'bad-member-type'
  | 'duplicate-member'
  | 'member-too-large'
  | 'too-many-members';

/** What can be wrong with a bundle (bundle-verify.ts lists the order they are checked in). */
export type BundleProblemCode =
  | ContainerProblem
  | 'manifest-malformed'
  | 'bad-bundle-signature'
  | 'untrusted-key'
  | 'key-mismatch'
  | 'member-missing'
  | 'unexpected-member'
  | ChainProblem
  | 'redacted-entry'
  | 'snapshot-id-mismatch'
  | 'snapshot-unreadable'
  | 'member-hash-mismatch'
  | 'run-not-in-notebook'
  | 'input-missing'
  | 'notebook-malformed'
  | 'summary-mismatch';

/** One problem, naming exactly what is bad. */
export interface BundleProblem {
  code: BundleProblemCode;
  message: string;
  member?: string;
  chain?: 'run_log' | 'audit_log';
  seq?: number;
  snapshotId?: string;
  runId?: string;
  cellId?: string;
}

/** The outcome of verifying a bundle (`verifyBundle` on the server). */
export interface BundleReport {
  ok: boolean;
  format: typeof BUNDLE_FORMAT;
  /** SHA-256 of bundle.json, when it could be read. */
  bundleId: string | null;
  notebook: string | null;
  createdAt: string | null;
  createdBy: string | null;
  /** The signing key and whether it is the trusted one ('self-declared' when none was given). */
  key: {
    publicKey: string;
    keyId: string;
    trust: 'trusted' | 'untrusted' | 'self-declared';
  } | null;
  counts: {
    members: number;
    bytes: number;
    runs: number;
    auditEntries: number;
    replays: number;
    snapshots: number;
    redactedEntries: number;
  };
  problems: BundleProblem[];
  firstBad: BundleProblem | null;
}
