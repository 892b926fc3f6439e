/**
 * The collaboration store's WAL checkpointer, in a worker thread of its own (see `checkpoint.ts`
 * for why). It opens the same database file with a second connection and, every `intervalMs`,
 * copies what the WAL holds into the database file (`PRAGMA wal_checkpoint(PASSIVE)`: it never
 * waits for, nor blocks, the main thread's writes and reads). That copy and its fsyncs are the
 * only disk waits of the update log; here they happen off the thread that relays edits.
 *
 * Messages to the main thread: `{ type: 'checkpoint', log, checkpointed }` after each checkpoint
 * that found frames to copy, `{ type: 'error', message }` when one failed (the next tick tries
 * again). On 'close' it closes its connection and flips `workerData.closed` (a shared Int32Array)
 * so that the main thread, which waits on it synchronously, may close the database last.
 */
import { parentPort, workerData } from 'node:worker_threads';

import Database from 'better-sqlite3';

import type { CheckpointWorkerData, FromCheckpointWorker } from './checkpoint';

const { file, intervalMs, closed } = workerData as CheckpointWorkerData;
const flag = new Int32Array(closed);
const post = (message: FromCheckpointWorker): void => parentPort!.postMessage(message);

const db = new Database(file, { timeout: 0 });

const timer = setInterval(() => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as {
      busy: number;
      log: number;
      checkpointed: number;
    }[];
    if (result.log > 0) {
      post({ type: 'checkpoint', log: result.log, checkpointed: result.checkpointed });
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
}, intervalMs);

parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') {
    return;
  }
  clearInterval(timer);
  try {
    db.close();
  } finally {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    parentPort!.close();
  }
});
