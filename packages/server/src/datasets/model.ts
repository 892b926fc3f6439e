/**
 * The shapes of the dataset catalog, shared by the catalog, the IPC reader and the routes. This is
 * the JSON contract of `GET /api/datasets` that the browser reads.
 */

/** File formats the catalog understands. */
export type DatasetFormat = 'parquet' | 'csv' | 'arrow' | 'arrows';

/** A column as listed. */
export interface ColumnInfo {
  name: string;
  /** DuckDB type name (`TIMESTAMP`, `VARCHAR`, ...). */
  type: string;
}

/** One dataset in `GET /api/datasets`. */
export interface DatasetEntry {
  name: string;
  file: string;
  format: DatasetFormat;
  size: number;
  rowCount: number | null;
  columns: ColumnInfo[];
  timeColumn: string | null;
  timeRange: { start: string; end: string } | null;
  modified: string;
  /** For a table of the telemetry catalog: the snapshot it is read at (the newest one). */
  snapshot?: { dataset: string; table: string; id: string };
  /** `snapshot.id`, flat (what @opsbook/query-engine's listing reads). */
  snapshotId?: string;
  /** Why the file could not be read; the other fields are then empty. */
  error?: string;
}

/** A file that is not listed, and why. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** A listed dataset with the real path of its file. */
export interface CatalogItem {
  entry: DatasetEntry;
  path: string;
  /** A catalog table: every Parquet file of its snapshots (the table is their union). */
  files?: string[];
}
