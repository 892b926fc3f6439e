/**
 * Messages between the server's main thread and the Arrow worker (arrow-worker.ts), which holds
 * everything that needs apache-arrow: streaming `/arrow` slices and describing Arrow IPC files.
 * Types only: importing this module loads nothing.
 */
import type { ErrorInfo } from '../errors';
import type { ByteSink } from './byte-sink';
import type { EngineOptions } from './engine';
import type { IpcQuery } from './ipcfile';
import type { CatalogItem } from './model';
import type { ArrowQuery } from './select';

export type { ByteSink };

/** The worker's start-up data. */
export interface ArrowWorkerData {
  engine: EngineOptions;
}

/** One `/arrow` slice to stream. */
export type StreamJob =
  | { kind: 'duckdb'; item: CatalogItem; query: ArrowQuery; batchRows: number; timeoutMs: number }
  | { kind: 'ipc'; file: string; query: IpcQuery };

export type ToArrowWorker =
  | { type: 'stream'; id: number; job: StreamJob }
  | { type: 'describe'; id: number; file: string }
  /** The main thread wrote the bytes of one `bytes` message. */
  | { type: 'ack'; id: number; bytes: number }
  /** The client went away: stop, interrupting DuckDB. */
  | { type: 'abort'; id: number };

/** A failure: an `OpsbookError`'s info, or any other error's `String(error)`. */
export interface ArrowWorkerFailure {
  info?: ErrorInfo;
  text: string;
}

export type FromArrowWorker =
  /** The schema is known: the response head may be written. */
  | { type: 'schema'; id: number }
  | { type: 'bytes'; id: number; chunk: Uint8Array }
  | { type: 'end'; id: number; rows: number }
  | { type: 'described'; id: number; description: unknown }
  | { type: 'error'; id: number; failure: ArrowWorkerFailure };
