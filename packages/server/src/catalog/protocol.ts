/**
 * The ingest worker protocol and the names shared by the catalog routes, the worker and the CLI.
 *
 * An ingest runs in a `worker_threads` Worker (see runner.ts) that receives its job as
 * `workerData` and then talks over the worker's message port:
 *
 *   main -> worker   {type:'chunk', data}   a piece of the request body (the buffer is transferred)
 *                    {type:'end'}           the body is complete
 *                    {type:'abort', error}  stop: the ingest fails with `error`, nothing is stored
 *   worker -> main   {type:'credit', bytes} the adapter consumed `bytes` (backpressure, see runner)
 *                    {type:'progress', bytesRead, rowsRead}   at most every `progressIntervalMs`
 *                    {type:'done', outcome} / {type:'failed', error}   then the worker exits
 *
 * This module must stay free of apache-arrow (and of anything importing it, such as
 * `@opsbook/adapters`, `@opsbook/catalog`'s index or `@opsbook/telemetry-schema`): the server's
 * main thread imports it, and arrow slows yjs ~75x once loaded (see datasets/routes.ts).
 */
import type { TableName } from '@opsbook/telemetry-schema';

import type { TableAlias } from './tables';
import type { SnapshotView } from './views';

export { TABLE_ALIASES, tableAlias } from './tables';
export type { TableAlias } from './tables';

/**
 * Adapter kinds accepted by `opsbook ingest --as` and `POST /api/opsbook/ingest?as=`. The list of
 * record is `ADAPTER_KINDS` in @opsbook/adapters' registry, which the main thread cannot import
 * (it loads apache-arrow); test/catalog-protocol.spec.ts checks that the two agree.
 */
export const INGEST_KINDS = [
  'otlp',
  'otlp-proto',
  'prom',
  'prom-api',
  'alertmanager',
  'jsonl',
  'text',
  'csv',
  'parquet',
  'arrow'
] as const;

/** One of `INGEST_KINDS`. */
export type IngestKind = (typeof INGEST_KINDS)[number];

/** What to do with a bad record. */
export type OnError = 'reject' | 'quarantine';

/** Everything an upload or file ingest needs besides its bytes. */
export interface FileIngestJob {
  type: 'ingest';
  /** Catalog store directory. */
  storeDir: string;
  dataset: string;
  kind: IngestKind;
  /** Restrict to (and, for csv/parquet/arrow, map into) this table. */
  table?: TableName;
  onError: OnError;
  /** Recorded as the snapshots' source (file name or path). */
  source: string;
  /** Recorded as who ingested (the authenticated user, never a client-supplied name). */
  user: string;
  /** Text of a service catalog (JSON or CSV), if any. */
  serviceCatalog?: string;
  progressIntervalMs: number;
}

/** A pull from a configured Prometheus or Alertmanager. */
export interface PullJob {
  type: 'pull';
  storeDir: string;
  dataset: string;
  source: 'prometheus' | 'alertmanager';
  /** The operator-configured base URL (never a client's). */
  baseUrl: string;
  query?: string;
  start?: string;
  end?: string;
  step?: string;
  onError: OnError;
  user: string;
  progressIntervalMs: number;
}

/** A job for the ingest worker. */
export type WorkerJob = FileIngestJob | PullJob;

/** Where in the input an error is. */
export interface InputPosition {
  line?: number;
  byteOffset?: number;
  record?: string;
}

/** A failed ingest, as sent to clients: nothing was stored. */
export interface IngestFailure {
  /** Stable code (adapter or catalog error code, `too-large`, `aborted`, ...). */
  code: string;
  /** For people: what, where and what to do. */
  message: string;
  position: InputPosition | null;
  /** HTTP status when the answer has not started yet. */
  status: number;
}

/** Quarantined rows of one reason. */
export interface QuarantineGroup {
  code: string;
  rows: number;
  /** The first message of this reason, with its position. */
  example: string;
}

/** Row accounting of one ingest: rowsIn = rowsStored + duplicatesDropped + rowsQuarantined. */
export interface IngestReportView {
  dataset: string;
  source: string;
  adapter: string;
  bytesRead: number;
  rowsIn: number;
  rowsStored: number;
  duplicatesDropped: number;
  rowsQuarantined: number;
  quarantine: QuarantineGroup[];
  unchanged: boolean;
  /** Per user-facing table name. */
  tables: Partial<
    Record<
      TableAlias,
      { rowsIn: number; duplicatesDropped: number; rowsStored: number; snapshotId: string | null }
    >
  >;
  /** The dataset's latest manifest after the ingest. */
  manifestId: string | null;
  notes: string[];
}

/** A successful ingest. */
export interface IngestOutcome {
  report: IngestReportView;
  snapshots: SnapshotView[];
}

/** Progress of a running ingest. */
export interface IngestProgressView {
  bytesRead: number;
  rowsRead: number;
}

/** Messages from the main thread to the worker. */
export type ToWorker =
  { type: 'chunk'; data: Uint8Array } | { type: 'end' } | { type: 'abort'; error: IngestFailure };

/** Messages from the worker to the main thread. */
export type FromWorker =
  | { type: 'credit'; bytes: number }
  | ({ type: 'progress' } & IngestProgressView)
  | { type: 'done'; outcome: IngestOutcome }
  | { type: 'failed'; error: IngestFailure };
