/**
 * The catalog's data model (see docs/catalog.md):
 *
 *   dataset ──latest──▶ manifest ──lists──▶ snapshot, snapshot, ...   (one table each)
 *                          │ parent                │ parents (lineage)
 *                          ▼                       ▼
 *                      manifest ...            snapshot ...
 *
 * - A SNAPSHOT is one immutable Parquet file of ONE canonical table: deduplicated rows, sorted by
 *   the table's time column, named by its content id.
 * - A MANIFEST is one version of a dataset: an immutable SET of snapshot ids (any tables), named
 *   by the SHA-256 of the dataset name and the sorted ids. Each ingest that stores rows makes a new
 *   manifest = the previous one + the new snapshots; its parent is the previous manifest.
 * - A DATASET is a name and a "latest" pointer to its newest manifest, moved in the same SQLite
 *   transaction that records the snapshots. A cell pins a manifest id (a whole dataset version) or
 *   a snapshot id; `resolve` turns either into the files to read.
 */
import type { TableName } from '@opsbook/telemetry-schema';

/** Valid dataset names: a plain SQL identifier, also safe as a directory name. */
export const DATASET_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Rows per Parquet row group by default: 122,880 = 60 × 2,048, DuckDB's own row group size (so
 * DuckDB reads a group with whole vectors and parallelises one group per thread). Rows are sorted
 * by time, so each group covers one time slice whose min/max statistics let a time-range query
 * skip the rest; ~120k rows of spans is a few MB compressed: big enough for zstd and a small
 * footer, small enough that a narrow time window reads only a few MB.
 */
export const DEFAULT_ROW_GROUP_SIZE = 122_880;

/** DuckDB writes row groups in whole vectors of this many rows; the size must be a multiple. */
export const ROW_GROUP_MULTIPLE = 2_048;

/** Default DuckDB memory limit of one ingest; beyond it the staging work spills to disk. */
export const DEFAULT_MEMORY_LIMIT = '512MB';

/**
 * The time column of each canonical table: rows are sorted by it and the time range is its
 * min/max. (Belongs in @opsbook/telemetry-schema's declaration; kept here until it moves.)
 */
export const TIME_COLUMN: Record<TableName, string> = {
  spans: 'start_time',
  logs: 'time',
  metric_points: 'time',
  events: 'time'
};

/** Name and version of what produced a snapshot's rows. */
export interface AdapterInfo {
  /** Adapter name (`otlp-json`, `arrow-batches`, ...). */
  name: string;
  /** Version of the package that implements it. */
  version: string;
}

/** Clock skew between two services, seen through parent/child spans (see docs/catalog.md). */
export interface SpanSkew {
  /** Service of the parent span. */
  parentService: string | null;
  /** Service of the child span. */
  childService: string | null;
  /** Parent/child pairs compared. */
  pairs: number;
  /** Pairs where the child starts before its parent or ends after it. */
  violations: number;
  /** Largest skew in ns (0 when no violation). */
  maxSkewNs: number;
  /** 95th percentile (nearest rank) of the skew over all compared pairs, in ns. */
  p95SkewNs: number;
}

/** Offset of a service's log timestamps against the observed (collector) time. */
export interface ObservedOffset {
  /** The service. */
  service: string | null;
  /** Records with both times. */
  records: number;
  /** Median of observed_time - time in ns (positive: stamped before it was observed). */
  medianOffsetNs: number;
  /** Largest |observed_time - time| in ns. */
  maxAbsOffsetNs: number;
}

/** Quarantined rows of one reason. */
export interface QuarantineSummary {
  /** Rows set aside with this code. */
  rows: number;
  /** The first message of this code, with its position. */
  example: string;
}

/** Data-quality figures of one snapshot (input figures are those of the ingest that made it). */
export interface QualityFigures {
  /** Rows of this table that arrived, before deduplication. */
  rowsIn: number;
  /** Rows dropped because an earlier row of the same input had the same idempotence key. */
  duplicatesWithinInput: number;
  /** Rows dropped because the dataset's latest manifest already held their key. */
  duplicatesOfEarlierSnapshots: number;
  /** Records the adapter quarantined during the ingest (all tables: a bad record has no table). */
  rowsQuarantined: number;
  /** Quarantined rows by error code. */
  quarantineReasons: Record<string, QuarantineSummary>;
  /** Rows whose time is earlier than a row that arrived before them. */
  outOfOrderRows: number;
  /** How far the latest such row was behind the running maximum, in ns. */
  maxLatenessNs: number;
  /** Per column, the fraction of stored rows that are null (0..1). */
  nullRates: Record<string, number>;
  /** Spans only: cross-service parent/child containment skew, per service pair. */
  spanSkew?: SpanSkew[];
  /** Logs only: per service, observed_time - time. */
  observedOffset?: ObservedOffset[];
}

/** One snapshot as recorded in the catalog. */
export interface SnapshotInfo {
  /** Content id: 64 hex digits (see `canonical.ts`). */
  id: string;
  /** Its dataset. */
  dataset: string;
  /** Which canonical table it holds. */
  table: TableName;
  /** The telemetry schema version of its columns. */
  schemaVersion: number;
  /** Rows stored. */
  rowCount: number;
  /** Min and max of the time column, ns since the epoch (UTC). */
  timeRange: { min: bigint; max: bigint };
  /** Absolute path of the Parquet file. */
  file: string;
  /** Size of the Parquet file in bytes. */
  bytes: number;
  /** Where the rows came from: a file path, URL or query. */
  source: string;
  /** What produced the rows. */
  adapter: AdapterInfo;
  /** Snapshots it was appended to or derived from. */
  parents: string[];
  /** Data-quality figures. */
  quality: QualityFigures;
  /** Who ingested it. */
  ingestedBy: string;
  /** When, as ISO-8601 UTC. */
  ingestedAt: string;
}

/** One version of a dataset: an immutable set of snapshots. */
export interface ManifestInfo {
  /** Content id: SHA-256 of the dataset name and the sorted snapshot ids. */
  id: string;
  /** Its dataset. */
  dataset: string;
  /** Its snapshots, sorted by id. */
  snapshotIds: string[];
  /** The manifest it extends, or null for a dataset's first one. */
  parentId: string | null;
  /** Rows over all its snapshots. */
  rowCount: number;
  /** Who made it. */
  createdBy: string;
  /** When, as ISO-8601 UTC. */
  createdAt: string;
}

/** A dataset and its current version. */
export interface DatasetInfo {
  /** Its name. */
  name: string;
  /** The latest manifest. */
  latest: ManifestInfo;
  /** Rows and snapshot count per table in the latest manifest. */
  tables: Partial<Record<TableName, { rows: number; snapshots: number }>>;
  /** Min and max time over the latest manifest, ns since the epoch. */
  timeRange: { min: bigint; max: bigint };
}

/** What to read for a dataset version. */
export interface ResolvedDataset {
  /** The dataset. */
  dataset: string;
  /** The manifest resolved, or null when a single snapshot was pinned. */
  manifestId: string | null;
  /** The snapshots included. */
  snapshotIds: string[];
  /** Absolute Parquet paths per table, sorted by snapshot time range. */
  files: Partial<Record<TableName, string[]>>;
}

/** One step of a snapshot's ancestry. */
export interface LineageEntry {
  /** The snapshot. */
  snapshot: SnapshotInfo;
  /** Distance from the snapshot asked about (0 = itself). */
  depth: number;
}
