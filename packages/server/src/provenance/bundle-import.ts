/**
 * Importing a verified investigation bundle into an instance's stores. Nothing is written unless
 * the WHOLE bundle verifies (bundle-verify.ts, snapshot ids included); then, in this order:
 *
 *   1. snapshots   extracted into `<catalog>/tmp/bundle-*`, fsynced, renamed into
 *                  `snapshots/<dataset>/`, then one SQLite transaction inserts their rows and
 *                  lineage. Ids already in the catalog are skipped. A dataset this catalog lacks
 *                  is created with a manifest of the bundle's snapshots; an existing dataset's
 *                  `latest` is NOT moved (the snapshots are readable pinned, by id, only).
 *   2. the bundle  kept as `<stateDir>/bundles/<bundleId>.opsbundle`
 *   3. notebook    written to a temp file, fsynced, then hard-linked to `imported/<name>.ipynb`
 *                  (`-2`, `-3`, ... when taken): link never overwrites, and the file appears whole
 *   4. registry    `<stateDir>/bundles/imports/<importId>.json` (bundle-registry.ts), which makes
 *                  the runs visible; if it cannot be written the notebook is removed again
 *
 * A crash before 3 leaves at most content-addressed snapshot files and a bundle copy (harmless,
 * reused by the next import); never a half-written notebook. Verifying loads Arrow (the snapshot
 * ids, loaded on demand), so the server runs imports in the bundle worker.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CatalogStore, type NewSnapshot } from '@opsbook/catalog/lib/store';
import type { QualityFigures } from '@opsbook/catalog/lib/model';
import type { TableName } from '@opsbook/telemetry-schema';

import { extractMember, snapshotMember, type BundleSnapshot } from './bundle-format';
import { bundlesDir, IMPORT_FORMAT, type ImportRecord } from './bundle-registry';
import { verifyBundle, type BundleReport, type VerifyBundleOptions } from './bundle-verify';

/** Where an import writes. */
export interface ImportTarget {
  catalogDir: string;
  notebookDir: string;
  stateDir: string;
  /** Who imports (the session user, or the OS account for the CLI). */
  user: string;
  /** Folder of imported notebooks, relative to the notebook root (default `imported`). */
  folder?: string;
}

/** What an import did. */
export interface ImportResult {
  report: BundleReport;
  importId: string;
  bundleId: string;
  /** The imported notebook's path (as the contents API writes it). */
  notebook: string;
  snapshots: { imported: string[]; skipped: string[] };
  runs: number;
}

/** A bundle that failed verification: nothing was imported. */
export class BundleRejectedError extends Error {
  constructor(readonly report: BundleReport) {
    super(`The bundle failed verification and nothing was imported: ${report.firstBad?.message}`);
    this.name = 'BundleRejectedError';
  }
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Verifies, then imports `file` (see the module comment). */
export async function importBundle(
  file: string,
  target: ImportTarget,
  options: Omit<VerifyBundleOptions, 'skipSnapshotIds'> = {}
): Promise<ImportResult> {
  const { report, contents } = await verifyBundle(file, options);
  if (!report.ok || !contents) {
    throw new BundleRejectedError(report);
  }
  const { manifest, index } = contents;
  const byName = new Map(index.map(m => [m.name, m]));
  const bundleId = report.bundleId!;
  // On demand: the catalog's canonical module loads the telemetry schema's Arrow code.
  const { manifestId } = await import('@opsbook/catalog/lib/canonical');

  // 1. Snapshots.
  fs.mkdirSync(path.join(target.catalogDir, 'tmp'), { recursive: true });
  fs.mkdirSync(path.join(target.catalogDir, 'snapshots'), { recursive: true });
  const catalog = new CatalogStore(target.catalogDir);
  const imported: string[] = [];
  const skipped: string[] = [];
  const work = fs.mkdtempSync(path.join(target.catalogDir, 'tmp', 'bundle-'));
  try {
    const fresh: { info: BundleSnapshot; snapshot: NewSnapshot }[] = [];
    for (const s of manifest.snapshots) {
      if (catalog.snapshot(s.id)) {
        skipped.push(s.id);
        continue;
      }
      const dir = path.join(target.catalogDir, 'snapshots', s.dataset);
      fs.mkdirSync(dir, { recursive: true });
      const files = {
        keysFile: path.join(dir, `${s.id}.keys.parquet`),
        file: path.join(dir, `${s.id}.parquet`)
      };
      for (const [key, keys] of [
        ['keysFile', true],
        ['file', false]
      ] as const) {
        const temp = path.join(work, path.basename(files[key]));
        await extractMember(file, byName.get(snapshotMember(s.id, keys))!, temp);
        fs.renameSync(temp, files[key]);
      }
      fsyncPath(dir);
      fresh.push({
        info: s,
        snapshot: {
          id: s.id,
          dataset: s.dataset,
          table: s.table as TableName,
          schemaVersion: s.schemaVersion,
          rowCount: s.rowCount,
          timeRange: { min: BigInt(s.timeRange.min), max: BigInt(s.timeRange.max) },
          file: files.file,
          keysFile: files.keysFile,
          bytes: s.bytes,
          source: s.source,
          adapter: { name: String(s.adapter.name), version: String(s.adapter.version) },
          parents: s.parents.map(String),
          quality: s.quality as QualityFigures,
          ingestedBy: s.ingestedBy,
          ingestedAt: s.ingestedAt
        }
      });
    }
    catalog.transaction(() => {
      for (const dataset of new Set(fresh.map(f => f.info.dataset))) {
        const snapshots = fresh.filter(f => f.info.dataset === dataset).map(f => f.snapshot);
        const latest = catalog.latestManifestId(dataset);
        if (latest) {
          // Same manifest: inserts the snapshots and their lineage, leaves `latest` where it is.
          catalog.insertVersion(snapshots, catalog.manifest(latest)!);
        } else {
          const all = manifest.snapshots.filter(s => s.dataset === dataset);
          const ids = all.map(s => s.id).sort();
          catalog.insertVersion(snapshots, {
            id: manifestId(dataset, ids),
            dataset,
            snapshotIds: ids,
            parentId: null,
            rowCount: all.reduce((n, s) => n + s.rowCount, 0),
            createdBy: target.user,
            createdAt: new Date().toISOString()
          });
        }
      }
    });
    imported.push(...fresh.map(f => f.info.id));
  } finally {
    catalog.close();
    fs.rmSync(work, { recursive: true, force: true });
  }

  // 2. The bundle itself.
  const dir = bundlesDir(target.stateDir);
  fs.mkdirSync(path.join(dir, 'imports'), { recursive: true });
  const kept = path.join(dir, `${bundleId}.opsbundle`);
  if (!fs.existsSync(kept)) {
    const temp = `${kept}.tmp-${randomUUID()}`;
    fs.copyFileSync(file, temp);
    fsyncPath(temp);
    fs.renameSync(temp, kept);
  }

  // 3. The notebook, never over an existing file.
  const folder = target.folder ?? 'imported';
  const base = path.posix.basename(manifest.notebook.path).replace(/\.ipynb$/, '') || 'notebook';
  fs.mkdirSync(path.join(target.notebookDir, folder), { recursive: true });
  const temp = path.join(target.notebookDir, folder, `.${base}.ipynb.import-${randomUUID()}`);
  fs.writeFileSync(temp, contents.notebookBytes, { flag: 'wx' });
  fsyncPath(temp);
  let notebook = '';
  try {
    for (let n = 1; ; n++) {
      const candidate = `${folder}/${base}${n === 1 ? '' : `-${n}`}.ipynb`;
      try {
        fs.linkSync(temp, path.join(target.notebookDir, candidate));
        notebook = candidate;
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 10_000) throw error;
      }
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }

  // 4. The registry.
  const importId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const record: ImportRecord = {
    format: IMPORT_FORMAT,
    importId,
    bundle: bundleId,
    importedAt: new Date().toISOString(),
    importedBy: target.user,
    notebook,
    original: {
      path: manifest.notebook.path,
      keyId: manifest.instance.keyId,
      publicKey: manifest.instance.publicKey,
      createdAt: manifest.createdAt,
      createdBy: manifest.createdBy
    },
    runs: contents.runs
  };
  try {
    const out = path.join(dir, 'imports', `${importId}.json`);
    fs.writeFileSync(`${out}.tmp`, JSON.stringify(record, null, 1));
    fsyncPath(`${out}.tmp`);
    fs.renameSync(`${out}.tmp`, out);
  } catch (error) {
    fs.rmSync(path.join(target.notebookDir, notebook), { force: true });
    throw error;
  }
  return {
    report,
    importId,
    bundleId,
    notebook,
    snapshots: { imported, skipped },
    runs: contents.runs.length
  };
}

/** The `import` audit details of an import. */
export function importDetails(result: ImportResult): Record<string, unknown> {
  return {
    bundle: result.bundleId,
    importId: result.importId,
    from: {
      notebook: result.report.notebook,
      keyId: result.report.key?.keyId ?? null,
      trust: result.report.key?.trust ?? null,
      createdAt: result.report.createdAt,
      createdBy: result.report.createdBy
    },
    runs: result.runs,
    snapshotsImported: result.snapshots.imported,
    snapshotsSkipped: result.snapshots.skipped,
    bytes: result.report.counts.bytes
  };
}
