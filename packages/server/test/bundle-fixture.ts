/**
 * The investigation-bundle tests' source instance: a real server with a real catalog (OTLP
 * fixtures ingested through the ingest worker: two snapshots of spans, one appended to the other,
 * plus logs and metrics), four runs of real SQL executed by DuckDB-WASM in Node against that
 * server and recorded through `POST /api/opsbook/runs`, a run of another notebook in between (so
 * the bundle's chain excerpts hold redacted entries), a replay, and the notebook file with the
 * run summaries the recorder would have written. Also helpers to rewrite a bundle's members.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { buildRunRecord, type StampedRunRecord } from '@opsbook/provenance';
import { summarizeRun } from '@opsbook/provenance/lib/run-summary';
import type { DuckDBEngine } from '@opsbook/query-engine/lib/duckdb-engine';
import {
  httpDatasetSource,
  listDatasets,
  type HttpSourceOptions
} from '@opsbook/query-engine/lib/http-source';
import { createNodeEngine } from '@opsbook/query-engine/lib/node';

import { readBundleIndex, TAR_END, tarHeader, tarPadding } from '../src/provenance/bundle-format';
import { EDITOR_TOKEN, startServer, tempDir, TestServer, TOKEN, usersFile } from './helpers';

export const NOTEBOOK = 'incidents/checkout.ipynb';

const OTLP = path.resolve(__dirname, '../../adapters/test/fixtures/otlp');

/** The SQL of the four recorded runs, by cell id. */
export const CELLS: Record<string, string> = {
  'cell-spans': 'SELECT count(*) AS n, min(start_time) AS first FROM spans',
  'cell-logs': 'SELECT service_name, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1',
  'cell-metrics': 'SELECT metric_name, count(*) AS n FROM metrics GROUP BY 1 ORDER BY 1',
  'cell-join':
    'SELECT s.span_id, count(l.time) AS logs FROM spans s LEFT JOIN logs l ON l.trace_id = s.trace_id GROUP BY 1 ORDER BY 1'
};

/** A server with its own notebook root, catalog and state directory. */
export async function instance(
  overrides: Record<string, unknown> = {}
): Promise<TestServer & { catalogDir: string }> {
  const catalogDir = path.join(tempDir('opsbook-store-'), 'catalog');
  const t = await startServer({
    usersFile: usersFile(),
    catalogDir,
    logLevel: 'error',
    ...overrides
  });
  return Object.assign(t, { catalogDir });
}

/** The Node engine's view of a server's datasets. */
export function httpOf(t: TestServer): HttpSourceOptions {
  return { datasetsUrl: `${t.base}/api/datasets`, headers: { Authorization: `token ${TOKEN}` } };
}

/** The OTLP trace example with its span moved (another id and start time). */
function movedTrace(seconds: number, spanId: string): string {
  const doc = JSON.parse(fs.readFileSync(path.join(OTLP, 'trace.json'), 'utf8'));
  const span = doc.resourceSpans[0].scopeSpans[0].spans[0];
  span.spanId = spanId;
  const shift = BigInt(seconds) * 1_000_000_000n;
  span.startTimeUnixNano = String(BigInt(span.startTimeUnixNano) + shift);
  span.endTimeUnixNano = String(BigInt(span.endTimeUnixNano) + shift);
  return JSON.stringify(doc);
}

async function ingest(t: TestServer, body: string | Buffer, filename: string): Promise<void> {
  const res = await t.request('POST', `/api/opsbook/ingest?as=otlp&filename=${filename}`, {
    rawBody: body,
    headers: { 'Content-Type': 'application/octet-stream' }
  });
  if (res.status !== 200 || !JSON.parse(res.text.trim().split('\n').pop()!).snapshots) {
    throw new Error(`ingest of ${filename} failed: ${res.status} ${res.text}`);
  }
}

/** The source instance (see the module comment). */
export interface Source {
  a: TestServer & { catalogDir: string };
  engine: DuckDBEngine;
  runs: StampedRunRecord[];
}

/** Runs `sql` on `engine` (datasets of `t` registered) and records it as a run of `notebook`. */
async function recordRun(
  t: TestServer,
  engine: DuckDBEngine,
  cellId: string,
  sql: string,
  notebook: string
): Promise<StampedRunRecord> {
  const query = await engine.query(sql);
  const record = buildRunRecord({
    cell: { id: cellId, source: sql },
    query,
    engine: engine.info,
    notebook: { path: notebook, fileId: null }
  });
  const res = await t.request('POST', '/api/opsbook/runs', { body: record, token: EDITOR_TOKEN });
  if (res.status !== 201) {
    throw new Error(`run not recorded: ${res.status} ${res.text}`);
  }
  return res.json().record as StampedRunRecord;
}

/** Builds the source instance. */
export async function source(): Promise<Source> {
  const a = await instance();
  await ingest(a, movedTrace(0, '1111111111111111'), 'trace-1.json');
  await ingest(a, fs.readFileSync(path.join(OTLP, 'logs.json')), 'logs.json');
  await ingest(a, fs.readFileSync(path.join(OTLP, 'metrics.json')), 'metrics.json');
  await ingest(a, movedTrace(60, '2222222222222222'), 'trace-2.json');
  const engine = await createNodeEngine();
  for (const listing of await listDatasets(httpOf(a))) {
    await engine.registerDataset(httpDatasetSource(listing, httpOf(a)));
  }
  const runs: StampedRunRecord[] = [];
  const ids = Object.keys(CELLS);
  for (const [i, cellId] of ids.entries()) {
    runs.push(await recordRun(a, engine, cellId, CELLS[cellId], NOTEBOOK));
    if (i === 1) {
      // Another notebook's run inside the range: redacted in the bundle.
      await recordRun(a, engine, 'other-cell', 'SELECT 42 AS answer', 'other.ipynb');
    }
  }
  const replay = await a.request('POST', `/api/opsbook/runs/${runs[0].runId}/replays`, {
    body: { hash: runs[0].result.hash, rows: runs[0].result.rowCount, durationMs: 5 },
    token: EDITOR_TOKEN
  });
  if (replay.status !== 201) {
    throw new Error(`replay not recorded: ${replay.status} ${replay.text}`);
  }
  fs.mkdirSync(path.join(a.notebookDir, 'incidents'), { recursive: true });
  fs.writeFileSync(path.join(a.notebookDir, NOTEBOOK), notebookJson(runs));
  return { a, engine, runs };
}

/** The notebook as the recorder leaves it: each cell with its run summary. */
export function notebookJson(runs: StampedRunRecord[]): string {
  return JSON.stringify(
    {
      cells: Object.entries(CELLS).map(([id, sql]) => ({
        id,
        cell_type: 'code',
        source: sql,
        execution_count: null,
        outputs: [],
        metadata: {
          opsbook: { version: 1, runs: runs.filter(r => r.cellId === id).map(summarizeRun) }
        }
      })),
      metadata: { kernelspec: { name: 'duckdb', display_name: 'DuckDB' } },
      nbformat: 4,
      nbformat_minor: 5
    },
    null,
    1
  );
}

/** One member of a bundle, in memory (test bundles are small). */
export interface Member {
  name: string;
  data: Buffer;
}

/** The members of a bundle file, in order. */
export async function readMembers(file: string): Promise<Member[]> {
  const bytes = fs.readFileSync(file);
  return (await readBundleIndex(file)).map(m => ({
    name: m.name,
    data: bytes.subarray(m.offset, m.offset + m.size)
  }));
}

/** Writes `members` as a tar file (names unchecked: hostile bundles too). */
export function writeMembers(file: string, members: Member[]): string {
  const parts: Buffer[] = [];
  for (const m of members) {
    const header = tarHeader('placeholder', m.data.length, 0);
    // Write the name raw, so tests can build names the writer would refuse.
    header.fill(0, 0, 100);
    header.write(m.name, 0, 'utf8');
    header.write(' '.repeat(8), 148, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    parts.push(header, m.data, tarPadding(m.data.length));
  }
  parts.push(TAR_END);
  fs.writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** A copy of `file` with its members changed by `edit`. */
export async function rewrite(
  file: string,
  edit: (members: Member[]) => Member[] | void
): Promise<string> {
  const members = await readMembers(file);
  const edited = edit(members) ?? members;
  return writeMembers(path.join(tempDir('opsbook-tampered-'), 'tampered.opsbundle'), edited);
}

/** Edits a JSON member in place. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests edit arbitrary JSON
export function editJson(members: Member[], name: string, edit: (doc: any) => void): void {
  const member = members.find(m => m.name === name)!;
  const doc = JSON.parse(member.data.toString('utf8'));
  edit(doc);
  member.data = Buffer.from(JSON.stringify(doc));
}
