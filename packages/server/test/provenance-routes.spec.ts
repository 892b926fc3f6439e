/**
 * The provenance API end to end (issue #5): a real server on 127.0.0.1:0 with owner, editor and
 * viewer tokens, a real catalog (an OTLP upload through the ingest worker: run `npx tsc -b
 * packages/server` first) and the real SQLite run and audit logs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { tableFromArrays } from 'apache-arrow';

import { buildRunRecord, type RunRecord } from '@opsbook/provenance';
import { verifyExport } from '@opsbook/provenance/lib/hash-chain';

import {
  EDITOR_TOKEN,
  startServer,
  tempDir,
  TestServer,
  TOKEN,
  usersFile,
  VIEWER_TOKEN
} from './helpers';

const OTLP = path.resolve(__dirname, '../../adapters/test/fixtures/otlp');
const NOTEBOOK = 'incidents/checkout.ipynb';

/** A record as the browser builds it: the real builder over an Arrow result. */
function runRecord(
  runId: string,
  snapshotId: string | null,
  options: { notebook?: string; cell?: string; rows?: number } = {}
): RunRecord {
  const rows = options.rows ?? 3;
  const table = tableFromArrays({
    service: Array.from({ length: rows }, (_, i) => `svc-${i}`),
    errors: Float64Array.from({ length: rows }, (_, i) => i * 2)
  });
  return buildRunRecord({
    runId,
    cell: {
      id: options.cell ?? 'cell-1',
      source: 'SELECT service, count(*) FROM spans GROUP BY 1'
    },
    query: {
      table,
      elapsedMs: 12,
      statements: ['SELECT service, count(*) FROM spans GROUP BY 1'],
      scans: [{ table: 'spans', columns: ['service'], snapshotId, fullLoad: false }]
    },
    engine: { name: 'duckdb-wasm', version: '1.32.0', settings: { threads: '1' } },
    notebook: { path: options.notebook ?? NOTEBOOK, fileId: null }
  });
}

describe('the provenance API', () => {
  let t: TestServer;
  let snapshotId: string;
  const post = (p: string, body: unknown, token = TOKEN, headers: Record<string, string> = {}) =>
    t.request('POST', p, { body, token, headers });
  const get = (p: string, token = TOKEN) => t.request('GET', p, { token });

  beforeAll(async () => {
    t = await startServer({
      usersFile: usersFile(),
      catalogDir: path.join(tempDir('opsbook-store-'), 'catalog'),
      maxRunSeconds: 60
    });
    fs.mkdirSync(path.join(t.notebookDir, 'incidents'));
    fs.writeFileSync(
      path.join(t.notebookDir, NOTEBOOK),
      JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 })
    );
    const ingest = await t.request('POST', '/api/opsbook/ingest?as=otlp&filename=trace.json', {
      rawBody: fs.readFileSync(path.join(OTLP, 'trace.json')),
      headers: { 'Content-Type': 'application/octet-stream' }
    });
    expect(ingest.status).toBe(200);
    const last = JSON.parse(ingest.text.trim().split('\n').pop()!);
    snapshotId = last.snapshots[0].id;
  });
  afterAll(() => t.close());

  it('stamps a run with the session user and server time, whatever the body claims', async () => {
    const record = {
      ...runRecord('run-stamp', snapshotId),
      stamp: {
        user: 'mallory',
        startedAt: '2099-01-01T00:00:00.000Z',
        finishedAt: '2099-01-01T00:00:01.000Z'
      },
      durationMs: 1500
    };
    const before = Date.now();
    const res = await post('/api/opsbook/runs', record, EDITOR_TOKEN);
    const after = Date.now();
    expect(res.status).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ seq: 1, record: { runId: 'run-stamp', stamp: { user: 'eve' } } });
    expect(body.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(body.signature, 'base64')).toHaveLength(64);
    const finished = Date.parse(body.record.stamp.finishedAt);
    expect(finished).toBeGreaterThanOrEqual(before);
    expect(finished).toBeLessThanOrEqual(after);
    expect(finished - Date.parse(body.record.stamp.startedAt)).toBe(1500);

    // No durationMs: the span of the claimed stamp (1 s) is the duration, never its times.
    const claimed = { ...runRecord('run-claimed', snapshotId), stamp: record.stamp };
    const second = (await post('/api/opsbook/runs', claimed)).json();
    expect(second.record.stamp.user).toBe('ana');
    expect(Date.parse(second.record.stamp.finishedAt)).toBeLessThanOrEqual(Date.now());
    expect(
      Date.parse(second.record.stamp.finishedAt) - Date.parse(second.record.stamp.startedAt)
    ).toBe(1000);

    // A claimed hour is clamped to maxRunSeconds (60 s here).
    const long = { ...runRecord('run-long', snapshotId), durationMs: 3_600_000 };
    const clamped = (await post('/api/opsbook/runs', long)).json();
    expect(
      Date.parse(clamped.record.stamp.finishedAt) - Date.parse(clamped.record.stamp.startedAt)
    ).toBe(60_000);

    const fetched = await get('/api/opsbook/runs/run-stamp', VIEWER_TOKEN);
    expect(fetched.status).toBe(200);
    expect(fetched.json()).toEqual(body);
  });

  it('refuses an unknown snapshot with 422 naming it, and a malformed record with 400', async () => {
    const unknown = 'f'.repeat(64);
    const res = await post('/api/opsbook/runs', runRecord('run-unknown', unknown));
    expect(res.status).toBe(422);
    expect(res.json().message).toContain(`inputs[0].snapshotId`);
    expect(res.json().message).toContain(unknown);

    const noHash = runRecord('run-bad', snapshotId);
    (noHash.result as { hash: unknown }).hash = 'abc';
    const bad = await post('/api/opsbook/runs', noHash);
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(/'result\.hash' must be 64 lower-case hex digits/);
    const extra = await post('/api/opsbook/runs', { ...runRecord('run-x', snapshotId), who: 1 });
    expect(extra.status).toBe(400);
    expect(extra.json().message).toMatch(/'who' is not a field of a run record/);
    const again = await post('/api/opsbook/runs', runRecord('run-stamp', snapshotId));
    expect(again.status).toBe(409);
    expect((await get('/api/opsbook/runs/run-unknown')).status).toBe(404);
    expect((await get('/api/opsbook/runs/nope')).json().message).toMatch(/No run 'nope'/);
  });

  it("refuses a viewer's run and replay with 403 and records nothing", async () => {
    const res = await post('/api/opsbook/runs', runRecord('run-viewer', snapshotId), VIEWER_TOKEN);
    expect(res.status).toBe(403);
    expect(res.json().message).toMatch(/'vic' is a viewer and cannot record runs/);
    const replay = await post(
      '/api/opsbook/runs/run-stamp/replays',
      { hash: '0'.repeat(64), rows: 0, durationMs: 1 },
      VIEWER_TOKEN
    );
    expect(replay.status).toBe(403);
    expect((await get('/api/opsbook/runs/run-viewer')).status).toBe(404);
  });

  it('decides whether a replay reproduced its run by comparing the result hashes', async () => {
    const run = (await get('/api/opsbook/runs/run-stamp')).json();
    const same = await post(
      '/api/opsbook/runs/run-stamp/replays',
      { hash: run.record.result.hash, rows: 3, durationMs: 20 },
      EDITOR_TOKEN,
      { 'X-Opsbook-Rationale': encodeURIComponent('checking the fix — again') }
    );
    expect(same.status).toBe(201);
    expect(same.json()).toMatchObject({
      runId: 'run-stamp',
      reproduced: true,
      user: 'eve',
      rationale: 'checking the fix — again'
    });
    const other = runRecord('unused', snapshotId, { rows: 4 }).result.hash;
    const differs = await post('/api/opsbook/runs/run-stamp/replays', {
      hash: other,
      rows: 4,
      durationMs: 25,
      diverged: { causes: [{ cause: 'no-order-by', confidence: 0.6 }] },
      rationale: 'nightly replay'
    });
    expect(differs.json()).toMatchObject({
      reproduced: false,
      hash: other,
      recordedHash: run.record.result.hash,
      rows: 4,
      recordedRows: 3,
      diverged: { causes: [{ cause: 'no-order-by' }] },
      rationale: 'nightly replay'
    });
    // A client claiming "reproduced" is refused: the server decides.
    const claim = await post('/api/opsbook/runs/run-stamp/replays', {
      hash: other,
      rows: 4,
      durationMs: 1,
      reproduced: true
    });
    expect(claim.status).toBe(400);
    expect(claim.json().message).toMatch(/'reproduced' is not a field of a replay/);
    const list = (await get('/api/opsbook/runs/run-stamp/replays', VIEWER_TOKEN)).json();
    expect(list.replays.map((r: { reproduced: boolean }) => r.reproduced)).toEqual([true, false]);
    expect((await get('/api/opsbook/runs/run-long/replays')).json().replays).toEqual([]);
  });

  it('lists runs by notebook and cell, and exports a notebook verifiable offline', async () => {
    await post('/api/opsbook/runs', runRecord('run-other-nb', snapshotId, { notebook: 'b.ipynb' }));
    await post('/api/opsbook/runs', runRecord('run-cell-2', snapshotId, { cell: 'cell-2' }));
    const byNotebook = (await get(`/api/opsbook/runs?notebook=${encodeURIComponent(NOTEBOOK)}`))
      .json()
      .runs.map((r: { record: { runId: string } }) => r.record.runId);
    expect(byNotebook).toEqual(['run-stamp', 'run-claimed', 'run-long', 'run-cell-2']);
    const byCell = (await get(`/api/opsbook/runs?notebook=${NOTEBOOK}&cell=cell-2&limit=5`)).json();
    expect(byCell.runs.map((r: { record: { runId: string } }) => r.record.runId)).toEqual([
      'run-cell-2'
    ]);
    expect((await get('/api/opsbook/runs?limit=0')).status).toBe(400);

    const key = (await get('/api/opsbook/provenance/key', VIEWER_TOKEN)).json();
    expect(key).toMatchObject({
      algorithm: 'Ed25519',
      keyId: expect.stringMatching(/^[0-9a-f]{64}$/)
    });
    const res = await get(`/api/opsbook/runs/export?notebook=${NOTEBOOK}`, VIEWER_TOKEN);
    expect(res.status).toBe(200);
    const doc = res.json();
    expect(doc.range).toMatchObject({ log: 'run_log', fromSeq: 1, toSeq: 5, count: 5 });
    expect(verifyExport(doc, key.publicKey)).toMatchObject({ ok: true, verified: 5 });
    expect((await get('/api/opsbook/runs/export?notebook=none.ipynb')).status).toBe(404);
    expect((await get('/api/opsbook/runs/export')).status).toBe(400);
  });

  it('records open, checkpoint, run, replay, ingest and export in the audit trail', async () => {
    const session = (token: string) =>
      t.request('PUT', `/api/collaboration/session/${encodeURIComponent(NOTEBOOK)}`, {
        token,
        body: { format: 'json', type: 'notebook' }
      });
    expect((await session(TOKEN)).status).toBeLessThan(300);
    await session(TOKEN); // the same user again: recorded once per server start
    await session(VIEWER_TOKEN);
    const checkpoint = await t.request('POST', `/api/contents/${NOTEBOOK}/checkpoints`, {
      headers: { 'X-Opsbook-Rationale': 'before the rollback' }
    });
    expect(checkpoint.status).toBe(201);
    const id = checkpoint.json().id;
    expect((await t.request('POST', `/api/contents/${NOTEBOOK}/checkpoints/${id}`)).status).toBe(
      204
    );

    const all = (await get('/api/opsbook/audit', VIEWER_TOKEN)).json().entries;
    const actions = new Set(all.map((e: { action: string }) => e.action));
    for (const action of ['ingest', 'run', 'replay', 'export', 'open', 'checkpoint']) {
      expect(actions).toContain(action);
    }
    const ingest = all.find((e: { action: string }) => e.action === 'ingest');
    expect(ingest).toMatchObject({
      user: 'ana',
      notebook: null,
      details: { type: 'ingest', dataset: 'default', snapshotIds: [snapshotId], rowsStored: 1 }
    });

    const opens = (await get(`/api/opsbook/audit?action=open&notebook=${NOTEBOOK}`)).json();
    expect(opens.entries.map((e: { user: string }) => e.user)).toEqual(['ana', 'vic']);
    const checkpoints = (await get('/api/opsbook/audit?action=checkpoint&user=ana')).json();
    expect(checkpoints.entries).toMatchObject([
      { details: { operation: 'create', checkpointId: id }, rationale: 'before the rollback' },
      { details: { operation: 'restore', checkpointId: id }, rationale: null }
    ]);
    const runs = (await get('/api/opsbook/audit?action=run&user=eve')).json().entries;
    expect(runs).toMatchObject([{ details: { runId: 'run-stamp', snapshotIds: [snapshotId] } }]);
    const exports = (await get('/api/opsbook/audit?action=export')).json().entries;
    expect(exports).toMatchObject([{ user: 'vic', details: { fromSeq: 1, toSeq: 5 } }]);

    const first = all[0].time;
    const later = (await get(`/api/opsbook/audit?from=${all[all.length - 1].time}`)).json();
    expect(later.entries.every((e: { time: string }) => e.time >= all[all.length - 1].time)).toBe(
      true
    );
    const none = (
      await get(`/api/opsbook/audit?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`)
    ).json();
    expect(none.entries).toEqual([]);
    expect((await get(`/api/opsbook/audit?to=${first}&limit=1`)).json().entries).toHaveLength(1);
    expect((await get('/api/opsbook/audit?action=delete')).status).toBe(400);
    expect((await get('/api/opsbook/audit?from=yesterday')).status).toBe(400);
  });
});
