/**
 * The query engine contract shared by the browser, Node tests, the CLI and the server.
 *
 * Pipeline of one query (each phase has its own module):
 *
 *   SQL --split--> statements --plan (EXPLAIN on schema stubs)--> scans (table, columns, time bounds)
 *       --load (fetch Arrow IPC for missing columns/rows)--> DuckDB tables --execute--> Arrow table
 *
 * Callers only see `QueryEngine`; how DuckDB runs (a Web Worker in the browser, the blocking
 * bindings in Node) is an implementation detail of `DuckDBEngine`'s port.
 */
import type { Table } from 'apache-arrow';

/** A column of a dataset, with its DuckDB type name (as `DESCRIBE` prints it). */
export interface ColumnInfo {
  name: string;
  type: string;
}

/** What the engine needs to know about a dataset before it loads any of its rows. */
export interface DatasetDescriptor {
  /** The table name the SQL uses (a plain lower-case identifier). */
  name: string;
  columns: ColumnInfo[];
  /** The column the data is sorted and filtered by, when the dataset has one. */
  timeColumn?: string | null;
  rowCount?: number;
  /** The snapshot (content hash) these rows come from, when the server knows it. */
  snapshotId?: string | null;
}

/** A slice of a dataset: only these columns, only rows with time in [start, end]. */
export interface SliceRequest {
  columns: string[];
  /** Inclusive bounds on the time column as ISO-8601 strings; absent means unbounded. */
  start?: string;
  end?: string;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
}

/**
 * A slice as served, with the snapshot its bytes were read from (the server's
 * `X-Opsbook-Snapshot`), so provenance names the data actually loaded, not the listing's.
 */
export interface ServedSlice {
  ipc: Uint8Array;
  /** The snapshot the server read; null when it did not say (a plain file). */
  snapshotId: string | null;
}

/**
 * A dataset the engine can load lazily, a slice at a time, as Arrow IPC stream bytes. A source
 * that knows which snapshot served the bytes returns a `ServedSlice`.
 */
export interface DatasetSource extends DatasetDescriptor {
  fetchSlice(request: SliceRequest): Promise<Uint8Array | ServedSlice>;
}

/** One phase of a running query, reported as it happens. */
export interface QueryProgress {
  phase: 'planning' | 'loading' | 'executing' | 'done';
  elapsedMs: number;
  /** Bytes of data fetched so far in the loading phase. */
  bytesLoaded?: number;
  /** Which dataset is being loaded. */
  dataset?: string;
}

/**
 * How one table was read by a query: what DuckDB scanned and what had to be fetched for it. A
 * dataset scan names the snapshot it read; a scan of a result table (an earlier cell's result,
 * registered with `registerResult`) has kind 'result' and no snapshot: its provenance is the run
 * that produced it, which only the caller knows.
 */
export interface ScanRecord {
  table: string;
  /** 'dataset' (absent in older records) or 'result' (a table made by `registerResult`). */
  kind?: 'dataset' | 'result';
  columns: string[];
  start?: string;
  end?: string;
  /**
   * The snapshot of the rows DuckDB scanned: the one the server said it served for the slice in
   * memory (`X-Opsbook-Snapshot`), else the listing's.
   */
  snapshotId?: string | null;
  /** True when the plan could not be derived and the whole table was loaded. */
  fullLoad: boolean;
}

/** Options of one query. */
export interface QueryOptions {
  /** Aborting it cancels the query (including a data fetch under way). */
  signal?: AbortSignal;
  /** Overrides the engine's per-query time limit. */
  timeoutMs?: number;
  onProgress?: (progress: QueryProgress) => void;
}

/** The result of the last statement of a query, with timings and what was scanned. */
export interface QueryResult {
  table: Table;
  elapsedMs: number;
  /** The statements as executed, in order. */
  statements: string[];
  scans: ScanRecord[];
}

/** Name, version and effective settings of the engine, for provenance. */
export interface EngineInfo {
  name: string;
  version: string;
  settings: Record<string, string>;
}

/** Limits and behaviour of an engine, normally taken from the user's settings. */
export interface EngineSettings {
  /** Per-query time limit in milliseconds; 0 disables it. */
  queryTimeoutMs: number;
  /** DuckDB `memory_limit`, e.g. '2GB'. */
  memoryLimit: string;
}

/** Defaults of `EngineSettings`: long enough for a 10M-row scan, small enough to stop a runaway. */
export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  queryTimeoutMs: 60_000,
  memoryLimit: '2GB'
};

/** One interface over DuckDB for every caller. */
export interface QueryEngine {
  readonly info: EngineInfo;
  /** Makes a dataset queryable by its name; its rows are fetched when a query first needs them. */
  registerDataset(source: DatasetSource): Promise<void>;
  /** The registered datasets (for completion and the catalog). */
  datasets(): DatasetDescriptor[];
  /** Creates (or replaces) a table from Arrow IPC stream bytes, fully in memory. */
  loadArrow(name: string, ipc: Uint8Array): Promise<void>;
  /**
   * Keeps a cell's full result as a local table `name` (replacing an earlier result of that name),
   * so later queries can read it; their scans of it are reported with kind 'result'. A name that
   * is a registered dataset is refused.
   */
  registerResult(name: string, table: Table): Promise<void>;
  /** The names of the result tables registered, sorted. */
  results(): string[];
  /** Runs one or more `;`-separated statements; resolves with the last statement's result. */
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  /** Cancels the query that is running, if any. */
  cancel(): Promise<void>;
  dispose(): Promise<void>;
}
