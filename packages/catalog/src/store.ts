/**
 * The catalog database: `<store>/catalog.sqlite`, SQLite in WAL mode (readers never block the one
 * writer; a commit is atomic and durable with synchronous=FULL). Tables:
 *
 *   meta(key PK, value)                      'format' = CATALOG_FORMAT
 *   datasets(name PK, latest_manifest_id, created_at, created_by)
 *   snapshots(id PK, dataset, table_kind, schema_version, row_count, time_min_ns, time_max_ns,
 *             file, keys_file, bytes, source, adapter_name, adapter_version, quality_json,
 *             ingested_by, ingested_at)           file paths relative to the store
 *   snapshot_parents(snapshot_id, parent_id)        lineage edges, PK both
 *   manifests(id PK, dataset, parent_id, row_count, created_by, created_at)
 *   manifest_snapshots(manifest_id, snapshot_id)    the immutable set, PK both
 *   ingests(seq PK, dataset, at, user, source, adapter, manifest_before, manifest_after,
 *           report_json)                           every ingest, including ones that added nothing
 *
 * Times are ISO-8601 UTC text; time ranges are INTEGER ns since the epoch. Snapshot and manifest
 * rows are only ever inserted; `datasets.latest_manifest_id` is the one value that changes, in the
 * same transaction that inserts the manifest it points at.
 */
import * as path from 'path';
import Database from 'better-sqlite3';
import { TableName } from '@opsbook/telemetry-schema';
import { CatalogError } from './errors';
import { ManifestInfo, QualityFigures, SnapshotInfo } from './model';

/** Version of the layout above; bumped on incompatible change. */
export const CATALOG_FORMAT = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
  name TEXT PRIMARY KEY, latest_manifest_id TEXT NOT NULL,
  created_at TEXT NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
  id TEXT PRIMARY KEY, dataset TEXT NOT NULL, table_kind TEXT NOT NULL,
  schema_version INTEGER NOT NULL, row_count INTEGER NOT NULL,
  time_min_ns INTEGER NOT NULL, time_max_ns INTEGER NOT NULL,
  file TEXT NOT NULL, keys_file TEXT NOT NULL, bytes INTEGER NOT NULL, source TEXT NOT NULL,
  adapter_name TEXT NOT NULL, adapter_version TEXT NOT NULL, quality_json TEXT NOT NULL,
  ingested_by TEXT NOT NULL, ingested_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS snapshots_dataset ON snapshots (dataset);
CREATE TABLE IF NOT EXISTS snapshot_parents (
  snapshot_id TEXT NOT NULL REFERENCES snapshots (id), parent_id TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, parent_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS manifests (
  id TEXT PRIMARY KEY, dataset TEXT NOT NULL, parent_id TEXT, row_count INTEGER NOT NULL,
  created_by TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS manifest_snapshots (
  manifest_id TEXT NOT NULL REFERENCES manifests (id),
  snapshot_id TEXT NOT NULL REFERENCES snapshots (id),
  PRIMARY KEY (manifest_id, snapshot_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ingests (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, dataset TEXT NOT NULL, at TEXT NOT NULL,
  user TEXT NOT NULL, source TEXT NOT NULL, adapter TEXT NOT NULL,
  manifest_before TEXT, manifest_after TEXT, report_json TEXT NOT NULL);
`;

interface SnapshotRow {
  id: string;
  dataset: string;
  table_kind: string;
  schema_version: bigint;
  row_count: bigint;
  time_min_ns: bigint;
  time_max_ns: bigint;
  file: string;
  keys_file: string;
  bytes: bigint;
  source: string;
  adapter_name: string;
  adapter_version: string;
  quality_json: string;
  ingested_by: string;
  ingested_at: string;
}

/** A snapshot to record: its info plus the keys file path. */
export interface NewSnapshot extends SnapshotInfo {
  /** Absolute path of the keys sidecar. */
  keysFile: string;
}

/** An ingest to record in the `ingests` log. */
export interface IngestLogEntry {
  dataset: string;
  at: string;
  user: string;
  source: string;
  adapter: string;
  manifestBefore: string | null;
  manifestAfter: string | null;
  report: unknown;
}

const json = (value: unknown) =>
  JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/** Typed access to `catalog.sqlite`. */
export class CatalogStore {
  private readonly db: Database.Database;

  /** Opens (creating if needed) the catalog database of `storeDir`. */
  constructor(readonly storeDir: string) {
    const file = path.join(storeDir, 'catalog.sqlite');
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('foreign_keys = ON');
      this.db.exec(SCHEMA);
      this.db
        .prepare("INSERT OR IGNORE INTO meta VALUES ('format', ?)")
        .run(String(CATALOG_FORMAT));
    } catch (error) {
      throw new CatalogError(
        'catalog-unreadable',
        { file, reason: (error as Error).message },
        { cause: error }
      );
    }
    const format = Number(
      (this.db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string })
        .value
    );
    if (format > CATALOG_FORMAT) {
      this.db.close();
      throw new CatalogError('catalog-newer', { file, found: format, supported: CATALOG_FORMAT });
    }
  }

  /** Runs `fn` in one IMMEDIATE transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The latest manifest id of `dataset`, or null if it has none. */
  latestManifestId(dataset: string): string | null {
    const row = this.db
      .prepare('SELECT latest_manifest_id AS id FROM datasets WHERE name = ?')
      .get(dataset) as { id: string } | undefined;
    return row?.id ?? null;
  }

  /** Every dataset name, sorted. */
  datasetNames(): string[] {
    return (
      this.db.prepare('SELECT name FROM datasets ORDER BY name').all() as { name: string }[]
    ).map(r => r.name);
  }

  /** A manifest, or undefined. */
  manifest(id: string): ManifestInfo | undefined {
    const row = this.db.prepare('SELECT * FROM manifests WHERE id = ?').get(id) as
      Record<string, string | number | null> | undefined;
    if (!row) {
      return undefined;
    }
    const ids = this.db
      .prepare('SELECT snapshot_id FROM manifest_snapshots WHERE manifest_id = ? ORDER BY 1')
      .pluck()
      .all(id) as string[];
    return {
      id,
      dataset: row.dataset as string,
      snapshotIds: ids,
      parentId: (row.parent_id as string | null) ?? null,
      rowCount: Number(row.row_count),
      createdBy: row.created_by as string,
      createdAt: row.created_at as string
    };
  }

  /** A snapshot with its keys file, or undefined. */
  snapshot(id: string): NewSnapshot | undefined {
    const row = this.db.prepare('SELECT * FROM snapshots WHERE id = ?').safeIntegers().get(id) as
      SnapshotRow | undefined;
    return row ? this.toInfo(row) : undefined;
  }

  /** Snapshots of `dataset` (all ever made), oldest first. */
  snapshotsOf(dataset: string): NewSnapshot[] {
    const rows = this.db
      .prepare('SELECT * FROM snapshots WHERE dataset = ? ORDER BY ingested_at, time_min_ns, id')
      .safeIntegers()
      .all(dataset) as SnapshotRow[];
    return rows.map(r => this.toInfo(r));
  }

  /** Ancestors of `id` (itself at depth 0), nearest first. */
  ancestry(id: string): { id: string; depth: number }[] {
    return this.db
      .prepare(
        `WITH RECURSIVE up(id, depth) AS (
           SELECT ?, 0
           UNION
           SELECT p.parent_id, up.depth + 1 FROM snapshot_parents p JOIN up ON p.snapshot_id = up.id)
         SELECT id, min(depth) AS depth FROM up GROUP BY id ORDER BY depth, id`
      )
      .all(id) as { id: string; depth: number }[];
  }

  /** Inserts snapshots, their lineage, a manifest, and moves the dataset's latest pointer. */
  insertVersion(snapshots: NewSnapshot[], manifest: ManifestInfo): void {
    const insertSnapshot = this.db.prepare(
      `INSERT OR IGNORE INTO snapshots VALUES (@id, @dataset, @table, @schemaVersion, @rowCount,
       @min, @max, @file, @keysFile, @bytes, @source, @adapterName, @adapterVersion, @quality,
       @ingestedBy, @ingestedAt)`
    );
    const insertParent = this.db.prepare('INSERT OR IGNORE INTO snapshot_parents VALUES (?, ?)');
    for (const s of snapshots) {
      insertSnapshot.run({
        id: s.id,
        dataset: s.dataset,
        table: s.table,
        schemaVersion: s.schemaVersion,
        rowCount: s.rowCount,
        min: s.timeRange.min,
        max: s.timeRange.max,
        file: path.relative(this.storeDir, s.file),
        keysFile: path.relative(this.storeDir, s.keysFile),
        bytes: s.bytes,
        source: s.source,
        adapterName: s.adapter.name,
        adapterVersion: s.adapter.version,
        quality: json(s.quality),
        ingestedBy: s.ingestedBy,
        ingestedAt: s.ingestedAt
      });
      for (const parent of s.parents) {
        insertParent.run(s.id, parent);
      }
    }
    this.db
      .prepare('INSERT OR IGNORE INTO manifests VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        manifest.id,
        manifest.dataset,
        manifest.parentId,
        manifest.rowCount,
        manifest.createdBy,
        manifest.createdAt
      );
    const member = this.db.prepare('INSERT OR IGNORE INTO manifest_snapshots VALUES (?, ?)');
    for (const id of manifest.snapshotIds) {
      member.run(manifest.id, id);
    }
    this.db
      .prepare(
        `INSERT INTO datasets VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET latest_manifest_id = excluded.latest_manifest_id`
      )
      .run(manifest.dataset, manifest.id, manifest.createdAt, manifest.createdBy);
  }

  /** Appends an entry to the ingest log. */
  logIngest(entry: IngestLogEntry): void {
    this.db
      .prepare('INSERT INTO ingests VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        entry.dataset,
        entry.at,
        entry.user,
        entry.source,
        entry.adapter,
        entry.manifestBefore,
        entry.manifestAfter,
        json(entry.report)
      );
  }

  /** Number of ingests logged for `dataset`. */
  ingestCount(dataset: string): number {
    return Number(
      this.db.prepare('SELECT count(*) FROM ingests WHERE dataset = ?').pluck().get(dataset)
    );
  }

  /** Every file path (absolute) referenced by a snapshot row. */
  referencedFiles(): Set<string> {
    const rows = this.db.prepare('SELECT file, keys_file FROM snapshots').all() as {
      file: string;
      keys_file: string;
    }[];
    return new Set(rows.flatMap(r => [r.file, r.keys_file].map(f => path.join(this.storeDir, f))));
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }

  private toInfo(row: SnapshotRow): NewSnapshot {
    const parents = this.db
      .prepare('SELECT parent_id FROM snapshot_parents WHERE snapshot_id = ? ORDER BY 1')
      .pluck()
      .all(row.id) as string[];
    return {
      id: row.id,
      dataset: row.dataset,
      table: row.table_kind as TableName,
      schemaVersion: Number(row.schema_version),
      rowCount: Number(row.row_count),
      timeRange: { min: row.time_min_ns, max: row.time_max_ns },
      file: path.join(this.storeDir, row.file),
      keysFile: path.join(this.storeDir, row.keys_file),
      bytes: Number(row.bytes),
      source: row.source,
      adapter: { name: row.adapter_name, version: row.adapter_version },
      parents,
      quality: JSON.parse(row.quality_json) as QualityFigures,
      ingestedBy: row.ingested_by,
      ingestedAt: row.ingested_at
    };
  }
}
