/**
 * The telemetry catalog API end to end: a real server on 127.0.0.1:0, the real ingest worker
 * (compiled: run `npx tsc -b packages/server` first), SQLite and DuckDB. Fixtures are the official
 * OTLP JSON examples and small JSON-lines logs written here.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';

import { startServer, tempDir, TestServer, TOKEN } from './helpers';

const OTLP = path.resolve(__dirname, '../../adapters/test/fixtures/otlp');
const VIEWER_TOKEN = 'v'.repeat(8) + '0123456789abcdef0123456789abcdef';

/** JSON-lines logs: 3 good records (one twice) and 2 bad ones, so the report has every kind. */
const QUARANTINING_LOGS = [
  '{"timestamp":"2024-03-01T00:00:00Z","level":"info","service":"api","message":"hello"}',
  'not json at all',
  '{"timestamp":"2024-03-01T00:00:01Z","level":"error","service":"api","message":"boom"}',
  '{"timestamp":"2024-03-01T00:00:01Z","level":"error","service":"api","message":"boom"}',
  '{"level":"info","message":"no time"}'
].join('\n');

/** The official OTLP trace example with its one span moved (another span id and start time). */
function movedTrace(seconds: number, spanId: string): string {
  const doc = JSON.parse(fs.readFileSync(path.join(OTLP, 'trace.json'), 'utf8'));
  const span = doc.resourceSpans[0].scopeSpans[0].spans[0];
  span.spanId = spanId;
  span.startTimeUnixNano = String(
    BigInt(span.startTimeUnixNano) + BigInt(seconds) * 1_000_000_000n
  );
  span.endTimeUnixNano = String(BigInt(span.endTimeUnixNano) + BigInt(seconds) * 1_000_000_000n);
  return JSON.stringify(doc);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- NDJSON lines are arbitrary JSON
function lines(text: string): any[] {
  return text
    .trim()
    .split('\n')
    .map(l => JSON.parse(l));
}

function usersFile(): string {
  const file = path.join(tempDir(), 'users.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      users: [
        { username: 'ana', display_name: 'Ana Silva', token: TOKEN },
        { username: 'vic', display_name: 'Vic Viewer', token: VIEWER_TOKEN, role: 'viewer' }
      ]
    })
  );
  return file;
}

/** A stand-in Prometheus on a loopback port: answers every range query with two `up` samples. */
async function fakePrometheus(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    if (!req.url?.startsWith('/api/v1/query_range')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: { __name__: 'up', job: 'api', instance: 'h:9100' },
              values: [
                [1700000000, '1'],
                [1700000015, '0']
              ]
            }
          ]
        }
      })
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise(resolve => server.close(() => resolve()))
  };
}

describe('the telemetry catalog API', () => {
  let t: TestServer;
  let store: string;
  let prometheus: { url: string; close: () => Promise<void> };

  const upload = (query: string, body: string | Buffer, token: string = TOKEN) =>
    t.request('POST', `/api/opsbook/ingest?${query}`, {
      token,
      rawBody: body,
      headers: { 'Content-Type': 'application/octet-stream' }
    });

  beforeAll(async () => {
    store = path.join(tempDir('opsbook-store-'), 'catalog');
    const dataDir = tempDir('opsbook-data-');
    // A flat file whose name collides with a catalog table of the default dataset.
    fs.writeFileSync(path.join(dataDir, 'logs.csv'), 'time,message\n2024-01-01 00:00:00,hi\n');
    prometheus = await fakePrometheus();
    t = await startServer({
      usersFile: usersFile(),
      catalogDir: store,
      dataDir,
      maxIngestBytes: 64 * 1024,
      pullSources: [
        { name: 'prod', kind: 'prometheus', url: 'http://127.0.0.1:9' },
        { name: 'local', kind: 'prometheus', url: prometheus.url }
      ]
    });
  });
  afterAll(async () => {
    await t.close();
    await prometheus.close();
  });

  it('ingests an upload that quarantines records, and the report adds up', async () => {
    const res = await upload(
      'dataset=app&as=jsonl&filename=app.jsonl&onError=quarantine',
      QUARANTINING_LOGS
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const last = lines(res.text).pop();
    expect(last.type).toBe('report');
    const { report, snapshots } = last;
    expect(report).toMatchObject({
      dataset: 'app',
      rowsIn: 5,
      rowsStored: 2,
      duplicatesDropped: 1,
      rowsQuarantined: 2
    });
    expect(report.rowsIn).toBe(
      report.rowsStored + report.duplicatesDropped + report.rowsQuarantined
    );
    expect(report.quarantine.map((q: { code: string }) => q.code).sort()).toEqual([
      'no-timestamp',
      'not-json-line'
    ]);
    expect(snapshots).toHaveLength(1);
    // Recorded under the authenticated user, whatever the client says.
    expect(snapshots[0]).toMatchObject({ table: 'logs', rows: 2, by: 'ana', source: 'app.jsonl' });
  });

  it('ingests an uploaded Parquet file through a spooled copy, and removes the copy', async () => {
    const file = path.join(tempDir('opsbook-parquet-upload-'), 'events.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    await db.run(
      `COPY (SELECT TIMESTAMP '2026-11-10 12:00:00' + i * INTERVAL 1 MINUTE AS time,
                    'deploy' AS event_type, 'deploy ' || i AS name, 'checkout' AS service_name
             FROM range(50) t(i))
       TO '${file}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 16)`
    );
    db.closeSync();
    instance.closeSync();
    const res = await upload(
      'dataset=deploys&as=parquet&table=events&filename=events.parquet',
      fs.readFileSync(file)
    );
    expect(res.status).toBe(200);
    const last = lines(res.text).pop();
    expect(last.type).toBe('report');
    expect(last.report).toMatchObject({ dataset: 'deploys', rowsIn: 50, rowsStored: 50 });
    expect(last.snapshots[0]).toMatchObject({ table: 'events', rows: 50 });
    expect(fs.readdirSync(path.join(store, 'tmp')).filter(f => f.startsWith('upload-'))).toEqual(
      []
    );
  });

  it('answers the first rejected record with 422, its position, and stores nothing', async () => {
    const res = await upload('dataset=rejected&as=jsonl&filename=bad.jsonl', QUARANTINING_LOGS);
    expect(res.status).toBe(422);
    const [line] = lines(res.text);
    expect(line.type).toBe('error');
    expect(line.error.code).toBe('not-json-line');
    expect(line.error.position).toMatchObject({ line: 2 });
    expect(line.error.message).toMatch(/line 2/);
    const list = (await t.request('GET', '/api/opsbook/catalog')).json();
    expect(list.datasets.map((d: { name: string }) => d.name)).not.toContain('rejected');
  });

  it("refuses a viewer's upload with 403 and says why", async () => {
    const res = await upload('dataset=app&as=otlp', '{}', VIEWER_TOKEN);
    expect(res.status).toBe(403);
    expect(res.json().message).toMatch(/'vic' is a viewer and cannot ingest/);
  });

  it('refuses bad parameters before reading the body', async () => {
    expect((await upload('dataset=app&as=nope', 'x')).json().message).toMatch(
      /Unknown input kind 'nope'/
    );
    expect((await upload('dataset=Bad-Name&as=otlp', 'x')).status).toBe(400);
    expect((await upload('dataset=app', 'x')).json().message).toMatch(
      /Missing query parameter 'as'/
    );
  });

  it('answers a too-large upload with 413 and leaves the catalog unchanged', async () => {
    const before = (await t.request('GET', '/api/opsbook/catalog')).text;
    const big = Buffer.alloc(100 * 1024, 'a');
    const declared = await upload('dataset=big&as=text&filename=big.log', big);
    expect(declared.status).toBe(413);
    expect(declared.json().message).toMatch(/maxIngestBytes/);

    // Without Content-Length the limit is found while streaming.
    const chunked = await t.request('POST', '/api/opsbook/ingest?dataset=big&as=text', {
      rawBody: big,
      headers: { 'Transfer-Encoding': 'chunked' }
    });
    expect(chunked.status).toBe(413);
    expect(lines(chunked.text)[0].error.code).toBe('too-large');
    expect((await t.request('GET', '/api/opsbook/catalog')).text).toBe(before);
    await waitFor(() => fs.readdirSync(path.join(store, 'tmp')).length === 0);
  });

  it('leaves no snapshot and no temp files when the client disconnects mid-upload', async () => {
    const req = http.request({
      host: '127.0.0.1',
      port: t.port,
      method: 'POST',
      path: '/api/opsbook/ingest?dataset=cut&as=jsonl&filename=cut.jsonl',
      headers: { Authorization: `token ${TOKEN}`, 'Transfer-Encoding': 'chunked' }
    });
    req.on('error', () => undefined);
    const record = (i: number) =>
      `{"timestamp":"2024-03-01T00:00:${String(i % 60).padStart(2, '0')}Z","service":"api","message":"m${i}"}\n`;
    req.write(Array.from({ length: 200 }, (_, i) => record(i)).join(''));
    // Wait until the worker has started the ingest (its work directory exists), then hang up.
    await waitFor(() => fs.readdirSync(path.join(store, 'tmp')).length > 0);
    req.destroy();
    await waitFor(() => fs.readdirSync(path.join(store, 'tmp')).length === 0);
    const list = (await t.request('GET', '/api/opsbook/catalog')).json();
    expect(list.datasets.map((d: { name: string }) => d.name)).not.toContain('cut');
    const dir = path.join(store, 'snapshots', 'cut');
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });

  it('lists catalog tables in /api/datasets and serves them pinned to a snapshot', async () => {
    const first = lines(
      (await upload('dataset=checkout&as=otlp&filename=a.json', movedTrace(0, '1111111111111111')))
        .text
    ).pop();
    const second = lines(
      (await upload('dataset=checkout&as=otlp&filename=b.json', movedTrace(60, '2222222222222222')))
        .text
    ).pop();
    const logs = lines(
      (await upload('as=otlp&filename=logs.json', fs.readFileSync(path.join(OTLP, 'logs.json'))))
        .text
    ).pop();
    const a = first.snapshots[0].id;
    const b = second.snapshots[0].id;
    expect(second.snapshots[0].parents).toEqual([a]);

    const listing = (await t.request('GET', '/api/datasets')).json();
    const byName = new Map(listing.datasets.map((d: { name: string }) => [d.name, d]));
    expect(byName.get('checkout_spans')).toMatchObject({
      rowCount: 2,
      timeColumn: 'start_time',
      snapshot: { dataset: 'checkout', table: 'spans', id: b },
      snapshotId: b
    });
    // The default dataset's tables are also listed under their bare names.
    expect(byName.get('default_logs')).toMatchObject({ snapshotId: logs.snapshots[0].id });
    expect(byName.get('logs')).toMatchObject({ snapshotId: logs.snapshots[0].id });
    expect(listing.skipped).toEqual([
      expect.objectContaining({
        file: 'logs.csv',
        reason: expect.stringMatching(/catalog dataset 'default'/)
      })
    ]);

    const latest = await t.request('GET', '/api/datasets/checkout_spans/arrow?columns=span_id');
    expect(latest.status).toBe(200);
    expect(latest.headers['x-opsbook-snapshot']).toBe(b);
    expect(tableFromIPC(latest.body).getChild('span_id')!.toArray()).toEqual([
      '1111111111111111',
      '2222222222222222'
    ]);

    const pinned = await t.request(
      'GET',
      `/api/datasets/checkout_spans/arrow?columns=span_id&snapshot=${a}`
    );
    expect(pinned.headers['x-opsbook-snapshot']).toBe(a);
    expect(tableFromIPC(pinned.body).getChild('span_id')!.toArray()).toEqual(['1111111111111111']);

    const windowed = await t.request(
      'GET',
      '/api/datasets/checkout_spans/arrow?columns=span_id&start=2018-12-13T14:51:30Z'
    );
    expect(tableFromIPC(windowed.body).numRows).toBe(1);

    const unknown = await t.request('GET', '/api/datasets/checkout_spans/arrow?snapshot=deadbeef');
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toMatch(/Dataset 'checkout' has no spans snapshot 'deadbeef'/);
  });

  it('shows a dataset with its snapshots, schema, quality and lineage', async () => {
    const res = await t.request('GET', '/api/opsbook/catalog/checkout');
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.dataset.tables.spans.rows).toBe(2);
    expect(body.snapshots).toHaveLength(2);
    const [a, b] = body.snapshots;
    expect(b).toMatchObject({
      schemaVersion: 1,
      adapter: { name: 'otlp-json' },
      parents: [a.id],
      by: 'ana',
      quality: { rowsIn: 1, duplicatesOfEarlierSnapshots: 0 }
    });
    expect(b.schema.columns).toContainEqual({
      name: 'start_time',
      type: 'TIMESTAMP_NS',
      nullable: false
    });
    expect(body.lineage).toContainEqual({
      snapshotId: b.id,
      ancestors: [{ id: a.id, depth: 1, table: 'spans', dataset: 'checkout' }]
    });
    const missing = await t.request('GET', '/api/opsbook/catalog/nothing_here');
    expect(missing.status).toBe(404);
    expect(missing.json().message).toMatch(/No dataset 'nothing_here'/);
  });

  it('lists the configured pull sources and refuses any other', async () => {
    expect((await t.request('GET', '/api/opsbook/pull/sources')).json()).toEqual({
      sources: [
        { name: 'prod', kind: 'prometheus', url: 'http://127.0.0.1:9' },
        { name: 'local', kind: 'prometheus', url: prometheus.url }
      ]
    });
    const res = await t.request('POST', '/api/opsbook/pull', {
      body: { source: 'prometheus', name: 'http://evil.example', query: 'up', dataset: 'x' }
    });
    expect(res.status).toBe(400);
    expect(res.json().message).toMatch(
      /No prometheus source named 'http:\/\/evil.example'.*Configured: prod, local/
    );
    const viewer = await t.request('POST', '/api/opsbook/pull', {
      token: VIEWER_TOKEN,
      body: { source: 'prometheus', name: 'local', query: 'up', dataset: 'x' }
    });
    expect(viewer.status).toBe(403);
    const wrongKind = await t.request('POST', '/api/opsbook/pull', {
      body: { source: 'alertmanager', name: 'prod', dataset: 'x' }
    });
    expect(wrongKind.status).toBe(400);
  });

  it('pulls a range query from a configured Prometheus into a dataset', async () => {
    const res = await t.request('POST', '/api/opsbook/pull', {
      body: {
        source: 'prometheus',
        name: 'local',
        query: 'up',
        start: '2023-11-14T22:13:20Z',
        end: '2023-11-14T22:13:35Z',
        step: '15s',
        dataset: 'pulled'
      }
    });
    expect(res.status).toBe(200);
    const last = lines(res.text).pop();
    expect(last.type).toBe('report');
    expect(last.report).toMatchObject({ rowsIn: 2, rowsStored: 2 });
    expect(last.snapshots[0]).toMatchObject({ table: 'metrics', by: 'ana' });
    expect(last.snapshots[0].source).toContain(`prometheus:${prometheus.url}`);

    const failing = await t.request('POST', '/api/opsbook/pull', {
      body: {
        source: 'prometheus',
        name: 'prod',
        query: 'up',
        start: '2023-11-14T22:13:20Z',
        end: '2023-11-14T22:13:35Z',
        step: '15s'
      }
    });
    expect(failing.status).toBe(502);
    expect(lines(failing.text)[0].error.code).toBe('unreachable');
  });
});

describe('a big upload', () => {
  it('streams progress lines and leaves the event loop free while the worker ingests', async () => {
    const t = await startServer({
      catalogDir: path.join(tempDir('opsbook-store-'), 'catalog'),
      ingestProgressIntervalMs: 100
    });
    try {
      const body = Array.from(
        { length: 40_000 },
        (_, i) =>
          `{"timestamp":"2024-03-01T${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z","service":"api","level":"info","message":"request ${i} done"}`
      ).join('\n');
      let worstLagMs = 0;
      let last = Date.now();
      const probe = setInterval(() => {
        const now = Date.now();
        worstLagMs = Math.max(worstLagMs, now - last - 10);
        last = now;
      }, 10);
      let res;
      try {
        res = await t.request(
          'POST',
          '/api/opsbook/ingest?dataset=big&as=jsonl&filename=big.jsonl',
          {
            rawBody: body
          }
        );
      } finally {
        clearInterval(probe);
      }
      const all = lines(res.text);
      const progress = all.filter(l => l.type === 'progress');
      expect(all.pop()).toMatchObject({ type: 'report', report: { rowsStored: 40_000 } });
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[progress.length - 1].rowsRead).toBeGreaterThan(0);
      // The ingest takes seconds of CPU in the worker; the main thread only relays bytes. (Generous:
      // on a loaded 2-core machine other processes alone can delay a timer by a few hundred ms.)
      expect(worstLagMs).toBeLessThan(1000);
    } finally {
      await t.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('timed out waiting for a condition');
    }
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}
