/**
 * Exporting an investigation bundle (format: bundle-format.ts): the notebook as saved, the chain
 * excerpts of its runs and audit entries (other notebooks' entries in the same seq range redacted
 * to hash + signature), and every catalog snapshot its runs read, with the snapshots each one was
 * appended to (a pinned read of snapshot S reads S and its same-table ancestors, see
 * `CatalogReader.tableAt`).
 *
 * Planning reads the stores and hashes every snapshot file (streamed); writing streams the
 * members to any Writable (a file, an HTTP response). Memory is bounded by the JSON members
 * (notebook, excerpts, manifest) plus a 1 MiB copy buffer, whatever the snapshot sizes.
 * Both chains are verified first: a bundle is never made from a log that fails verification.
 * Arrow-free (the server runs it in its main thread).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Writable } from 'node:stream';

import { CatalogStore } from '@opsbook/catalog/lib/store';
import type { HashChain } from '@opsbook/provenance/lib/hash-chain';

import { Errors, OpsbookError } from '../errors';
import {
  AUDIT_MEMBER,
  BUNDLE_FORMAT,
  copyFileTo,
  MANIFEST_MEMBER,
  NOTEBOOK_MEMBER,
  RUNS_MEMBER,
  sha256File,
  signManifest,
  snapshotMember,
  TAR_END,
  tarHeader,
  tarMemberBytes,
  tarPadding,
  writeChunk,
  type BundleChainExcerpt,
  type BundleManifest,
  type BundleSnapshot
} from './bundle-format';
import type { ServerProvenanceStore } from './store';
import { inSpan, NotebookPaths } from './notebook-paths';

/** Where a bundle's parts come from. */
export interface BundleSources {
  store: ServerProvenanceStore;
  catalogDir: string;
  notebookDir: string;
}

/** A member ready to be written: in memory, or a file streamed at write time. */
interface PlannedMember {
  name: string;
  size: number;
  sha256: string;
  data?: Buffer;
  file?: string;
}

/** Everything `writeBundle` writes, decided and hashed up front. */
export interface BundlePlan {
  manifest: BundleManifest;
  /** SHA-256 of bundle.json: the bundle's id. */
  bundleId: string;
  /** Size of the whole bundle file in bytes. */
  bytes: number;
  members: PlannedMember[];
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Resolves a notebook path (as the contents API writes it) inside `root`, refusing escapes. */
export function notebookFile(root: string, notebook: string): string {
  const normal = path.posix.normalize(notebook.replace(/\\/g, '/'));
  if (
    notebook === '' ||
    path.posix.isAbsolute(normal) ||
    normal.split('/').includes('..') ||
    notebook.includes('\0')
  ) {
    throw new OpsbookError(
      Errors.bundleNotebookUnreadable(notebook, 'not a path inside the notebook directory')
    );
  }
  const realRoot = fs.realpathSync(root);
  let real: string;
  try {
    real = fs.realpathSync(path.join(realRoot, normal));
  } catch {
    throw new OpsbookError(Errors.bundleNotebookUnreadable(notebook, 'no such file'));
  }
  if (!real.startsWith(realRoot + path.sep)) {
    throw new OpsbookError(
      Errors.bundleNotebookUnreadable(notebook, 'not a path inside the notebook directory')
    );
  }
  return real;
}

/** A chain range from the smallest to the largest of `seqs`, entries outside `seqs` redacted. */
function excerpt(chain: HashChain, seqs: Set<number>): BundleChainExcerpt {
  const sorted = [...seqs].sort((a, b) => a - b);
  const doc = sorted.length
    ? chain.export(sorted[0], sorted[sorted.length - 1])
    : chain.export(1, 0);
  return {
    ...doc,
    entries: doc.entries.map(e =>
      seqs.has(e.seq)
        ? e
        : { seq: e.seq, prevHash: e.prevHash, hash: e.hash, signature: e.signature, redacted: true }
    )
  };
}

/** Refuses to export from a chain that fails verification, naming the first bad entry. */
function requireVerified(name: string, chain: { verify(): ReturnType<HashChain['verify']> }): void {
  const report = chain.verify();
  if (!report.ok) {
    const fault = report.fault!;
    throw new OpsbookError(
      Errors.bundleSourceChainBad(name, fault.seq, fault.problem, fault.message)
    );
  }
}

/** The snapshots `runs` read, plus the same-table ancestors a pinned read of each reads. */
function snapshotsOf(
  catalogDir: string,
  notebook: string,
  inputs: { runId: string; snapshotId: string }[]
): { info: BundleSnapshot; file: string; keysFile: string }[] {
  if (inputs.length === 0) {
    return [];
  }
  if (!fs.existsSync(path.join(catalogDir, 'catalog.sqlite'))) {
    const first = inputs[0];
    throw new OpsbookError(
      Errors.bundleSnapshotMissing(notebook, first.runId, first.snapshotId, catalogDir)
    );
  }
  const catalog = new CatalogStore(catalogDir);
  try {
    const found = new Map<string, { info: BundleSnapshot; file: string; keysFile: string }>();
    for (const { runId, snapshotId } of inputs) {
      const pinned = catalog.snapshot(snapshotId);
      if (!pinned) {
        throw new OpsbookError(
          catalog.manifest(snapshotId)
            ? Errors.bundleManifestInput(runId, snapshotId)
            : Errors.bundleSnapshotMissing(notebook, runId, snapshotId, catalogDir)
        );
      }
      for (const { id } of catalog.ancestry(snapshotId)) {
        const s = catalog.snapshot(id);
        if (!s || s.dataset !== pinned.dataset || s.table !== pinned.table || found.has(id)) {
          continue;
        }
        for (const f of [s.file, s.keysFile]) {
          if (!fs.existsSync(f) || (f === s.file && fs.statSync(f).size !== s.bytes)) {
            throw new OpsbookError(Errors.bundleSnapshotMissing(notebook, runId, id, catalogDir));
          }
        }
        found.set(id, {
          file: s.file,
          keysFile: s.keysFile,
          info: {
            id: s.id,
            dataset: s.dataset,
            table: s.table,
            schemaVersion: s.schemaVersion,
            rowCount: s.rowCount,
            timeRange: { min: String(s.timeRange.min), max: String(s.timeRange.max) },
            bytes: s.bytes,
            source: s.source,
            adapter: { name: s.adapter.name, version: s.adapter.version },
            parents: [...s.parents],
            quality: JSON.parse(
              JSON.stringify(s.quality, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
            ),
            ingestedBy: s.ingestedBy,
            ingestedAt: s.ingestedAt
          }
        });
      }
    }
    return [...found.values()].sort(
      (a, b) =>
        a.info.ingestedAt.localeCompare(b.info.ingestedAt) || a.info.id.localeCompare(b.info.id)
    );
  } finally {
    catalog.close();
  }
}

/**
 * Plans the bundle of `notebook` (a path as the contents API writes it): verifies both chains,
 * reads the notebook, collects and hashes the snapshots, and signs the manifest.
 */
export async function planBundle(
  sources: BundleSources,
  notebook: string,
  user: string
): Promise<BundlePlan> {
  const { store } = sources;
  const notebookBytes = (() => {
    const file = notebookFile(sources.notebookDir, notebook);
    return fs.readFileSync(file);
  })();
  // The notebook's runs and audit entries under every path it has had (renames), each span of
  // a path only while the notebook was there.
  const paths = new NotebookPaths(() => store);
  const runs = paths.runs({ notebook }, Number.MAX_SAFE_INTEGER);
  if (runs.length === 0) {
    throw new OpsbookError(Errors.runsNoneForNotebook(notebook));
  }
  requireVerified('run log', store.runs);
  requireVerified('audit log', store.audit);
  const auditSeqs = paths.spans(notebook).flatMap(span =>
    store.audit
      .query({ notebook: span.path, limit: Number.MAX_SAFE_INTEGER })
      .filter(e => inSpan(span, 'audit', e.seq))
      .map(e => e.seq)
  );
  const runsDoc = excerpt(store.runs.chain, new Set(runs.map(r => r.seq)));
  const auditDoc = excerpt(store.audit.chain, new Set(auditSeqs));
  const inputs = runs.flatMap(r =>
    r.record.inputs
      .filter(i => typeof i.snapshotId === 'string')
      .map(i => ({ runId: r.record.runId, snapshotId: i.snapshotId as string }))
  );
  const snapshots = snapshotsOf(sources.catalogDir, notebook, inputs);

  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const members: PlannedMember[] = [];
  const inMemory = (name: string, data: Buffer) =>
    members.push({ name, size: data.length, sha256: sha256(data), data });
  inMemory(NOTEBOOK_MEMBER, notebookBytes);
  inMemory(RUNS_MEMBER, json(runsDoc));
  inMemory(AUDIT_MEMBER, json(auditDoc));
  for (const s of snapshots) {
    for (const [name, file] of [
      [snapshotMember(s.info.id), s.file],
      [snapshotMember(s.info.id, true), s.keysFile]
    ]) {
      members.push({ name, size: fs.statSync(file).size, sha256: await sha256File(file), file });
    }
  }
  const manifest = signManifest(
    {
      format: BUNDLE_FORMAT,
      createdAt: new Date().toISOString(),
      createdBy: user,
      instance: { publicKey: store.key.publicKeyBase64, keyId: store.key.keyId },
      notebook: { path: notebook },
      members: members.map(({ name, size, sha256: hash }) => ({ name, size, sha256: hash })),
      runs: runs.map(r => ({ seq: r.seq, runId: r.record.runId })),
      audit: auditSeqs,
      snapshots: snapshots.map(s => s.info)
    },
    store.key
  );
  const manifestBytes = json(manifest);
  const all: PlannedMember[] = [
    {
      name: MANIFEST_MEMBER,
      size: manifestBytes.length,
      sha256: sha256(manifestBytes),
      data: manifestBytes
    },
    ...members
  ];
  return {
    manifest,
    bundleId: sha256(manifestBytes),
    bytes: all.reduce((n, m) => n + tarMemberBytes(m.size), 0) + TAR_END.length,
    members: all
  };
}

/** Writes a planned bundle to `out` (streamed; does not end `out`). */
export async function writeBundle(plan: BundlePlan, out: Writable): Promise<void> {
  const mtime = Date.parse(plan.manifest.createdAt) / 1000;
  for (const member of plan.members) {
    await writeChunk(out, tarHeader(member.name, member.size, mtime));
    if (member.data) {
      await writeChunk(out, member.data);
    } else {
      await copyFileTo(out, member.file!, member.size);
    }
    const padding = tarPadding(member.size);
    if (padding.length) {
      await writeChunk(out, padding);
    }
  }
  await writeChunk(out, TAR_END);
}

/** Writes a planned bundle to `file` atomically (temp file, fsync, rename). */
export async function writeBundleFile(plan: BundlePlan, file: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const out = fs.createWriteStream(temp, { flags: 'wx', mode: 0o644 });
  try {
    await writeBundle(plan, out);
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
    const fd = fs.openSync(temp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    out.destroy();
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** The `export` audit details of a bundle. */
export function exportDetails(plan: BundlePlan): Record<string, unknown> {
  return {
    format: BUNDLE_FORMAT,
    bundle: plan.bundleId,
    bytes: plan.bytes,
    runs: plan.manifest.runs.length,
    auditEntries: plan.manifest.audit.length,
    snapshotIds: plan.manifest.snapshots.map(s => s.id)
  };
}
