/**
 * Runs imported from investigation bundles, as this instance serves them.
 *
 * A foreign run cannot enter this instance's run log: its entry is signed by the exporting
 * instance and links into that instance's chain. So an import keeps the verified bundle file
 * (`<stateDir>/bundles/<bundleId>.opsbundle`, re-verifiable at any time with `opsbook bundle
 * verify`) and writes one registry file per import:
 *
 *   <stateDir>/bundles/imports/<importId>.json   (`ImportRecord`, format opsbook.bundle-import.v1)
 *
 * holding the imported notebook's path and the runs with their original chain seq, entry hash and
 * signature, and the foreign key id. The run routes list these beside the local log's runs,
 * marked `origin`. Arrow-free (read in the server's main thread); the directory is re-read when it
 * changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { BundleRun } from './bundle-verify';

/** The format tag of import records. */
export const IMPORT_FORMAT = 'opsbook.bundle-import.v1';

/** Where bundles and import records live under a state directory. */
export function bundlesDir(stateDir: string): string {
  return path.join(stateDir, 'bundles');
}

/** One import of a bundle. */
export interface ImportRecord {
  format: typeof IMPORT_FORMAT;
  importId: string;
  bundle: string;
  importedAt: string;
  importedBy: string;
  /** The notebook's path on this instance. */
  notebook: string;
  /** Where it came from. */
  original: {
    path: string;
    keyId: string;
    publicKey: string;
    createdAt: string;
    createdBy: string;
  };
  runs: BundleRun[];
}

/** Where an imported run came from. */
export interface RunOrigin {
  keyId: string;
  bundle: string;
  /** The notebook's path on the exporting instance (the record's `notebook.path`). */
  notebook: string;
  /** The imported notebook's path here. */
  importedAs: string;
}

/** An imported run as the run routes serve it. */
export interface ImportedRun extends BundleRun {
  origin: RunOrigin;
}

/** Filters of `ImportedRuns.find` (as `RunLog.find`; `notebook` is the path on this instance). */
export interface ImportedRunFilter {
  notebook?: string;
  cellId?: string;
  user?: string;
}

/** The imported runs of one state directory. */
export class ImportedRuns {
  private cache: { key: string; runs: ImportedRun[] } | null = null;

  constructor(private readonly stateDir: string) {}

  /** Runs matching the filters, in import order then seq order. */
  find(filter: ImportedRunFilter, limit = Number.MAX_SAFE_INTEGER): ImportedRun[] {
    return this.all()
      .filter(
        r =>
          (filter.notebook === undefined || r.origin.importedAs === filter.notebook) &&
          (filter.cellId === undefined || r.record.cellId === filter.cellId) &&
          (filter.user === undefined || r.record.stamp.user === filter.user)
      )
      .slice(0, limit);
  }

  /** The first imported run with this id, or null. */
  get(runId: string): ImportedRun | null {
    return this.all().find(r => r.record.runId === runId) ?? null;
  }

  private all(): ImportedRun[] {
    const dir = path.join(bundlesDir(this.stateDir), 'imports');
    let names: string[];
    try {
      names = fs
        .readdirSync(dir)
        .filter(n => n.endsWith('.json'))
        .sort();
    } catch {
      return [];
    }
    const key = names.join('\n');
    if (this.cache?.key === key) {
      return this.cache.runs;
    }
    const runs: ImportedRun[] = [];
    for (const name of names) {
      let record: ImportRecord;
      try {
        record = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as ImportRecord;
      } catch {
        continue;
      }
      if (record?.format !== IMPORT_FORMAT || !Array.isArray(record.runs)) continue;
      for (const run of record.runs) {
        runs.push({
          ...run,
          origin: {
            keyId: record.original.keyId,
            bundle: record.bundle,
            notebook: record.original.path,
            importedAs: record.notebook
          }
        });
      }
    }
    this.cache = { key, runs };
    return runs;
  }
}
