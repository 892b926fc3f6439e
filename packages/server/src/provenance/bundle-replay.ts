/**
 * Offline replay of an investigation bundle (`opsbook bundle replay FILE`): every run of the
 * bundle, re-run with DuckDB-WASM in this Node process on the bundle's own snapshots, its result
 * hash compared with the recorded one. No running Opsbook server and no network are needed.
 *
 * How: the bundle is verified and imported (bundle-import.ts) into a private temporary instance
 * (catalog, notebook folder and state directory under the OS temp directory), served by an
 * in-process server on 127.0.0.1 port 0 with a random token, and each run is replayed with
 * `queryPinned` exactly as the app's Replay button does (same slices, same pins, same hash). The
 * temporary instance is removed afterwards. Runs are replayed in log order; a run that reads
 * another run's result gets that run's replayed result (a parent outside the bundle makes it not
 * replayable).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Table } from 'apache-arrow';

import { createServer } from '../server';
import { BundleRejectedError, importBundle } from './bundle-import';
import type { BundleReport, BundleRun } from './bundle-verify';

/** The outcome of one run's replay. */
export interface RunReplay {
  runId: string;
  cellId: string;
  status: 'reproduced' | 'diverged' | 'not-replayable';
  recordedHash: string;
  recordedRows: number;
  hash?: string;
  rows?: number;
  /** Why it is not replayable, or the likely causes of a divergence. */
  reason?: string;
}

/** The outcome of `replayBundle`. */
export interface BundleReplay {
  report: BundleReport;
  runs: RunReplay[];
}

/** Replays every run of `file` offline (see the module comment). Rejected bundles: no runs. */
export async function replayBundle(
  file: string,
  options: { trustedKeyId?: string; user: string }
): Promise<BundleReplay> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-replay-'));
  try {
    const dirs = {
      catalogDir: path.join(root, 'catalog'),
      notebookDir: path.join(root, 'notebooks'),
      stateDir: path.join(root, 'state')
    };
    fs.mkdirSync(dirs.notebookDir);
    let imported;
    try {
      imported = await importBundle(file, { ...dirs, user: options.user }, options);
    } catch (error) {
      if (error instanceof BundleRejectedError) {
        return { report: error.report, runs: [] };
      }
      throw error;
    }
    const records = JSON.parse(
      fs.readFileSync(
        path.join(dirs.stateDir, 'bundles', 'imports', `${imported.importId}.json`),
        'utf8'
      )
    ).runs as BundleRun[];
    const token = randomBytes(24).toString('hex');
    const server = createServer({ ...dirs, host: '127.0.0.1', port: 0, token, logLevel: 'error' });
    const { port } = await server.listen();
    const { createNodeEngine } = await import('@opsbook/query-engine/lib/node');
    const { queryPinned } = await import('@opsbook/query-engine/lib/pinned');
    const { hashArrowTable, classifyNondeterminism } = await import('@opsbook/provenance');
    const engine = await createNodeEngine();
    const http = {
      datasetsUrl: `http://127.0.0.1:${port}/api/datasets`,
      headers: { Authorization: `token ${token}` }
    };
    const results = new Map<string, Table>();
    const runs: RunReplay[] = [];
    try {
      for (const { record } of records.sort((a, b) => a.seq - b.seq)) {
        const base = {
          runId: record.runId,
          cellId: record.cellId,
          recordedHash: record.result.hash,
          recordedRows: record.result.rowCount
        };
        const notReplayable = (reason: string) =>
          runs.push({ ...base, status: 'not-replayable', reason });
        const pins: Record<string, string> = {};
        let blocked: string | null = null;
        for (const input of record.inputs) {
          if (input.kind === 'result') {
            const parent = input.run ? results.get(input.run) : undefined;
            if (!parent) {
              blocked = `it reads ${input.table}, the result of run ${input.run ?? '(unknown)'}, which was not replayed from this bundle`;
              break;
            }
            await engine.registerResult(input.table, parent);
          } else if (input.snapshotId === null) {
            blocked = `the engine did not record which snapshot of ${input.table} it read`;
            break;
          } else {
            pins[input.table] = input.snapshotId;
          }
        }
        if (blocked) {
          notReplayable(blocked);
          continue;
        }
        try {
          const { result, hash } = await queryPinned(record.sql, {
            engine,
            http,
            pins,
            hash: table => hashArrowTable(table, { createHash: () => createHash('sha256') })
          });
          results.set(record.runId, result.table);
          if (hash.hash === record.result.hash) {
            runs.push({ ...base, status: 'reproduced', hash: hash.hash, rows: hash.rowCount });
            continue;
          }
          let reason = 'the result differs';
          try {
            const { causes } = await classifyNondeterminism({
              engine,
              sql: record.sql,
              hashes: [record.result.hash, hash.hash],
              result: result.table
            });
            if (causes.length) reason = causes.map(c => c.message).join('; ');
          } catch {
            // The classification is a hint; the divergence itself is the finding.
          }
          runs.push({ ...base, status: 'diverged', hash: hash.hash, rows: hash.rowCount, reason });
        } catch (error) {
          notReplayable((error as Error).message);
        }
      }
    } finally {
      await engine.dispose();
      await server.close();
    }
    return { report: imported.report, runs };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
