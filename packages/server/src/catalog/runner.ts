/**
 * Runs ingests in `worker_threads` Workers (ingest-worker.ts), one at a time per store, in
 * arrival order, and streams a request body into the running one.
 *
 * Backpressure: the body is read only while the job runs (a queued upload waits in TCP), and is
 * paused while more than `HIGH_WATER` bytes are posted but not yet consumed by the adapter (the
 * worker acknowledges each chunk it reads), so memory stays bounded whatever the upload size.
 *
 * Aborts (client gone, body over `maxBytes`) are posted to the worker, which fails the ingest so
 * `Catalog.ingest` cleans up; the job's slot is released only when the worker has exited.
 */
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

import type {
  FromWorker,
  IngestFailure,
  IngestOutcome,
  IngestProgressView,
  ToWorker,
  WorkerJob
} from './protocol';
import { workerFile } from '../worker-file';

/** Bytes posted to the worker and not yet consumed before the body is paused. */
const HIGH_WATER = 8 * 1024 * 1024;
/** ...and resumed below this. */
const LOW_WATER = 2 * 1024 * 1024;

/** A failed ingest as a thrown error. */
export class IngestFailed extends Error {
  constructor(readonly failure: IngestFailure) {
    super(failure.message);
    this.name = 'IngestFailed';
  }
}

/** What one run gets and reports. */
export interface RunOptions {
  /** The request body, for uploads. */
  body?: Readable;
  /** Largest body accepted. */
  maxBytes?: number;
  /** Aborts the job (queued or running): the client went away. */
  signal?: AbortSignal;
  onProgress?: (progress: IngestProgressView) => void;
  /** Called when the job leaves the queue and its worker starts. */
  onStart?: () => void;
}

/** Options of `IngestRunner`. */
export interface IngestRunnerOptions {
  /** Called when a job stored its data (the audit trail records it); must not throw. */
  onIngested?: (job: WorkerJob, outcome: IngestOutcome) => void;
}

/** Queues and runs ingest jobs. */
export class IngestRunner {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Running workers and how to abort each. */
  private readonly workers = new Map<Worker, () => void>();
  private closed = false;

  constructor(private readonly options: IngestRunnerOptions = {}) {}

  /** Runs `job` after the store's earlier jobs; resolves with its outcome or throws `IngestFailed`. */
  run(job: WorkerJob, options: RunOptions = {}): Promise<IngestOutcome> {
    const previous = this.queues.get(job.storeDir) ?? Promise.resolve();
    const result = previous.then(async () => {
      const outcome = await this.start(job, options);
      this.options.onIngested?.(job, outcome);
      return outcome;
    });
    const settled = result.catch(() => undefined);
    this.queues.set(job.storeDir, settled);
    void settled.then(() => {
      if (this.queues.get(job.storeDir) === settled) {
        this.queues.delete(job.storeDir);
      }
    });
    return result;
  }

  /**
   * Stops every running ingest (server shutdown); they store nothing. Each is aborted first so it
   * removes its work directory, and terminated if it has not exited within `graceMs`.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.workers].map(async ([worker, abort]) => {
        const exited = new Promise<void>(resolve => worker.once('exit', () => resolve()));
        abort();
        const timer = setTimeout(() => void worker.terminate(), graceMs);
        await exited;
        clearTimeout(timer);
      })
    );
  }

  private start(job: WorkerJob, options: RunOptions): Promise<IngestOutcome> {
    const { body, signal } = options;
    if (signal?.aborted || this.closed) {
      return Promise.reject(new IngestFailed(aborted()));
    }
    options.onStart?.();
    return new Promise<IngestOutcome>((resolve, reject) => {
      const worker = new Worker(workerFile(__dirname, 'ingest-worker'), { workerData: job });
      let outcome: IngestOutcome | null = null;
      let failure: IngestFailure | null = null;
      let abortSent = false;
      let inFlight = 0;
      let total = 0;
      const post = (message: ToWorker): void => worker.postMessage(message);
      const abort = (error: IngestFailure): void => {
        if (!abortSent && !outcome && !failure) {
          abortSent = true;
          failure = error;
          post({ type: 'abort', error });
          body?.pause();
        }
      };
      const onAbort = (): void => abort(aborted());
      signal?.addEventListener('abort', onAbort);
      this.workers.set(worker, () =>
        abort({
          code: 'shutdown',
          message: 'The server is shutting down; nothing was stored. Run the ingest again.',
          position: null,
          status: 503
        })
      );

      worker.on('message', (message: FromWorker) => {
        if (message.type === 'credit') {
          inFlight -= message.bytes;
          if (body && inFlight < LOW_WATER && body.isPaused() && !abortSent) {
            body.resume();
          }
        } else if (message.type === 'progress') {
          options.onProgress?.({ bytesRead: message.bytesRead, rowsRead: message.rowsRead });
        } else if (message.type === 'done') {
          outcome = message.outcome;
          void worker.terminate();
        } else {
          // An abort's own reason beats the worker's view of it (the stream error it caused).
          failure = failure ?? message.error;
          void worker.terminate();
        }
      });
      worker.on('error', err => {
        failure = failure ?? {
          code: 'internal',
          message: `The ingest worker failed: ${err.message}`,
          position: null,
          status: 500
        };
      });
      worker.on('exit', () => {
        this.workers.delete(worker);
        signal?.removeEventListener('abort', onAbort);
        body?.removeListener('data', onData);
        if (outcome && !abortSent) {
          resolve(outcome);
        } else {
          reject(
            new IngestFailed(
              failure ?? {
                code: 'internal',
                message: 'The ingest worker stopped without an answer; nothing was stored.',
                position: null,
                status: 500
              }
            )
          );
        }
      });

      const onData = (chunk: Buffer): void => {
        total += chunk.length;
        if (options.maxBytes !== undefined && total > options.maxBytes) {
          abort(tooLarge(options.maxBytes));
          return;
        }
        inFlight += chunk.length;
        // Not transferred: a small chunk may share a pooled buffer with other data.
        post({ type: 'chunk', data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length) });
        if (inFlight > HIGH_WATER) {
          body!.pause();
        }
      };
      if (body) {
        body.on('data', onData);
        body.once('end', () => {
          if (!abortSent) {
            post({ type: 'end' });
          }
        });
        body.once('error', () => abort(aborted()));
        body.once('aborted', () => abort(aborted()));
      } else {
        post({ type: 'end' });
      }
    });
  }
}

/** The failure of an ingest whose client went away. */
export function aborted(): IngestFailure {
  return {
    code: 'aborted',
    message: 'The upload was interrupted (the client disconnected); nothing was stored.',
    position: null,
    status: 400
  };
}

/** The failure of an upload over the limit. */
export function tooLarge(limit: number): IngestFailure {
  return {
    code: 'too-large',
    message: `The upload is over the ${limit} byte limit (maxIngestBytes); nothing was stored. Split the file, or ingest it on the server with 'opsbook ingest FILE'.`,
    position: null,
    status: 413
  };
}
