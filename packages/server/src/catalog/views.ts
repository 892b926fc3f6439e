/**
 * JSON views of catalog records, shared by the REST API (`/api/opsbook/catalog`), the ingest
 * answers and `opsbook catalog ls|show --json`: nanosecond bigints become ISO-8601 strings plus
 * exact decimal strings, canonical table names their user-facing names (`metric_points` ->
 * `metrics`), and each snapshot carries its schema (columns and DuckDB types).
 *
 * Arrow-free (see protocol.ts): only types from @opsbook/catalog and the plain table declaration
 * of @opsbook/telemetry-schema are used.
 */
import type { LineageEntry, ManifestInfo, QualityFigures, SnapshotInfo } from '@opsbook/catalog';
import type { ColumnKind, TableName } from '@opsbook/telemetry-schema';
import { TABLES } from '@opsbook/telemetry-schema/lib/tables';

import { TableAlias, tableAlias } from './tables';

/** A time range: ISO-8601 (millisecond precision) and exact ns since the epoch as text. */
export interface TimeRangeView {
  start: string;
  end: string;
  startNs: string;
  endNs: string;
}

/** A column of a snapshot's schema. */
export interface ColumnView {
  name: string;
  /** DuckDB type of the Parquet column. */
  type: string;
  nullable: boolean;
}

/** One snapshot. */
export interface SnapshotView {
  id: string;
  dataset: string;
  /** User-facing table name (`spans`, `logs`, `metrics`, `events`). */
  table: TableAlias;
  /** Telemetry schema table (`metric_points` for metrics). */
  canonicalTable: TableName;
  schemaVersion: number;
  schema: { columns: ColumnView[] };
  rows: number;
  timeRange: TimeRangeView;
  bytes: number;
  source: string;
  adapter: { name: string; version: string };
  parents: string[];
  quality: QualityFigures;
  by: string;
  at: string;
}

/** One table of a dataset's latest version. */
export interface TableView {
  /** The newest snapshot of the table (the version the table is named by). */
  snapshotId: string;
  /** All snapshots of the table in the latest manifest (their union is the table). */
  snapshotIds: string[];
  rows: number;
  timeRange: TimeRangeView;
}

/** A dataset and its latest version. */
export interface DatasetView {
  name: string;
  latestManifestId: string;
  tables: Partial<Record<TableAlias, TableView>>;
  rows: number;
  updated: string;
  by: string;
}

/** One step of lineage. */
export interface LineageView {
  snapshotId: string;
  /** Its ancestors' ids, nearest first, with their distance. */
  ancestors: { id: string; depth: number; table: TableAlias; dataset: string }[];
}

const DUCKDB_TYPES: Record<ColumnKind, string> = {
  utf8: 'VARCHAR',
  timestamp_ns: 'TIMESTAMP_NS',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  attributes: 'MAP(VARCHAR, VARCHAR)',
  list_int64: 'BIGINT[]',
  list_float64: 'DOUBLE[]'
};

/** The columns of a canonical table as stored in a snapshot. */
export function schemaOf(table: TableName): ColumnView[] {
  return TABLES[table].columns.map(c => ({
    name: c.name,
    type: DUCKDB_TYPES[c.kind] ?? 'VARCHAR',
    nullable: c.nullable
  }));
}

/** ns since the epoch -> ISO-8601 (ms precision). */
export function isoOfNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : '';
}

/** A time range view. */
export function timeRangeView(range: { min: bigint; max: bigint }): TimeRangeView {
  return {
    start: isoOfNs(range.min),
    end: isoOfNs(range.max),
    startNs: range.min.toString(),
    endNs: range.max.toString()
  };
}

/** A snapshot view. */
export function snapshotView(s: SnapshotInfo): SnapshotView {
  return {
    id: s.id,
    dataset: s.dataset,
    table: tableAlias(s.table),
    canonicalTable: s.table,
    schemaVersion: s.schemaVersion,
    schema: { columns: schemaOf(s.table) },
    rows: s.rowCount,
    timeRange: timeRangeView(s.timeRange),
    bytes: s.bytes,
    source: s.source,
    adapter: s.adapter,
    parents: s.parents,
    quality: s.quality,
    by: s.ingestedBy,
    at: s.ingestedAt
  };
}

/** The tables of a manifest: per table, its snapshots (newest last), rows and time range. */
export function tablesOf(snapshots: SnapshotInfo[]): Partial<Record<TableAlias, TableView>> {
  const ordered = [...snapshots].sort((a, b) =>
    a.ingestedAt === b.ingestedAt ? (a.id < b.id ? -1 : 1) : a.ingestedAt < b.ingestedAt ? -1 : 1
  );
  const tables: Partial<Record<TableAlias, TableView & { min: bigint; max: bigint }>> = {};
  for (const s of ordered) {
    const alias = tableAlias(s.table);
    const t = (tables[alias] ??= {
      snapshotId: s.id,
      snapshotIds: [],
      rows: 0,
      timeRange: timeRangeView(s.timeRange),
      min: s.timeRange.min,
      max: s.timeRange.max
    });
    t.snapshotId = s.id;
    t.snapshotIds.push(s.id);
    t.rows += s.rowCount;
    t.min = s.timeRange.min < t.min ? s.timeRange.min : t.min;
    t.max = s.timeRange.max > t.max ? s.timeRange.max : t.max;
  }
  const out: Partial<Record<TableAlias, TableView>> = {};
  for (const [alias, t] of Object.entries(tables) as [
    TableAlias,
    TableView & { min: bigint; max: bigint }
  ][]) {
    out[alias] = {
      snapshotId: t.snapshotId,
      snapshotIds: t.snapshotIds,
      rows: t.rows,
      timeRange: timeRangeView({ min: t.min, max: t.max })
    };
  }
  return out;
}

/** A dataset view from its latest manifest and that manifest's snapshots. */
export function datasetView(
  name: string,
  manifest: ManifestInfo,
  snapshots: SnapshotInfo[]
): DatasetView {
  return {
    name,
    latestManifestId: manifest.id,
    tables: tablesOf(snapshots),
    rows: manifest.rowCount,
    updated: manifest.createdAt,
    by: manifest.createdBy
  };
}

/** A lineage view of a snapshot. */
export function lineageView(id: string, entries: LineageEntry[]): LineageView {
  return {
    snapshotId: id,
    ancestors: entries
      .filter(e => e.depth > 0)
      .map(e => ({
        id: e.snapshot.id,
        depth: e.depth,
        table: tableAlias(e.snapshot.table),
        dataset: e.snapshot.dataset
      }))
  };
}
