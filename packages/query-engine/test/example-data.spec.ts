/**
 * The query engine in Node on the example data, loaded the way the browser loads it: the real
 * server reads the generated Parquet with native DuckDB and serves Arrow slices over HTTP.
 */
import { generateTelemetry } from '@opsbook/generator';
import { createServer, type OpsbookServer } from '@opsbook/server';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBEngine } from '../src/duckdb-engine';
import { QueryError } from '../src/errors';
import { httpDatasetSource, listDatasets } from '../src/http-source';
import { createNodeEngine } from '../src/node';

const TOKEN = 'example-data-test-token';

describe('the query engine on the example data', () => {
  let dir: string;
  let server: OpsbookServer;
  let engine: DuckDBEngine;
  let datasetsUrl: string;
  const headers = { Authorization: `token ${TOKEN}` };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-engine-'));
    const data = path.join(dir, 'data');
    await generateTelemetry({ outDir: data, spans: 20_000, seed: 7 });
    fs.writeFileSync(path.join(data, 'corrupt.parquet'), 'this is not a parquet file');
    fs.mkdirSync(path.join(dir, 'notebooks'));
    server = createServer({
      notebookDir: path.join(dir, 'notebooks'),
      dataDir: data,
      port: 0,
      token: TOKEN,
      logLevel: 'error'
    });
    const info = await server.listen();
    datasetsUrl = `http://127.0.0.1:${info.port}/api/datasets`;
    engine = await createNodeEngine();
    for (const listing of await listDatasets({ datasetsUrl, headers })) {
      if (!listing.error) {
        await engine.registerDataset(httpDatasetSource(listing, { datasetsUrl, headers }));
      }
    }
  });

  afterAll(async () => {
    await engine?.dispose();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers the four example datasets', () => {
    expect(
      engine
        .datasets()
        .map(d => d.name)
        .sort()
    ).toEqual(['events', 'logs', 'metrics', 'spans']);
  });

  it('shows the incident in a group-by over the time window', async () => {
    const result = await engine.query(`
      SELECT service_name,
             quantile_cont(duration_ns, 0.95) FILTER (WHERE start_time <  TIMESTAMP '2026-11-10 14:00:00') AS before_p95,
             quantile_cont(duration_ns, 0.95) FILTER (WHERE start_time >= TIMESTAMP '2026-11-10 14:00:00') AS during_p95
      FROM spans
      WHERE kind = 'server'
        AND start_time BETWEEN TIMESTAMP '2026-11-10 12:00:00' AND TIMESTAMP '2026-11-10 16:00:00'
      GROUP BY service_name ORDER BY service_name`);
    const rows = result.table.toArray().map(r => r.toJSON());
    const payment = rows.find(r => r.service_name === 'payment')!;
    expect(payment.during_p95).toBeGreaterThan(3 * payment.before_p95);
    expect(result.scans[0]).toMatchObject({
      table: 'spans',
      start: '2026-11-10T12:00:00Z',
      end: '2026-11-10T16:00:00Z',
      columns: ['duration_ns', 'kind', 'service_name', 'start_time']
    });
  });

  it('runs window functions over the logs', async () => {
    const result = await engine.query(`
      SELECT service_name, minute, errors,
             sum(errors) OVER (PARTITION BY service_name ORDER BY minute) AS running_errors
      FROM (SELECT service_name, date_trunc('minute', time) AS minute, count(*) AS errors
            FROM logs WHERE severity_number >= 17 GROUP BY ALL)
      QUALIFY row_number() OVER (PARTITION BY service_name ORDER BY minute DESC) = 1
      ORDER BY running_errors DESC`);
    expect(result.table.numRows).toBeGreaterThan(0);
    const top = result.table.get(0)!.toJSON();
    expect(Number(top.running_errors)).toBeGreaterThanOrEqual(Number(top.errors));
  });

  it('cancels a running query on the example data', async () => {
    const running = engine.query(
      'SELECT count(*) FROM spans a, spans b WHERE a.duration_ns / 1e6 + b.duration_ns / 1e6 > 1e12'
    );
    setTimeout(() => void engine.cancel(), 500);
    await expect(running).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('reports a SQL error with its position', async () => {
    const error: QueryError = await engine
      .query('SELECT service_name FROM spans\nWHERE duraton_ns > 5')
      .catch(e => e);
    expect(error.message).toContain('duraton_ns');
    expect(error.position).toMatchObject({ line: 2, column: 7 });
  });

  it('reads attribute maps with attr(), in DuckDB-WASM without the JSON extension', async () => {
    const result = await engine.query(`
      SELECT attr(attributes, 'http.route') AS route,
             attributes['http.route'] AS raw,
             attr(attributes, 'http.response.status_code')::INTEGER AS status
      FROM spans
      WHERE kind = 'server' AND name = 'POST /charge'
      LIMIT 1`);
    expect(result.table.get(0)!.toJSON()).toEqual({
      route: '/charge',
      raw: '"/charge"',
      status: expect.any(Number)
    });
  });

  it('names the file when a dataset is not valid Parquet', async () => {
    const listing = await listDatasets({ datasetsUrl, headers });
    const corrupt = listing.find(d => d.file === 'corrupt.parquet');
    expect(corrupt?.error).toMatch(/corrupt\.parquet/);
    // Asking for it anyway gets the server's error, naming the file, through the engine.
    await engine.registerDataset(
      httpDatasetSource(
        { ...corrupt!, name: 'corrupt', columns: [{ name: 'x', type: 'INTEGER' }] },
        { datasetsUrl, headers }
      )
    );
    const error = await engine.query('SELECT * FROM corrupt').catch(e => e);
    expect(error).toBeInstanceOf(QueryError);
    expect(error.kind).toBe('data');
    expect(error.message).toMatch(/corrupt\.parquet/);
  });
});
