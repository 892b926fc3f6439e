/**
 * WAL checkpoints of the collaboration store, off the main thread.
 *
 * In WAL mode with `synchronous=NORMAL` a commit only appends to the WAL, without fsync. The
 * fsyncs come with checkpoints, which copy the WAL back into the database file. SQLite runs one
 * automatically inside whichever commit pushes the WAL past 1,000 pages, so every second or so
 * one drain of the update log stalled the main thread for the copy and two fsyncs. On this
 * benchmark machine that was up to 6 ms; on a busy or network disk it is tens of milliseconds.
 * Every collaboration message arriving meanwhile waited.
 *
 * Instead, the main connection turns automatic checkpoints off (`wal_autocheckpoint = 0`), and a
 * worker thread with its own connection runs a PASSIVE checkpoint every `CHECKPOINT_INTERVAL_MS`
 * (`checkpoint-worker.ts`). This is the arrangement SQLite's WAL documentation suggests. A
 * PASSIVE checkpoint neither waits for nor blocks the main connection. Durability does not
 * change: a commit in the WAL is as safe as one copied to the database file.
 *
 * The worker starts with the first write (a store that is only read, e.g. by a CLI command,
 * never starts one). If it cannot start, or stops, the main connection checkpoints by itself
 * again, and a warning says so. `close` stops the worker and waits until its connection has
 * closed, so that the main connection closes last and removes the WAL.
 */
import { Worker } from 'node:worker_threads';

import type Database from 'better-sqlite3';

import type { Logger } from '../log';
import { workerFile } from '../worker-file';

/** How often the worker checkpoints: the WAL then holds about a second of updates. */
export const CHECKPOINT_INTERVAL_MS = 1000;
/** SQLite's own default, restored when the worker is not running. */
const AUTOCHECKPOINT_PAGES = 1000;
/** Longest `close` waits for the worker's connection to close (a checkpoint in progress). */
const CLOSE_WAIT_MS = 5000;

/** What the worker is started with. */
export interface CheckpointWorkerData {
  file: string;
  intervalMs: number;
  /** One Int32: the worker sets it to 1 once its connection is closed. */
  closed: SharedArrayBuffer;
}

/** Messages from the worker. */
export type FromCheckpointWorker =
  { type: 'checkpoint'; log: number; checkpointed: number } | { type: 'error'; message: string };

/** Runs the store's checkpoints in a worker thread (see the file comment). */
export class Checkpointer {
  private worker: Worker | null = null;
  private readonly closed = new SharedArrayBuffer(4);
  private stopped = false;
  /** Checkpoints that found frames to copy, and the frames they copied (tests, benchmarks). */
  readonly stats = { checkpoints: 0, frames: 0 };

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly log: Logger,
    private readonly intervalMs = CHECKPOINT_INTERVAL_MS
  ) {}

  /** Whether the worker is running (the main connection does not checkpoint by itself). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker unless it runs, failed before, or the store is closing. */
  start(): void {
    if (this.worker !== null || this.stopped) {
      return;
    }
    const data: CheckpointWorkerData = {
      file: this.file,
      intervalMs: this.intervalMs,
      closed: this.closed
    };
    let worker: Worker;
    try {
      worker = new Worker(workerFile(__dirname, 'checkpoint-worker'), { workerData: data });
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    worker.unref();
    worker.on('message', (message: FromCheckpointWorker) => {
      if (message.type === 'checkpoint') {
        this.stats.checkpoints++;
        this.stats.frames += message.checkpointed;
      } else {
        this.log.warn(`A checkpoint of the collaboration store failed: ${message.message}`);
      }
    });
    worker.on('error', err => this.fail(err.message));
    worker.on('exit', code => {
      if (this.worker === worker) {
        this.fail(`the thread exited with code ${code}`);
      }
    });
    this.db.pragma('wal_autocheckpoint = 0');
    this.worker = worker;
  }

  /** Stops the worker and waits (bounded) until its connection is closed. */
  close(): void {
    this.stopped = true;
    const worker = this.worker;
    if (worker === null) {
      return;
    }
    this.worker = null;
    worker.postMessage('close');
    // Synchronous on purpose: the store's close is, and must close its connection last.
    Atomics.wait(new Int32Array(this.closed), 0, 0, CLOSE_WAIT_MS);
    void worker.terminate();
  }

  private fail(reason: string): void {
    this.worker = null;
    this.stopped = true;
    if (this.db.open) {
      this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    }
    this.log.warn(
      `The collaboration store's checkpoint thread stopped (${reason}); the main thread checkpoints the WAL again.`
    );
  }
}
