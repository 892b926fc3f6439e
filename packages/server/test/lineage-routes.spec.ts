/**
 * The lineage and audit-view routes end to end (issue #5, parts 4 and 5): a real server on
 * 127.0.0.1:0, a real catalog (OTLP uploads through the ingest worker: run `npx tsc -b
 * packages/server` first), runs recorded through `POST /api/opsbook/runs`, the notebook read from
 * disk, and the real SQLite logs, tampered with as an attacker would to check `/audit/verify`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import Database from 'better-sqlite3';
import { tableFromArrays } from 'apache-arrow';

import { buildRunRecord, PROV_RELATIONS, type RunRecord } from '@opsbook/provenance';

import {
  ANA,
  startServer,
  tempDir,
  TestServer,
  TOKEN,
  usersFile,
  VIC,
  VIEWER_TOKEN
} from './helpers';

const OTLP = path.resolve(__dirname, '../../adapters/test/fixtures/otlp');
const NOTEBOOK = 'incidents/checkout.ipynb';

/** A record as the browser builds it: the real builder over an Arrow result. */
function runRecord(
  runId: string,
  cell: { id: string; source: string },
  inputs: { table: string; snapshotId: string }[],
  options: { rows?: number; parents?: string[] } = {}
): RunRecord {
  const rows = options.rows ?? 2;
  const table = tableFromArrays({
    service: Array.from({ length: rows }, (_, i) => `svc-${i}`),
    n: Float64Array.from({ length: rows }, (_, i) => i)
  });
  return buildRunRecord({
    runId,
    cell,
    query: {
      table,
      elapsedMs: 5,
      statements: [cell.source],
      scans: inputs.map(i => ({
        table: i.table,
        columns: ['service'],
        snapshotId: i.snapshotId,
        fullLoad: false
      }))
    },
    engine: { name: 'duckdb-wasm', version: '1.32.0', settings: {} },
    notebook: { path: NOTEBOOK, fileId: null },
    parents: options.parents
  });
}

const SPANS_CELL = {
  id: 'cell-spans',
  source: 'SELECT service, count(*) AS n\nFROM spans GROUP BY 1'
};
const LOGS_CELL = { id: 'cell-logs', source: '\n-- errors\nSELECT service FROM logs' };

describe('the lineage and audit-view routes', () => {
  let t: TestServer;
  let provenanceDir: string;
  let spansOld: string;
  let spans: string;
  let logs: string;
  const get = (p: string, token = TOKEN) => t.request('GET', p, { token });

  async function ingest(name: string, body: Buffer): Promise<string> {
    const res = await t.request('POST', `/api/opsbook/ingest?as=otlp&filename=${name}`, {
      rawBody: body,
      headers: { 'Content-Type': 'application/octet-stream' }
    });
    expect(res.status).toBe(200);
    return JSON.parse(res.text.trim().split('\n').pop()!).snapshots[0].id;
  }

  beforeAll(async () => {
    provenanceDir = path.join(tempDir('opsbook-prov-'), 'provenance');
    t = await startServer({
      usersFile: usersFile([ANA, VIC]),
      catalogDir: path.join(tempDir('opsbook-store-'), 'catalog'),
      provenanceDir
    });
    fs.mkdirSync(path.join(t.notebookDir, 'incidents'));
    const cell = (c: { id: string; source: string }) => ({
      id: c.id,
      cell_type: 'code',
      source: c.source,
      metadata: {},
      outputs: [],
      execution_count: null
    });
    fs.writeFileSync(
      path.join(t.notebookDir, NOTEBOOK),
      JSON.stringify({
        cells: [
          { id: 'md', cell_type: 'markdown', source: '# Checkout', metadata: {} },
          cell(SPANS_CELL),
          cell(LOGS_CELL)
        ],
        metadata: {},
        nbformat: 4,
        nbformat_minor: 5
      })
    );
    const trace = fs.readFileSync(path.join(OTLP, 'trace.json'), 'utf8');
    spansOld = await ingest('trace.json', Buffer.from(trace));
    // Another span appended to the same table: a new snapshot whose parent is the first.
    spans = await ingest(
      'trace2.json',
      Buffer.from(trace.replace('EEE19B7EC3C1B174', 'EEE19B7EC3C1B175'))
    );
    logs = await ingest('logs.json', fs.readFileSync(path.join(OTLP, 'logs.json')));
    const post = (record: RunRecord) => t.request('POST', '/api/opsbook/runs', { body: record });
    expect(
      (await post(runRecord('run-1', SPANS_CELL, [{ table: 'spans', snapshotId: spans }]))).status
    ).toBe(201);
    // Same cell, same inputs, same rows: the same result hash as run-1.
    expect(
      (await post(runRecord('run-2', SPANS_CELL, [{ table: 'spans', snapshotId: spans }]))).status
    ).toBe(201);
    expect(
      (
        await post(
          runRecord('run-3', LOGS_CELL, [{ table: 'logs', snapshotId: logs }], {
            rows: 5,
            parents: ['run-1']
          })
        )
      ).status
    ).toBe(201);
  });
  afterAll(() => t.close());

  it('answers the graph of a notebook: snapshots, runs, cells, results and their edges', async () => {
    const res = await get(`/api/opsbook/lineage?notebook=${encodeURIComponent(NOTEBOOK)}`);
    expect(res.status).toBe(200);
    const graph = res.json();
    expect(graph.format).toBe('opsbook.lineage.v1');
    type Node = { id: string; kind: string; label: string; details: Record<string, unknown> };
    const byId = new Map<string, Node>(graph.nodes.map((n: Node) => [n.id, n]));
    const kinds = (k: string) => graph.nodes.filter((n: { kind: string }) => n.kind === k);
    expect(kinds('run').map((n: { id: string }) => n.id)).toEqual([
      'run:run-1',
      'run:run-2',
      'run:run-3'
    ]);
    expect(kinds('result')).toHaveLength(2);
    expect(byId.get('cell:cell-spans')!.label).toBe('[2] SELECT service, count(*) AS n');
    expect(byId.get('cell:cell-logs')!.label).toBe('[3] -- errors');
    expect(byId.get(`snapshot:${spans}`)!).toMatchObject({
      label: `spans@${spans.slice(0, 8)}`,
      details: { known: true, dataset: 'default', rows: 1, depth: 0, by: 'ana' }
    });
    expect(byId.get(`snapshot:${spansOld}`)!.details.depth).toBe(1);
    expect(byId.get('run:run-3')!.details).toMatchObject({
      user: 'ana',
      parents: ['run-1'],
      sql: LOGS_CELL.source,
      rows: 5
    });
    const edges = graph.edges.map(
      (e: { from: string; to: string; kind: string }) => `${e.kind} ${e.from} ${e.to}`
    );
    expect(edges).toEqual(
      expect.arrayContaining([
        `used snapshot:${spans} run:run-1`,
        `used snapshot:${logs} run:run-3`,
        'ran-in run:run-2 cell:cell-spans',
        'informed run:run-1 run:run-3',
        `derived snapshot:${spansOld} snapshot:${spans}`
      ])
    );
    // run-1 and run-2 produced the same result: one node, two generated edges.
    const shared = kinds('result').find(
      (n: { details: { runs: string[] } }) => n.details.runs.length === 2
    );
    expect(shared.details.runs).toEqual(['run-1', 'run-2']);
    expect(edges.filter((e: string) => e.endsWith(shared.id))).toHaveLength(2);
    for (const e of graph.edges) {
      expect(byId.has(e.from) && byId.has(e.to)).toBe(true);
    }
  });

  it('answers an empty graph, not an error, for a notebook without runs or unknown', async () => {
    for (const notebook of ['nowhere.ipynb', '../../etc/passwd']) {
      const res = await get(`/api/opsbook/lineage?notebook=${encodeURIComponent(notebook)}`);
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ notebook, nodes: [], edges: [] });
    }
  });

  it('refuses a missing notebook parameter and an unknown format with 400', async () => {
    const missing = await get('/api/opsbook/lineage');
    expect(missing.status).toBe(400);
    expect(missing.json().message).toMatch(/notebook/);
    const bad = await get(`/api/opsbook/lineage?notebook=${NOTEBOOK}&format=rdf`);
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(/'graph' or 'prov-json'/);
  });

  it('exports W3C PROV-JSON whose relations reference declared, prefixed ids', async () => {
    const res = await get(
      `/api/opsbook/lineage?notebook=${encodeURIComponent(NOTEBOOK)}&format=prov-json`,
      VIEWER_TOKEN
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toBeUndefined();
    const doc = res.json();
    const declared = new Set(
      [doc.entity, doc.activity, doc.agent].flatMap(section => Object.keys(section))
    );
    for (const id of declared) {
      expect(Object.keys(doc.prefix)).toContain(id.split(':')[0]);
    }
    expect(Object.keys(doc.activity).sort()).toEqual(['run:run-1', 'run:run-2', 'run:run-3']);
    for (const activity of Object.values(doc.activity) as Record<string, string>[]) {
      expect(new Date(activity['prov:startTime']).toISOString()).toBe(activity['prov:startTime']);
      expect(activity['prov:endTime'] >= activity['prov:startTime']).toBe(true);
    }
    const { keyId } = (await get('/api/opsbook/provenance/key')).json();
    expect(doc.agent[`server:${keyId}`]['prov:type'].$).toBe('prov:SoftwareAgent');
    expect(doc.agent['user:ana']['prov:type'].$).toBe('prov:Person');
    let references = 0;
    for (const section of PROV_RELATIONS) {
      for (const relation of Object.values(doc[section]) as Record<string, unknown>[]) {
        for (const [key, value] of Object.entries(relation)) {
          if (typeof value === 'string' && key !== 'prov:time') {
            expect(declared.has(value)).toBe(true);
            references++;
          }
        }
      }
    }
    expect(references).toBeGreaterThan(20);
    expect(Object.values(doc.wasInformedBy)).toEqual([
      { 'prov:informed': 'run:run-3', 'prov:informant': 'run:run-1' }
    ]);
  });

  it('sends the PROV-JSON as an attachment with download=1 and records the export', async () => {
    const res = await get(
      `/api/opsbook/lineage?notebook=${encodeURIComponent(NOTEBOOK)}&format=prov-json&download=1`
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="checkout.prov.json"; filename*=UTF-8''checkout.prov.json`
    );
    const audit = (
      await get(`/api/opsbook/audit?action=export&notebook=${encodeURIComponent(NOTEBOOK)}`)
    ).json().entries;
    expect(audit.at(-1)).toMatchObject({
      action: 'export',
      user: 'ana',
      notebook: { path: NOTEBOOK },
      details: { format: 'prov-json', runs: 3, activities: 3, download: true }
    });
    expect(audit.some((e: { user: string }) => e.user === 'vic')).toBe(true);
  });

  it('pages the audit trail newest first, filtered by notebook, user, action and time', async () => {
    const all = (await get('/api/opsbook/audit?limit=10000')).json().entries;
    const first = (await get('/api/opsbook/audit/recent?limit=2')).json();
    expect(first.entries.map((e: { seq: number }) => e.seq)).toEqual([
      all.at(-1).seq,
      all.at(-2).seq
    ]);
    expect(first.next).toBe(all.at(-2).seq);
    const rest = (await get(`/api/opsbook/audit/recent?limit=1000&before=${first.next}`)).json();
    expect(rest.next).toBeNull();
    expect([...first.entries, ...rest.entries].map((e: { seq: number }) => e.seq)).toEqual(
      all.map((e: { seq: number }) => e.seq).reverse()
    );

    const runs = (
      await get(
        `/api/opsbook/audit/recent?action=run&user=ana&notebook=${encodeURIComponent(NOTEBOOK)}`
      )
    ).json();
    expect(runs.entries.map((e: { details: { runId: string } }) => e.details.runId)).toEqual([
      'run-3',
      'run-2',
      'run-1'
    ]);
    expect((await get('/api/opsbook/audit/recent?user=nobody')).json()).toEqual({
      entries: [],
      next: null,
      actions: expect.arrayContaining(['open', 'run', 'replay', 'export'])
    });
    const runTimes = all.filter((e: { action: string }) => e.action === 'run');
    const window = (
      await get(
        `/api/opsbook/audit/recent?action=run&from=${runTimes[1].time}&to=${runTimes[1].time}`
      )
    ).json();
    expect(window.entries.every((e: { time: string }) => e.time === runTimes[1].time)).toBe(true);
    expect(window.entries.map((e: { seq: number }) => e.seq)).toContain(runTimes[1].seq);
    expect((await get('/api/opsbook/audit/recent?action=delete')).status).toBe(400);
    expect((await get('/api/opsbook/audit/recent?from=yesterday')).status).toBe(400);
    expect((await get('/api/opsbook/audit/recent?limit=0')).status).toBe(400);
  });

  it('verifies both chains, and names the first bad entry after the SQLite file was edited', async () => {
    const ok = (await get('/api/opsbook/audit/verify', VIEWER_TOKEN)).json();
    expect(ok).toMatchObject({
      ok: true,
      runs: { ok: true, verified: 3, firstBad: null, head: { seq: 3 } },
      audit: { ok: true, firstBad: null }
    });
    expect(ok.audit.verified).toBeGreaterThanOrEqual(6);

    const db = new Database(path.join(provenanceDir, 'provenance.sqlite'));
    try {
      db.exec(
        'DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;'
      );
      db.exec(
        'DROP TRIGGER IF EXISTS run_log_no_update; DROP TRIGGER IF EXISTS run_log_no_delete;'
      );
      db.prepare(
        `UPDATE audit_log SET payload = replace(payload, '"user":"ana"', '"user":"eve"') WHERE seq = 4`
      ).run();
      db.prepare('DELETE FROM run_log WHERE seq = 2').run();
    } finally {
      db.close();
    }
    const bad = (await get('/api/opsbook/audit/verify')).json();
    expect(bad.ok).toBe(false);
    expect(bad.audit).toMatchObject({
      ok: false,
      verified: 3,
      firstBad: { seq: 4, problem: 'payload-edited' }
    });
    expect(bad.audit.firstBad.reason).toMatch(/4/);
    expect(bad.runs).toMatchObject({
      ok: false,
      verified: 1,
      firstBad: { seq: 2, problem: 'missing' }
    });
  });
});
