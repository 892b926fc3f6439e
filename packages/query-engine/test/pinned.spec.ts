/**
 * Pinned queries (issue #5) with real DuckDB-WASM against a real server on port 0 serving a
 * telemetry catalog with two snapshots of one table: slices name the snapshot they were read from
 * (`X-Opsbook-Snapshot`), and `queryPinned` reads exactly the snapshots it is given.
 */
import { createServer, type OpsbookServer } from '@opsbook/server';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBEngine } from '../src/duckdb-engine';
import { QueryError } from '../src/errors';
import { httpDatasetSource, listDatasets, type HttpSourceOptions } from '../src/http-source';
import { createNodeEngine } from '../src/node';
import { queryPinned } from '../src/pinned';

const TOKEN = 'pinned-query-test-token-0123456789';
const OTLP = path.resolve(__dirname, '../../adapters/test/fixtures/otlp');

/** The official OTLP trace example with its one span moved (another span id and start time). */
function movedTrace(seconds: number, spanId: string): string {
  const doc = JSON.parse(fs.readFileSync(path.join(OTLP, 'trace.json'), 'utf8'));
  const span = doc.resourceSpans[0].scopeSpans[0].spans[0];
  span.spanId = spanId;
  const shift = BigInt(seconds) * 1_000_000_000n;
  span.startTimeUnixNano = String(BigInt(span.startTimeUnixNano) + shift);
  span.endTimeUnixNano = String(BigInt(span.endTimeUnixNano) + shift);
  return JSON.stringify(doc);
}

describe('pinned queries', () => {
  let dir: string;
  let server: OpsbookServer;
  let http: HttpSourceOptions;
  let engine: DuckDBEngine;
  let pinnedEngine: DuckDBEngine;
  let first: string;
  let second: string;
  const rowsOf = (table: { numRows: number }) => table.numRows;

  const ingest = async (body: string): Promise<string> => {
    const base = http.datasetsUrl.replace(/\/datasets$/, '');
    const response = await fetch(`${base}/opsbook/ingest?dataset=checkout&as=otlp`, {
      method: 'POST',
      headers: { ...http.headers, 'Content-Type': 'application/octet-stream' },
      body
    });
    const last = (await response.text()).trim().split('\n').pop()!;
    expect(response.status).toBe(200);
    return JSON.parse(last).snapshots[0].id;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-pinned-'));
    fs.mkdirSync(path.join(dir, 'notebooks'));
    fs.mkdirSync(path.join(dir, 'data'));
    server = createServer({
      notebookDir: path.join(dir, 'notebooks'),
      dataDir: path.join(dir, 'data'),
      catalogDir: path.join(dir, 'catalog'),
      port: 0,
      token: TOKEN,
      logLevel: 'error'
    });
    const info = await server.listen();
    http = {
      datasetsUrl: `http://127.0.0.1:${info.port}/api/datasets`,
      headers: { Authorization: `token ${TOKEN}` }
    };
    first = await ingest(movedTrace(0, '1111111111111111'));
    second = await ingest(movedTrace(60, '2222222222222222'));
    engine = await createNodeEngine();
    pinnedEngine = await createNodeEngine();
    for (const listing of await listDatasets(http)) {
      await engine.registerDataset(httpDatasetSource(listing, http));
    }
  }, 60_000);

  afterAll(async () => {
    await engine?.dispose();
    await pinnedEngine?.dispose();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records the snapshot the server says it served for each scan', async () => {
    const result = await engine.query('SELECT span_id FROM checkout_spans ORDER BY span_id');
    expect(result.table.numRows).toBe(2);
    expect(result.scans).toEqual([
      expect.objectContaining({ table: 'checkout_spans', snapshotId: second })
    ]);
    // Served again from memory: still the snapshot of the bytes loaded.
    const again = await engine.query('SELECT count(*) FROM checkout_spans');
    expect(again.scans[0].snapshotId).toBe(second);
  });

  it('reads each table at its pinned snapshot and returns the result with its hash', async () => {
    const old = await queryPinned('SELECT span_id FROM checkout_spans ORDER BY span_id', {
      engine: pinnedEngine,
      http,
      pins: { checkout_spans: first },
      hash: rowsOf
    });
    expect(old.hash).toBe(1);
    expect(old.result.table.getChild('span_id')!.toArray()).toEqual(['1111111111111111']);
    expect(old.result.scans[0]).toMatchObject({ table: 'checkout_spans', snapshotId: first });

    const latest = await queryPinned('SELECT span_id FROM checkout_spans ORDER BY span_id', {
      engine: pinnedEngine,
      http,
      pins: { checkout_spans: second },
      hash: rowsOf
    });
    expect(latest.hash).toBe(2);
    expect(latest.result.scans[0].snapshotId).toBe(second);
  });

  it('says which snapshot of which table no longer exists', async () => {
    const run = queryPinned('SELECT * FROM checkout_spans', {
      engine: pinnedEngine,
      http,
      pins: { checkout_spans: 'deadbeef' },
      hash: rowsOf
    });
    await expect(run).rejects.toThrow(QueryError);
    await expect(run).rejects.toThrow(/snapshot deadbeef of checkout_spans no longer exists/);
  });

  it('says so when the table itself is gone from the catalog', async () => {
    await expect(
      queryPinned('SELECT 1', {
        engine: pinnedEngine,
        http,
        pins: { checkout_gone: first },
        hash: rowsOf
      })
    ).rejects.toThrow(`snapshot ${first} of checkout_gone no longer exists`);
  });

  it('refuses to read a table the run recorded no snapshot for', async () => {
    await expect(
      queryPinned('SELECT count(*) FROM checkout_spans', {
        engine: pinnedEngine,
        http,
        pins: {},
        hash: rowsOf
      })
    ).rejects.toThrow(/did not record a snapshot for/);
  });

  it('keeps the slices of a table pinned to the same snapshot from one query to the next', async () => {
    let slices = 0;
    const counting: HttpSourceOptions = {
      ...http,
      fetch: (async (url: string, init?: RequestInit) => {
        if (String(url).includes('/arrow?')) {
          slices++;
        }
        return fetch(url, init);
      }) as typeof fetch
    };
    const fresh = await createNodeEngine();
    try {
      const run = (pin: string) =>
        queryPinned('SELECT span_id FROM checkout_spans', {
          engine: fresh,
          http: counting,
          pins: { checkout_spans: pin },
          hash: rowsOf
        });
      expect((await run(first)).hash).toBe(1);
      const again = await run(first);
      expect(slices).toBe(1);
      expect(again.result.scans[0].snapshotId).toBe(first);
      // Another pin: registered anew, fetched, and the rows are that snapshot's.
      const other = await run(second);
      expect(slices).toBe(2);
      expect(other.hash).toBe(2);
      expect(other.result.scans[0].snapshotId).toBe(second);
    } finally {
      await fresh.dispose();
    }
  });

  it('runs SQL that reads no table', async () => {
    const { result, hash } = await queryPinned('SELECT 42 AS answer', {
      engine: pinnedEngine,
      http,
      pins: {},
      hash: rowsOf
    });
    expect(hash).toBe(1);
    expect(result.scans).toEqual([]);
  });
});
