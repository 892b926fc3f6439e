/**
 * Verifying an investigation bundle (format: bundle-format.ts), offline, in this order; the
 * report lists every problem found and `firstBad` is the first in this order:
 *
 *   1. container   a ustar tar of allowed member names, sizes that fit (fatal: stops here)
 *   2. manifest    bundle.json well-formed; its signature verifies with the key it declares;
 *                  that key is the trusted one when the caller names one (else "self-declared")
 *   3. members     every listed member present, nothing unlisted
 *   4. chains      runs.json and audit.json: the signed range, then entry by entry (seq, payload
 *                  hash, link, signature) as chain.ts does; redacted entries (other notebooks)
 *                  are checked by link and signature only; the notebook's entries may not be
 *                  redacted
 *   5. snapshots   each content id re-derived from the Parquet rows (bundle-snapshots.ts)
 *   6. hashes      every member's size and SHA-256 against bundle.json
 *   7. cross       every run is the notebook's, every run input is in the bundle, and every run
 *                  summary in the notebook's cells matches its run in the log
 *
 * Memory: the JSON members are parsed in memory (each at most MAX_JSON_MEMBER_BYTES); snapshots
 * are streamed. Never throws on a bad bundle: the report says what is wrong.
 */
import * as fs from 'node:fs';

import type { BundleReport } from '@opsbook/provenance/lib/bundle-report';
import type { ChainEntry } from '@opsbook/provenance/lib/chain';
import { publicKeyFromBase64 } from '@opsbook/provenance/lib/keys';
import type { StampedRunRecord } from '@opsbook/provenance/lib/run-record';

import { Errors, OpsbookError } from '../errors';
import {
  AUDIT_MEMBER,
  BUNDLE_FORMAT,
  BundleContainerError,
  isHex64,
  keyIdOf,
  MANIFEST_MEMBER,
  manifestSignatureValid,
  NOTEBOOK_MEMBER,
  readBundleIndex,
  readMember,
  RUNS_MEMBER,
  sha256Member,
  snapshotMember,
  type BundleManifest,
  type MemberLocation,
  type RedactedEntry
} from './bundle-format';
import {
  chainProblem,
  isObject,
  manifestProblem,
  summaryProblems,
  type BundleProblem,
  type BundleRun,
  type Entry
} from './bundle-checks';

export type { BundleProblem, BundleProblemCode, BundleRun } from './bundle-checks';
export type { BundleReport } from '@opsbook/provenance/lib/bundle-report';

/** What an importer needs from a verified bundle. */
export interface BundleContents {
  manifest: BundleManifest;
  index: MemberLocation[];
  runs: BundleRun[];
  notebookBytes: Buffer;
}

/** Options of `verifyBundle`. */
export interface VerifyBundleOptions {
  /** Key id (SHA-256 hex of the raw public key) the bundle must be signed with. */
  trustedKeyId?: string;
  /** Skip step 5 (re-deriving snapshot ids), e.g. for a quick look; never for import. */
  skipSnapshotIds?: boolean;
}

/**
 * The trusted key id of `--trust` / `?trust=`: a key id (64 hex), a base64 raw public key, or a
 * file holding either or the JSON of `GET /api/opsbook/provenance/key`.
 */
export function resolveTrust(value: string, readFiles = true): string {
  let text = value.trim();
  if (readFiles && !isHex64(text) && fs.existsSync(text) && fs.statSync(text).isFile()) {
    const content = fs.readFileSync(text, 'utf8').trim();
    try {
      const doc = JSON.parse(content) as unknown;
      text = isObject(doc) && typeof doc.publicKey === 'string' ? doc.publicKey : content;
    } catch {
      text = content;
    }
  }
  if (isHex64(text)) {
    return text;
  }
  try {
    publicKeyFromBase64(text);
  } catch (error) {
    throw new OpsbookError(Errors.bundleBadTrust(value, (error as Error).message));
  }
  return keyIdOf(text);
}

/** Verifies a bundle file (see the module comment). */
export async function verifyBundle(
  file: string,
  options: VerifyBundleOptions = {}
): Promise<{ report: BundleReport; contents: BundleContents | null }> {
  const problems: BundleProblem[] = [];
  const report: BundleReport = {
    ok: false,
    format: BUNDLE_FORMAT,
    bundleId: null,
    notebook: null,
    createdAt: null,
    createdBy: null,
    key: null,
    counts: {
      members: 0,
      bytes: 0,
      runs: 0,
      auditEntries: 0,
      replays: 0,
      snapshots: 0,
      redactedEntries: 0
    },
    problems,
    firstBad: null
  };
  const done = (contents: BundleContents | null) => {
    report.firstBad = problems[0] ?? null;
    report.ok = problems.length === 0;
    return { report, contents: report.ok ? contents : null };
  };

  // 1. Container.
  let index: MemberLocation[];
  try {
    report.counts.bytes = fs.statSync(file).size;
    index = await readBundleIndex(file);
  } catch (error) {
    if (error instanceof BundleContainerError) {
      problems.push({
        code: error.problem,
        message: error.message,
        ...(error.member ? { member: error.member } : {})
      });
      return done(null);
    }
    throw error;
  }
  report.counts.members = index.length;
  const byName = new Map(index.map(m => [m.name, m]));

  // 2. Manifest.
  const manifestBytes = await readMember(file, byName.get(MANIFEST_MEMBER)!);
  report.bundleId = (await sha256Member(file, byName.get(MANIFEST_MEMBER)!)) ?? null;
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as BundleManifest;
  } catch (error) {
    problems.push({
      code: 'manifest-malformed',
      member: MANIFEST_MEMBER,
      message: `bundle.json is not JSON: ${(error as Error).message}`
    });
    return done(null);
  }
  const bad = manifestProblem(manifest);
  if (bad) {
    problems.push({
      code: 'manifest-malformed',
      member: MANIFEST_MEMBER,
      message: `bundle.json: ${bad}.`
    });
    return done(null);
  }
  report.notebook = manifest.notebook.path;
  report.createdAt = manifest.createdAt;
  report.createdBy = manifest.createdBy;
  report.counts.runs = manifest.runs.length;
  report.counts.auditEntries = manifest.audit.length;
  report.counts.snapshots = manifest.snapshots.length;
  const { publicKey, keyId } = manifest.instance;
  const trust =
    options.trustedKeyId === undefined
      ? 'self-declared'
      : options.trustedKeyId === keyId
        ? 'trusted'
        : 'untrusted';
  report.key = { publicKey, keyId, trust };
  if (!manifestSignatureValid(manifest)) {
    problems.push({
      code: 'bad-bundle-signature',
      member: MANIFEST_MEMBER,
      message: `bundle.json: its signature does not verify with the key it declares (${keyId.slice(0, 12)}…): the manifest was changed or re-keyed.`
    });
  }
  if (trust === 'untrusted') {
    problems.push({
      code: 'untrusted-key',
      member: MANIFEST_MEMBER,
      message: `bundle.json: signed by key ${keyId}, not the trusted key ${options.trustedKeyId}.`
    });
  }

  // 3. Members.
  const listed = new Set(manifest.members.map(m => m.name));
  for (const m of manifest.members) {
    if (!byName.has(m.name)) {
      problems.push({
        code: 'member-missing',
        member: m.name,
        message: `Member ${m.name} listed in bundle.json is missing from the bundle.`
      });
    }
  }
  for (const m of index) {
    if (m.name !== MANIFEST_MEMBER && !listed.has(m.name)) {
      problems.push({
        code: 'unexpected-member',
        member: m.name,
        message: `Member ${m.name} is in the bundle but not listed in bundle.json.`
      });
    }
  }

  // 4. Chains.
  const runSeqs = new Set(manifest.runs.map(r => r.seq));
  const auditSeqs = new Set(manifest.audit);
  const excerpts: Record<string, Entry[]> = {};
  for (const [member, chain, seqs] of [
    [RUNS_MEMBER, 'run_log', runSeqs],
    [AUDIT_MEMBER, 'audit_log', auditSeqs]
  ] as const) {
    const location = byName.get(member);
    if (!location) continue;
    let doc: unknown;
    try {
      doc = JSON.parse((await readMember(file, location)).toString('utf8'));
    } catch (error) {
      problems.push({
        code: 'malformed',
        member,
        chain,
        message: `${member} is not JSON: ${(error as Error).message}`
      });
      continue;
    }
    const problem = chainProblem(doc, chain, member, manifest, seqs);
    if (problem) {
      problems.push(problem);
    } else {
      excerpts[chain] = (doc as { entries: Entry[] }).entries;
      report.counts.redactedEntries += excerpts[chain].filter(
        e => (e as RedactedEntry).redacted
      ).length;
    }
  }

  // 5. Snapshots.
  if (!options.skipSnapshotIds) {
    const { deriveSnapshotId } = await import('./bundle-snapshots');
    for (const s of manifest.snapshots) {
      const location = byName.get(snapshotMember(s.id));
      if (!location) continue;
      try {
        const derived = await deriveSnapshotId(file, location, s.dataset, s.table, s.schemaVersion);
        if (derived.id !== s.id || derived.rows !== s.rowCount) {
          problems.push({
            code: 'snapshot-id-mismatch',
            member: location.name,
            snapshotId: s.id,
            message: `Snapshot ${s.id} (${s.dataset}/${s.table}): its rows hash to ${derived.id} (${derived.rows} rows, ${s.rowCount} declared); the data was changed.`
          });
        }
      } catch (error) {
        problems.push({
          code: 'snapshot-unreadable',
          member: location.name,
          snapshotId: s.id,
          message: `Snapshot ${s.id} (${s.dataset}/${s.table}) cannot be read: ${(error as Error).message}`
        });
      }
    }
  }

  // 6. Member hashes.
  for (const m of manifest.members) {
    const location = byName.get(m.name);
    if (!location) continue;
    const hash = location.size === m.size ? await sha256Member(file, location) : null;
    if (hash !== m.sha256) {
      problems.push({
        code: 'member-hash-mismatch',
        member: m.name,
        message: `Member ${m.name}: its ${hash === null ? `size (${location.size} bytes, ${m.size} listed)` : 'SHA-256'} does not match bundle.json.`
      });
    }
  }

  // 7. Cross-checks.
  const runs: BundleRun[] = [];
  const runEntries = excerpts['run_log'];
  if (runEntries) {
    const bySeq = new Map(runEntries.map(e => [e.seq, e]));
    const snapshotIds = new Set(manifest.snapshots.map(s => s.id));
    for (const { seq, runId } of manifest.runs) {
      const entry = bySeq.get(seq) as ChainEntry;
      const record = JSON.parse(entry.payload) as StampedRunRecord;
      if (record.runId !== runId || record.notebook?.path !== manifest.notebook.path) {
        problems.push({
          code: 'run-not-in-notebook',
          member: RUNS_MEMBER,
          chain: 'run_log',
          seq,
          runId,
          message: `${RUNS_MEMBER} (run_log seq ${seq}): bundle.json lists run ${runId} of ${manifest.notebook.path}, the entry is run ${record.runId} of ${record.notebook?.path}.`
        });
        continue;
      }
      runs.push({ seq, hash: entry.hash, signature: entry.signature, record });
      for (const input of record.inputs ?? []) {
        if (typeof input.snapshotId === 'string' && !snapshotIds.has(input.snapshotId)) {
          problems.push({
            code: 'input-missing',
            runId,
            snapshotId: input.snapshotId,
            message: `Run ${runId} read snapshot ${input.snapshotId} (table ${input.table}), which the bundle does not carry.`
          });
        }
      }
    }
  }
  const auditEntries = excerpts['audit_log'];
  if (auditEntries) {
    report.counts.replays = auditEntries.filter(
      e =>
        auditSeqs.has(e.seq) &&
        !('redacted' in e) &&
        (JSON.parse(e.payload) as { action?: string }).action === 'replay'
    ).length;
  }
  let notebookBytes: Buffer = Buffer.alloc(0);
  const notebookLocation = byName.get(NOTEBOOK_MEMBER);
  if (notebookLocation) {
    notebookBytes = await readMember(file, notebookLocation);
    summaryProblems(notebookBytes, runs, runEntries !== undefined, problems);
  }
  return done({ manifest, index, runs, notebookBytes });
}

/** One line for people: OK with the counts, or the first problem. */
export function reportLine(file: string, report: BundleReport): string {
  if (report.ok) {
    const c = report.counts;
    const trust =
      report.key?.trust === 'trusted'
        ? `signed by the trusted key ${report.key.keyId.slice(0, 12)}…`
        : `signed by a SELF-DECLARED key ${report.key?.keyId.slice(0, 12)}… (pass --trust to check who signed it)`;
    return (
      `bundle OK (${file}): ${report.notebook}, ${c.runs} run(s), ${c.auditEntries} audit entr${c.auditEntries === 1 ? 'y' : 'ies'} ` +
      `(${c.replays} replay(s)), ${c.snapshots} snapshot(s), ${c.members} members, ${c.bytes} bytes; ${trust}`
    );
  }
  return (
    `bundle FAILED (${file}): ${report.firstBad!.message}` +
    (report.problems.length > 1 ? ` (+${report.problems.length - 1} more problem(s))` : '')
  );
}
