/**
 * The ingest worker: runs ONE ingest (an upload or a pull) off the server's main thread, so a big
 * ingest never stalls live editing and apache-arrow never enters the main isolate. Protocol in
 * protocol.ts; started by runner.ts with the job as `workerData`.
 *
 * Nothing is stored unless the whole ingest succeeds: an abort (client gone, upload too large)
 * fails the input stream or, once the input is read, the catalog's publish/commit hooks, and
 * `Catalog.ingest` then removes its work directory and any unreferenced file.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

import * as adapters from '@opsbook/adapters';
import { Catalog } from '@opsbook/catalog';

import type {
  FileIngestJob,
  FromWorker,
  IngestOutcome,
  PullJob,
  ToWorker,
  WorkerJob
} from './protocol';
import {
  failureOf,
  FailureError,
  ingestBytes,
  ingestPath,
  ingestWith,
  throttled
} from './run-ingest';

/** The request body as an async iterable fed by the main thread, acknowledging each chunk read. */
class ChunkFeed implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  /** Set when the main thread aborts: the next read (and the commit hooks) throw it. */
  aborted: FailureError | null = null;
  /** Called on abort (cancels a running pull). */
  onAbort: (() => void) | null = null;

  constructor(private readonly send: (m: FromWorker) => void) {}

  push(message: ToWorker): void {
    if (message.type === 'chunk') {
      this.queue.push(message.data);
    } else if (message.type === 'end') {
      this.ended = true;
    } else {
      this.aborted = new FailureError(message.error);
      this.onAbort?.();
    }
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.aborted) {
        throw this.aborted;
      }
      const chunk = this.queue.shift();
      if (chunk) {
        this.send({ type: 'credit', bytes: chunk.byteLength });
        yield chunk;
        continue;
      }
      if (this.ended) {
        return;
      }
      await new Promise<void>(resolve => (this.wake = resolve));
      this.wake = null;
    }
  }
}

/**
 * HTTP status of a live-pull error: the request's fault (400), the answer over a limit (422), or
 * the upstream server failing (502).
 */
const LIVE_STATUS: Partial<Record<adapters.LiveErrorCode, number>> = {
  'bad-parameter': 400,
  'too-many-points': 400,
  'api-error': 400,
  'too-many-samples': 422,
  'response-too-large': 422,
  aborted: 400
};

/** Pulls the slice a pull job asks for from its (operator-configured) server. */
async function pullSlice(job: PullJob, signal: AbortSignal): Promise<adapters.PulledSource> {
  try {
    if (job.source === 'prometheus') {
      return await adapters.pullPrometheus({
        baseUrl: job.baseUrl,
        query: job.query ?? '',
        start: job.start ?? '',
        end: job.end ?? '',
        step: job.step ?? '',
        signal
      });
    }
    // Alertmanager has no query language: `query` is one label matcher, e.g. severity="critical".
    return await adapters.pullAlertmanager({
      baseUrl: job.baseUrl,
      filter: job.query ? [job.query] : undefined,
      signal
    });
  } catch (error) {
    if (error instanceof adapters.LiveSourceError) {
      throw new FailureError({
        code: error.code,
        message: error.message,
        position: null,
        status: LIVE_STATUS[error.code] ?? 502
      });
    }
    throw error;
  }
}

async function run(
  job: WorkerJob,
  feed: ChunkFeed,
  send: (m: FromWorker) => void
): Promise<IngestOutcome> {
  const checkAborted = (): void => {
    if (feed.aborted) {
      throw feed.aborted;
    }
  };
  const catalog = Catalog.open(job.storeDir, {
    hooks: { beforePublish: checkAborted, beforeCommit: checkAborted }
  });
  const progress = throttled(job.progressIntervalMs, p => send({ type: 'progress', ...p }));
  try {
    if (job.type === 'ingest') {
      return await ingestFile(catalog, job, feed, progress);
    }
    const cancel = new AbortController();
    feed.onAbort = () => cancel.abort();
    const pulled = await pullSlice(job, cancel.signal);
    return await ingestWith(
      catalog,
      { dataset: job.dataset, onError: job.onError, source: pulled.source, user: job.user },
      pulled.adapter,
      pulled.input,
      progress
    );
  } finally {
    await catalog.close();
  }
}

async function ingestFile(
  catalog: Catalog,
  job: FileIngestJob,
  feed: ChunkFeed,
  progress: (p: { bytesRead: number; rowsRead: number }) => void
): Promise<IngestOutcome> {
  const spec = {
    dataset: job.dataset,
    kind: job.kind,
    table: job.table,
    onError: job.onError,
    source: job.source,
    user: job.user,
    serviceCatalog: job.serviceCatalog
  };
  if (job.kind !== 'parquet') {
    return ingestBytes(catalog, spec, feed, progress);
  }
  // Parquet is read from its footer, by random access: the upload goes to a file in the store's
  // work directory first, so memory stays bounded by a row group, not by the file.
  const spool = path.join(job.storeDir, 'tmp', `upload-${randomUUID()}.parquet`);
  try {
    const fd = fs.openSync(spool, 'wx', 0o600);
    let bytes = 0;
    try {
      for await (const chunk of feed) {
        fs.writeSync(fd, chunk);
        bytes += chunk.length;
        progress({ bytesRead: bytes, rowsRead: 0 });
      }
    } finally {
      fs.closeSync(fd);
    }
    return await ingestPath(catalog, spec, spool, progress);
  } finally {
    fs.rmSync(spool, { force: true });
  }
}

if (parentPort) {
  const port = parentPort;
  const send = (message: FromWorker): void => port.postMessage(message);
  const feed = new ChunkFeed(send);
  port.on('message', (message: ToWorker) => feed.push(message));
  run(workerData as WorkerJob, feed, send).then(
    outcome => send({ type: 'done', outcome }),
    error => send({ type: 'failed', error: failureOf(feed.aborted ?? error) })
  );
}
