/**
 * Read-only access to a catalog store from the server's main thread: datasets, snapshots,
 * lineage, and the Parquet files of a table (latest, or pinned to a snapshot).
 *
 * It reads `catalog.sqlite` through `CatalogStore` (better-sqlite3, WAL: never blocked by the
 * ingest worker's writes) imported from `@opsbook/catalog/lib/store` rather than the package
 * index, because the index also loads the ingest path (DuckDB staging, the adapters and
 * apache-arrow), which must stay out of the main isolate (see datasets/routes.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { SnapshotInfo } from '@opsbook/catalog';
import { CatalogStore } from '@opsbook/catalog/lib/store';

import { Errors, OpsbookError } from '../errors';
import { TABLE_ALIASES, TableAlias, tableAlias } from './protocol';
import {
  DatasetView,
  datasetView,
  LineageView,
  lineageView,
  SnapshotView,
  snapshotView
} from './views';

/** `GET /api/opsbook/catalog/<dataset>` and `opsbook catalog show`. */
export interface DatasetDetails {
  dataset: DatasetView;
  /** Every snapshot ever made for the dataset, oldest first. */
  snapshots: SnapshotView[];
  /** Per snapshot, its ancestors. */
  lineage: LineageView[];
}

/** One table of a catalog dataset, resolved to the files to read. */
export interface ResolvedTable {
  dataset: string;
  table: TableAlias;
  /** The snapshot the table is named by: the newest one, or the pinned one. */
  snapshot: SnapshotInfo;
  /** Every snapshot read (the table is their union), oldest first. */
  snapshots: SnapshotInfo[];
  /** Their Parquet files. */
  files: string[];
}

/** Read-only catalog of one store directory; opened lazily, so a missing store lists nothing. */
export class CatalogReader {
  private store: CatalogStore | null = null;

  constructor(readonly storeDir: string) {}

  /** Every dataset with its latest version. */
  list(): DatasetView[] {
    const store = this.open();
    if (!store) {
      return [];
    }
    return store.datasetNames().map(name => this.datasetOf(store, name));
  }

  /** A dataset's snapshots and lineage; a 404 naming the available datasets if unknown. */
  show(name: string): DatasetDetails {
    const store = this.requireDataset(name);
    const snapshots = store.snapshotsOf(name).map(s => publicInfo(s));
    return {
      dataset: this.datasetOf(store, name),
      snapshots: snapshots.map(snapshotView),
      lineage: snapshots.map(s =>
        lineageView(
          s.id,
          store
            .ancestry(s.id)
            .map(a => ({ depth: a.depth, snapshot: store.snapshot(a.id) }))
            .filter((a): a is { depth: number; snapshot: SnapshotInfo & { keysFile: string } } =>
              Boolean(a.snapshot)
            )
            .map(a => ({ depth: a.depth, snapshot: publicInfo(a.snapshot) }))
        )
      )
    };
  }

  /** Every table of every dataset, latest version (for `GET /api/datasets`). */
  tables(): ResolvedTable[] {
    const store = this.open();
    if (!store) {
      return [];
    }
    const out: ResolvedTable[] = [];
    for (const name of store.datasetNames()) {
      const latest = this.latestSnapshots(store, name);
      for (const alias of Object.keys(TABLE_ALIASES) as TableAlias[]) {
        const own = latest.filter(s => tableAlias(s.table) === alias);
        if (own.length > 0) {
          out.push(resolved(name, alias, own[own.length - 1], own));
        }
      }
    }
    return out;
  }

  /**
   * The files of `dataset`'s table at `snapshotId`: that snapshot plus the snapshots of the same
   * table it was appended to (its lineage within the dataset), i.e. the table as it was when the
   * snapshot was the newest. A 404 when the id is not a snapshot of this dataset's table.
   */
  tableAt(dataset: string, alias: TableAlias, snapshotId: string): ResolvedTable {
    const store = this.requireDataset(dataset);
    const pinned = store.snapshot(snapshotId);
    if (!pinned || pinned.dataset !== dataset || tableAlias(pinned.table) !== alias) {
      const known = store
        .snapshotsOf(dataset)
        .filter(s => tableAlias(s.table) === alias)
        .map(s => s.id);
      throw new OpsbookError(Errors.snapshotNotFound(dataset, alias, snapshotId, known));
    }
    const chain = store
      .ancestry(snapshotId)
      .map(a => store.snapshot(a.id))
      .filter(
        (s): s is SnapshotInfo & { keysFile: string } =>
          Boolean(s) && s!.dataset === dataset && s!.table === pinned.table
      )
      .map(publicInfo)
      .sort(byIngest);
    return resolved(dataset, alias, publicInfo(pinned), chain);
  }

  /** Whether `id` is a snapshot or manifest id of this store (run records name their inputs). */
  hasSnapshot(id: string): boolean {
    const store = this.open();
    return Boolean(store && (store.snapshot(id) || store.manifest(id)));
  }

  /** Closes the database. */
  close(): void {
    this.store?.close();
    this.store = null;
  }

  private datasetOf(store: CatalogStore, name: string): DatasetView {
    const latestId = store.latestManifestId(name)!;
    const manifest = store.manifest(latestId)!;
    const snapshots = this.latestSnapshots(store, name);
    return datasetView(name, manifest, snapshots);
  }

  private latestSnapshots(store: CatalogStore, name: string): SnapshotInfo[] {
    const id = store.latestManifestId(name);
    const manifest = id ? store.manifest(id) : undefined;
    return (manifest?.snapshotIds ?? [])
      .map(s => store.snapshot(s))
      .filter((s): s is SnapshotInfo & { keysFile: string } => Boolean(s))
      .map(publicInfo)
      .sort(byIngest);
  }

  private requireDataset(name: string): CatalogStore {
    const store = this.open();
    if (!store || !store.latestManifestId(name)) {
      throw new OpsbookError(
        Errors.catalogDatasetNotFound(name, this.storeDir, store?.datasetNames() ?? [])
      );
    }
    return store;
  }

  private open(): CatalogStore | null {
    if (!this.store) {
      if (!fs.existsSync(path.join(this.storeDir, 'catalog.sqlite'))) {
        // Nothing ingested yet: do not create a store just to list it.
        return null;
      }
      this.store = new CatalogStore(this.storeDir);
    }
    return this.store;
  }
}

function resolved(
  dataset: string,
  table: TableAlias,
  snapshot: SnapshotInfo,
  snapshots: SnapshotInfo[]
): ResolvedTable {
  return { dataset, table, snapshot, snapshots, files: snapshots.map(s => s.file) };
}

function byIngest(a: SnapshotInfo, b: SnapshotInfo): number {
  if (a.ingestedAt !== b.ingestedAt) {
    return a.ingestedAt < b.ingestedAt ? -1 : 1;
  }
  return a.timeRange.min < b.timeRange.min ? -1 : a.id < b.id ? -1 : 1;
}

function publicInfo(s: SnapshotInfo & { keysFile?: string }): SnapshotInfo {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { keysFile, ...rest } = s;
  return rest;
}
