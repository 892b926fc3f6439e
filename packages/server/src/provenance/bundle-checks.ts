/**
 * The checks of bundle-verify.ts that read one document each: the manifest's shape, a chain
 * excerpt walked entry by entry (redacted entries checked by link and signature only), and the
 * notebook's run summaries against the bundle's runs. Each names exactly what is bad.
 */
import type { BundleProblem, BundleProblemCode } from '@opsbook/provenance/lib/bundle-report';
import { entryHash, type ChainEntry } from '@opsbook/provenance/lib/chain';
import { CHAIN_EXPORT_FORMAT, rangeDigest } from '@opsbook/provenance/lib/hash-chain';
import { publicKeyFromBase64, verifyBytes } from '@opsbook/provenance/lib/keys';
import type { StampedRunRecord } from '@opsbook/provenance/lib/run-record';

import {
  AUDIT_MEMBER,
  BUNDLE_FORMAT,
  isHex64,
  isMemberName,
  keyIdOf,
  MANIFEST_MEMBER,
  NOTEBOOK_MEMBER,
  RUNS_MEMBER,
  snapshotMember,
  type BundleManifest,
  type RedactedEntry
} from './bundle-format';

export type { BundleProblem, BundleProblemCode } from '@opsbook/provenance/lib/bundle-report';

/** A run of the bundle, as the run log held it. */
export interface BundleRun {
  seq: number;
  hash: string;
  signature: string;
  record: StampedRunRecord;
}

/** An entry of an excerpt: whole, or redacted. */
export type Entry = ChainEntry | RedactedEntry;

/** Whether `v` is a plain JSON object. */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the shape of bundle.json; a message naming the bad field, or null. */
export function manifestProblem(m: unknown): string | null {
  if (!isObject(m)) return 'bundle.json is not a JSON object';
  if (m.format !== BUNDLE_FORMAT)
    return `"format" is ${JSON.stringify(m.format)}, not "${BUNDLE_FORMAT}"`;
  if (typeof m.createdAt !== 'string' || typeof m.createdBy !== 'string')
    return '"createdAt" or "createdBy" is missing';
  const instance = m.instance;
  if (
    !isObject(instance) ||
    typeof instance.publicKey !== 'string' ||
    typeof instance.keyId !== 'string'
  ) {
    return '"instance" must hold "publicKey" and "keyId"';
  }
  try {
    publicKeyFromBase64(instance.publicKey);
  } catch (error) {
    return `"instance.publicKey": ${(error as Error).message}`;
  }
  if (keyIdOf(instance.publicKey) !== instance.keyId)
    return '"instance.keyId" is not the SHA-256 of the public key';
  if (!isObject(m.notebook) || typeof m.notebook.path !== 'string')
    return '"notebook.path" is missing';
  if (typeof m.signature !== 'string') return '"signature" is missing';
  if (!Array.isArray(m.members)) return '"members" must be an array';
  for (const [i, x] of m.members.entries()) {
    if (
      !isObject(x) ||
      typeof x.name !== 'string' ||
      !isMemberName(x.name) ||
      x.name === MANIFEST_MEMBER
    ) {
      return `"members[${i}].name" is not a bundle member name`;
    }
    if (!Number.isSafeInteger(x.size) || (x.size as number) < 0 || !isHex64(x.sha256)) {
      return `"members[${i}]" needs a size and a sha256`;
    }
  }
  if (
    !Array.isArray(m.runs) ||
    !m.runs.every(r => isObject(r) && Number.isSafeInteger(r.seq) && typeof r.runId === 'string')
  ) {
    return '"runs" must be an array of {seq, runId}';
  }
  if (!Array.isArray(m.audit) || !m.audit.every(s => Number.isSafeInteger(s)))
    return '"audit" must be an array of seqs';
  if (!Array.isArray(m.snapshots)) return '"snapshots" must be an array';
  for (const [i, s] of m.snapshots.entries()) {
    if (
      !isObject(s) ||
      !isHex64(s.id) ||
      typeof s.dataset !== 'string' ||
      !/^[a-z_][a-z0-9_]*$/.test(s.dataset) ||
      typeof s.table !== 'string' ||
      !Number.isSafeInteger(s.schemaVersion) ||
      !Number.isSafeInteger(s.rowCount) ||
      !Number.isSafeInteger(s.bytes) ||
      !isObject(s.timeRange) ||
      !/^-?\d+$/.test(String(s.timeRange.min)) ||
      !/^-?\d+$/.test(String(s.timeRange.max)) ||
      typeof s.source !== 'string' ||
      !isObject(s.adapter) ||
      !Array.isArray(s.parents) ||
      typeof s.ingestedBy !== 'string' ||
      typeof s.ingestedAt !== 'string'
    ) {
      return `"snapshots[${i}]" is not a complete snapshot description`;
    }
  }
  const names = new Set((m.members as { name: string }[]).map(x => x.name));
  for (const need of [NOTEBOOK_MEMBER, RUNS_MEMBER, AUDIT_MEMBER]) {
    if (!names.has(need)) return `"members" does not list ${need}`;
  }
  for (const s of m.snapshots as { id: string }[]) {
    for (const need of [snapshotMember(s.id), snapshotMember(s.id, true)]) {
      if (!names.has(need)) return `"members" does not list ${need}`;
    }
  }
  return null;
}

/** Walks one chain excerpt; the first problem, or null. */
export function chainProblem(
  doc: unknown,
  chain: 'run_log' | 'audit_log',
  member: string,
  manifest: BundleManifest,
  listed: Set<number>
): BundleProblem | null {
  const fail = (code: BundleProblemCode, message: string, seq?: number): BundleProblem => ({
    code,
    member,
    chain,
    ...(seq === undefined ? {} : { seq }),
    message: `${member} (${chain}${seq === undefined ? '' : ` seq ${seq}`}): ${message}`
  });
  if (
    !isObject(doc) ||
    doc.format !== CHAIN_EXPORT_FORMAT ||
    !Array.isArray(doc.entries) ||
    !isObject(doc.range)
  ) {
    return fail(
      'malformed',
      `not a chain excerpt (format ${CHAIN_EXPORT_FORMAT} with range and entries).`
    );
  }
  const range = doc.range as Record<string, unknown>;
  const entries = doc.entries as Entry[];
  if (doc.publicKey !== manifest.instance.publicKey) {
    return fail('key-mismatch', 'signed by another key than the one bundle.json declares.');
  }
  if (
    range.log !== chain ||
    !Number.isSafeInteger(range.fromSeq) ||
    !Number.isSafeInteger(range.toSeq) ||
    !Number.isSafeInteger(range.count) ||
    !isHex64(range.firstPrevHash) ||
    !isHex64(range.lastHash)
  ) {
    return fail('malformed', `its range is not a range of ${chain}.`);
  }
  const publicKey = publicKeyFromBase64(manifest.instance.publicKey);
  let digest: Buffer;
  try {
    digest = rangeDigest(doc.publicKey as string, doc.range as never);
  } catch (error) {
    return fail('malformed', `its range is not plain JSON: ${(error as Error).message}`);
  }
  if (
    typeof doc.rangeSignature !== 'string' ||
    !verifyBytes(publicKey, digest, doc.rangeSignature)
  ) {
    return fail('bad-range-signature', 'the signature over the exported range does not verify.');
  }
  const hashes = new Map<string, number>();
  const positions = new Map<number, number>();
  entries.forEach((e, i) => {
    if (isObject(e)) {
      if (typeof e.hash === 'string') hashes.set(e.hash, e.seq);
      if (!positions.has(e.seq)) positions.set(e.seq, i);
    }
  });
  let expected = range.fromSeq as number;
  let prev = range.firstPrevHash as string;
  for (const [position, e] of entries.entries()) {
    const redacted = isObject(e) && (e as RedactedEntry).redacted === true;
    if (
      !isObject(e) ||
      !Number.isSafeInteger(e.seq) ||
      !isHex64(e.prevHash) ||
      !isHex64(e.hash) ||
      typeof e.signature !== 'string' ||
      (!redacted && typeof (e as ChainEntry).payload !== 'string')
    ) {
      return fail('malformed', `the entry at position ${position} is malformed.`, expected);
    }
    if (e.seq !== expected) {
      return e.seq > expected && (positions.get(expected) ?? -1) <= position
        ? fail(
            'missing',
            `entry ${expected} is missing: entry ${e.seq} follows ${expected - 1}.`,
            expected
          )
        : fail('reordered', `entry ${e.seq} is at the place of entry ${expected}.`, e.seq);
    }
    if (!redacted && entryHash(e.prevHash, (e as ChainEntry).payload) !== e.hash) {
      return fail('payload-edited', `entry ${e.seq}'s payload or hash was changed.`, e.seq);
    }
    if (e.prevHash !== prev) {
      const other = hashes.get(e.prevHash);
      return other !== undefined && other !== expected - 1
        ? fail('reordered', `entry ${e.seq} holds the entry that follows entry ${other}.`, e.seq)
        : fail('broken-link', `entry ${e.seq} does not link to entry ${expected - 1}.`, e.seq);
    }
    if (!verifyBytes(publicKey, Buffer.from(e.hash, 'hex'), e.signature)) {
      return fail('bad-signature', `entry ${e.seq}'s signature does not verify.`, e.seq);
    }
    if (redacted && listed.has(e.seq)) {
      return fail(
        'redacted-entry',
        `entry ${e.seq} is the notebook's, but its payload was removed.`,
        e.seq
      );
    }
    prev = e.hash;
    expected++;
  }
  if (expected <= (range.toSeq as number) || entries.length !== range.count) {
    return fail(
      'truncated',
      `entries from ${expected} to ${range.toSeq as number} were cut off.`,
      expected
    );
  }
  if (prev !== range.lastHash) {
    return fail('anchor-mismatch', `the last entry differs from the signed range.`, expected - 1);
  }
  for (const seq of listed) {
    if (seq < (range.fromSeq as number) || seq > (range.toSeq as number)) {
      return fail('missing', `bundle.json lists entry ${seq}, which is outside the excerpt.`, seq);
    }
  }
  return null;
}

/** Checks `metadata.opsbook.runs` of every cell against the bundle's runs. */
export function summaryProblems(
  bytes: Buffer,
  runs: BundleRun[],
  runsKnown: boolean,
  problems: BundleProblem[]
): void {
  let notebook: unknown;
  try {
    notebook = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    problems.push({
      code: 'notebook-malformed',
      member: NOTEBOOK_MEMBER,
      message: `${NOTEBOOK_MEMBER} is not JSON: ${(error as Error).message}`
    });
    return;
  }
  if (!isObject(notebook) || !Array.isArray(notebook.cells)) {
    problems.push({
      code: 'notebook-malformed',
      member: NOTEBOOK_MEMBER,
      message: `${NOTEBOOK_MEMBER} has no "cells" array.`
    });
    return;
  }
  if (!runsKnown) return;
  const byId = new Map(runs.map(r => [r.record.runId, r.record]));
  for (const cell of notebook.cells as unknown[]) {
    if (!isObject(cell) || !isObject(cell.metadata) || !isObject(cell.metadata.opsbook)) continue;
    const summaries = cell.metadata.opsbook.runs;
    if (!Array.isArray(summaries)) continue;
    const cellId = typeof cell.id === 'string' ? cell.id : '(no id)';
    for (const s of summaries as unknown[]) {
      const runId = isObject(s) && typeof s.runId === 'string' ? s.runId : '(no run id)';
      const record = byId.get(runId);
      const why = !isObject(s)
        ? 'is malformed'
        : !record
          ? 'names a run the bundle does not hold'
          : record.cellId !== cellId
            ? `names a run of cell ${record.cellId}`
            : s.hash !== record.result.hash ||
                s.rows !== record.result.rowCount ||
                s.cellVersion !== record.cellVersion
              ? 'disagrees with the run log (hash, rows or cell version)'
              : null;
      if (why) {
        problems.push({
          code: 'summary-mismatch',
          member: NOTEBOOK_MEMBER,
          cellId,
          runId,
          message: `${NOTEBOOK_MEMBER}: cell ${cellId}'s run summary ${runId} ${why}.`
        });
      }
    }
  }
}
