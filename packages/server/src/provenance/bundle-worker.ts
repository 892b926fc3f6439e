/**
 * The bundle worker: verifies (and, for an import, imports) ONE uploaded bundle off the server's
 * main thread. Re-deriving snapshot ids decodes every Parquet row and loads the telemetry
 * schema's Arrow code, which must stay out of the main isolate (see provenance/store.ts), and a
 * large bundle takes seconds. Started by `runBundleJob` with the job as `workerData`; posts one
 * `BundleJobAnswer` and exits.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';

import type { ImportResult, ImportTarget } from './bundle-import';
import type { BundleReport } from './bundle-verify';
import { workerFile } from '../worker-file';

/** What the worker is asked to do. */
export interface BundleJob {
  op: 'verify' | 'import';
  file: string;
  trustedKeyId?: string;
  target: ImportTarget;
}

/** What it answers. */
export type BundleJobAnswer =
  | { type: 'verified'; report: BundleReport }
  | { type: 'imported'; result: ImportResult }
  | { type: 'rejected'; report: BundleReport }
  | { type: 'failed'; message: string };

async function run(job: BundleJob): Promise<BundleJobAnswer> {
  // Loaded here, in the worker only (see the module comment).
  const { BundleRejectedError, importBundle } = await import('./bundle-import');
  try {
    if (job.op === 'verify') {
      const { verifyBundle } = await import('./bundle-verify');
      const { report } = await verifyBundle(job.file, { trustedKeyId: job.trustedKeyId });
      return { type: 'verified', report };
    }
    const result = await importBundle(job.file, job.target, { trustedKeyId: job.trustedKeyId });
    return { type: 'imported', result };
  } catch (error) {
    if (error instanceof BundleRejectedError) {
      return { type: 'rejected', report: error.report };
    }
    return { type: 'failed', message: (error as Error).message };
  }
}

if (parentPort && (workerData as { bundleJob?: BundleJob } | null)?.bundleJob) {
  const port = parentPort;
  void run((workerData as { bundleJob: BundleJob }).bundleJob).then(answer =>
    port.postMessage(answer)
  );
}

/** Runs `job` in a fresh worker and resolves with its answer. */
export function runBundleJob(job: BundleJob): Promise<BundleJobAnswer> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile(__dirname, 'bundle-worker'), {
      workerData: { bundleJob: job }
    });
    let answered = false;
    worker.once('message', (answer: BundleJobAnswer) => {
      answered = true;
      resolve(answer);
    });
    worker.once('error', reject);
    worker.once('exit', code => {
      if (!answered) {
        reject(new Error(`The bundle worker exited (code ${code}) without an answer.`));
      }
    });
  });
}
