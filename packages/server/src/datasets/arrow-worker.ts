/**
 * The Arrow worker (a `worker_threads` Worker started by arrow-streams.ts): everything the
 * dataset routes do with apache-arrow happens here, never in the server's main thread.
 *
 * Why a thread of its own: apache-arrow sets `Symbol.isConcatSpreadable` on its prototypes, which
 * takes V8's `Array.prototype.concat` off its fast path for the WHOLE isolate, and yjs builds every
 * notebook change event with concat: once the first query had loaded it, every collaboration
 * room in the process got slower (a 2,000-cell room loaded ~75x slower; BENCHMARKS.md,
 * collaboration part 3). A worker is its own isolate.
 *
 * The worker has its own DuckDB instance, sandboxed exactly like the main thread's (engine.ts),
 * runs the slice's SELECT and converts the chunks to Arrow IPC (arrow.ts), or reads an Arrow IPC
 * file (ipcfile.ts), and posts the bytes. Backpressure: `PortSink.write` says "full" while more
 * than `HIGH_WATER` bytes are posted and not yet written by the main thread, which acknowledges
 * each message once the response accepted it; so memory stays at about one batch per request,
 * as before. An abort (client gone) interrupts the DuckDB query.
 */
import { EventEmitter } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';

import { OpsbookError } from '../errors';
import type {
  ArrowWorkerData,
  ArrowWorkerFailure,
  ByteSink,
  FromArrowWorker,
  StreamJob,
  ToArrowWorker
} from './arrow-protocol';
import { streamResult } from './arrow';
import { pickTimeColumn } from './catalog';
import { Engine } from './engine';
import { describeIpcFile, streamIpcFile } from './ipcfile';
import { buildSelect } from './select';

/** Bytes posted and not yet written by the main thread before the sink reports "full". */
const HIGH_WATER = 4 * 1024 * 1024;

const port = parentPort!;
const data = workerData as ArrowWorkerData;
let engine: Promise<Engine> | null = null;
const sinks = new Map<number, PortSink>();

const post = (message: FromArrowWorker): void => port.postMessage(message);

/** The worker's stand-in for the HTTP response of one request. */
class PortSink extends EventEmitter implements ByteSink {
  destroyed = false;
  private unacked = 0;
  readonly abort = new AbortController();

  constructor(private readonly id: number) {
    super();
  }

  write(bytes: Uint8Array): boolean {
    if (this.destroyed) {
      return false;
    }
    // A copy the size of the piece: the writer's pieces may be views into larger buffers.
    const chunk = bytes.slice();
    this.unacked += chunk.byteLength;
    port.postMessage({ type: 'bytes', id: this.id, chunk } satisfies FromArrowWorker, [
      chunk.buffer
    ]);
    return this.unacked < HIGH_WATER;
  }

  end(): void {
    // `end` is posted by the job when it returns (with the row count).
  }

  acked(bytes: number): void {
    const wasFull = this.unacked >= HIGH_WATER;
    this.unacked -= bytes;
    if (wasFull && this.unacked < HIGH_WATER) {
      this.emit('drain');
    }
  }

  destroy(): void {
    if (!this.destroyed) {
      this.destroyed = true;
      this.abort.abort();
      this.emit('close');
    }
  }
}

function failure(error: unknown): ArrowWorkerFailure {
  return error instanceof OpsbookError
    ? {
        info: { status: error.status, reason: error.reason, message: error.message },
        text: String(error)
      }
    : { text: String(error) };
}

async function stream(id: number, job: StreamJob, sink: PortSink): Promise<number> {
  const onSchema = (): void => post({ type: 'schema', id });
  if (job.kind === 'ipc') {
    return streamIpcFile(job.file, sink, job.query, onSchema);
  }
  const duckdb = await (engine ??= Engine.create(data.engine).catch(error => {
    engine = null;
    throw error;
  }));
  const { sql, values } = buildSelect(job.item, job.query);
  return duckdb.withConnection(
    job.item.entry.name,
    job.timeoutMs,
    sink.abort.signal,
    async connection =>
      streamResult(await connection.stream(sql, values), sink, job.batchRows, onSchema)
  );
}

port.on('message', (message: ToArrowWorker) => {
  switch (message.type) {
    case 'stream': {
      const sink = new PortSink(message.id);
      sinks.set(message.id, sink);
      stream(message.id, message.job, sink)
        .then(
          rows => post({ type: 'end', id: message.id, rows }),
          error => post({ type: 'error', id: message.id, failure: failure(error) })
        )
        .finally(() => sinks.delete(message.id));
      break;
    }
    case 'describe':
      describeIpcFile(message.file, pickTimeColumn).then(
        description => post({ type: 'described', id: message.id, description }),
        error => post({ type: 'error', id: message.id, failure: failure(error) })
      );
      break;
    case 'ack':
      sinks.get(message.id)?.acked(message.bytes);
      break;
    case 'abort':
      sinks.get(message.id)?.destroy();
      break;
  }
});
