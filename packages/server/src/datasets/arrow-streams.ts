/**
 * The main thread's side of the Arrow worker (arrow-worker.ts says why it exists): one worker,
 * started on the first Arrow request, shared by every request (each has an id), restarted if it
 * dies. `stream` writes a slice into an HTTP response with backpressure; `describe` reads an
 * Arrow IPC file's columns and time range.
 */
import type { ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';

import { OpsbookError } from '../errors';
import type { Logger } from '../log';
import type {
  ArrowWorkerData,
  ArrowWorkerFailure,
  FromArrowWorker,
  StreamJob,
  ToArrowWorker
} from './arrow-protocol';
import type { EngineOptions } from './engine';
import type { IpcDescription } from './ipcfile';
import { workerFile } from '../worker-file';

/** What one pending request does with the worker's messages. */
interface Pending {
  onMessage(message: FromArrowWorker): void;
  fail(error: Error): void;
}

/** A worker failure as the error the route would have seen in the main thread. */
function toError(failure: ArrowWorkerFailure): Error {
  if (failure.info) {
    return new OpsbookError(failure.info);
  }
  // `String(error)` was "<Name>: <message>"; keep the message (cleanMessage reads it).
  const error = new Error(failure.text.replace(/^Error: /, ''));
  return error;
}

/** Options of `ArrowStreams`. */
export interface ArrowStreamsOptions {
  engine: EngineOptions;
  log: Logger;
}

/** The Arrow worker, seen from the main thread (see the module comment). */
export class ArrowStreams {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(private readonly options: ArrowStreamsOptions) {}

  /**
   * Streams `job` into `res`: calls `onSchema` before the first byte (the caller writes the head),
   * resolves with the row count once the response ended, and rejects with the worker's error.
   * Stops the worker's query when `res` closes early.
   */
  stream(job: StreamJob, res: ServerResponse, onSchema: () => void): Promise<number> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const onClose = (): void => {
        if (!res.writableFinished) {
          this.post({ type: 'abort', id });
        }
      };
      res.on('close', onClose);
      const done = (): void => {
        res.off('close', onClose);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        onMessage: message => {
          switch (message.type) {
            case 'schema':
              onSchema();
              break;
            case 'bytes': {
              const bytes = message.chunk.byteLength;
              const ack = (): void => this.post({ type: 'ack', id, bytes });
              if (res.destroyed) {
                break;
              }
              if (res.write(message.chunk)) {
                ack();
              } else {
                waitForDrain(res, ack);
              }
              break;
            }
            case 'end':
              done();
              if (!res.destroyed) {
                res.end();
              }
              resolve(message.rows);
              break;
            case 'error':
              done();
              reject(toError(message.failure));
              break;
          }
        },
        fail: error => {
          done();
          reject(error);
        }
      });
      this.post({ type: 'stream', id, job });
    });
  }

  /** The columns, row count and time range of an Arrow IPC file. */
  describe(file: string): Promise<IpcDescription> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, {
        onMessage: message => {
          this.pending.delete(id);
          if (message.type === 'described') {
            resolve(message.description as IpcDescription);
          } else if (message.type === 'error') {
            reject(toError(message.failure));
          }
        },
        fail: error => {
          this.pending.delete(id);
          reject(error);
        }
      });
      this.post({ type: 'describe', id, file });
    });
  }

  /** Stops the worker; pending requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      await worker.terminate();
    }
  }

  private post(message: ToArrowWorker): void {
    if (this.closed) {
      this.pending.get(message.id)?.fail(new Error('The server is shutting down.'));
      return;
    }
    this.start().postMessage(message);
  }

  private start(): Worker {
    if (this.worker) {
      return this.worker;
    }
    const workerData: ArrowWorkerData = { engine: this.options.engine };
    const worker = new Worker(workerFile(__dirname, 'arrow-worker'), { workerData });
    // The worker must not keep a server that is closing alive.
    worker.unref();
    worker.on('message', (message: FromArrowWorker) =>
      this.pending.get(message.id)?.onMessage(message)
    );
    const lost = (why: string): void => {
      if (this.worker !== worker) {
        return;
      }
      this.worker = null;
      const error = new Error(`The Arrow worker stopped (${why}); the request can be retried.`);
      for (const p of [...this.pending.values()]) {
        p.fail(error);
      }
    };
    worker.on('error', error => {
      this.options.log.error('The Arrow worker failed', error);
      lost(error.message);
    });
    worker.on('exit', code => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }
}

/** Calls `fn` once the response can take more, or is gone. */
function waitForDrain(res: ServerResponse, fn: () => void): void {
  const done = (): void => {
    res.off('drain', done);
    res.off('close', done);
    fn();
  };
  res.on('drain', done);
  res.on('close', done);
}
