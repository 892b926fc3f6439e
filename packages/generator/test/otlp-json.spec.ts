/**
 * The generator's OTLP/JSON output through the whole ingest path: generated as OTLP/JSON, ingested
 * with the OTLP adapter into a catalog, the snapshots hold every record and the incident window
 * of the ground truth.
 */
import * as fs from 'fs';
import * as path from 'path';
import { otlpJsonAdapter, parquetAdapter, parquetFileFromBytes } from '@opsbook/adapters';
import { Catalog } from '@opsbook/catalog';
import { GenerationSummary, generateTelemetry, OTLP_FILES } from '@opsbook/generator';
import { ParquetQueries, tempDir } from './helpers';

/**
 * Ingests generated OTLP/JSON files (and events.parquet) into a catalog under `root`, and opens
 * views named like the notebooks' tables over the catalog's snapshot files.
 */
async function ingestIntoCatalog(
  summary: GenerationSummary,
  root: string
): Promise<{ catalog: Catalog; db: ParquetQueries }> {
  const catalog = Catalog.open(path.join(root, 'store'));
  for (const file of summary.files.filter(f => f.name.endsWith('.otlp.jsonl'))) {
    await catalog.ingest({
      dataset: 'scenario',
      adapter: otlpJsonAdapter(),
      input: fs.readFileSync(file.path),
      source: file.path,
      user: 'test'
    });
  }
  const events = summary.files.find(f => f.name === 'events.parquet')!;
  await catalog.ingest({
    dataset: 'scenario',
    adapter: parquetAdapter({
      mapping: { table: 'events', columns: {} },
      file: parquetFileFromBytes(fs.readFileSync(events.path))
    }),
    input: new Uint8Array(),
    source: events.path,
    user: 'test'
  });
  const files = catalog.resolve('scenario').files;
  const dir = path.join(root, 'views');
  fs.mkdirSync(dir);
  const tables = { spans: 'spans', logs: 'logs', metric_points: 'metrics', events: 'events' };
  for (const [table, name] of Object.entries(tables)) {
    const snapshot = (files as Record<string, string[]>)[table];
    expect({ table, snapshots: snapshot.length }).toEqual({ table, snapshots: 1 });
    fs.symlinkSync(snapshot[0], path.join(dir, `${name}.parquet`));
  }
  return { catalog, db: await ParquetQueries.open(dir) };
}

describe("generateTelemetry({ format: 'otlp-json' })", () => {
  let root: string;
  let summary: GenerationSummary;
  let catalog: Catalog;
  let db: ParquetQueries;

  beforeAll(async () => {
    root = tempDir('generator-otlp');
    const out = path.join(root, 'out');
    summary = await generateTelemetry({ outDir: out, spans: 3000, hours: 2, format: 'otlp-json' });
    ({ catalog, db } = await ingestIntoCatalog(summary, root));
  });

  afterAll(async () => {
    db?.close();
    await catalog?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('writes traces, logs and metrics as OTLP/JSON lines, events as Parquet', () => {
    expect(summary.files.map(f => f.name)).toEqual([
      ...Object.values(OTLP_FILES),
      'events.parquet',
      'incident.json'
    ]);
    const first = JSON.parse(
      fs.readFileSync(summary.files[0].path, 'utf8').split('\n')[0]
    ) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['resourceSpans']);
  });

  it('ingests every generated record into the catalog', async () => {
    const rows = Object.fromEntries(summary.files.map(f => [f.name, f.rows]));
    expect(rows['traces.otlp.jsonl']).toBe(3000);
    expect(await db.value('SELECT count(*) FROM spans')).toBe(rows['traces.otlp.jsonl']);
    expect(await db.value('SELECT count(*) FROM logs')).toBe(rows['logs.otlp.jsonl']);
    expect(await db.value('SELECT count(*) FROM metrics')).toBe(rows['metrics.otlp.jsonl']);
    expect(await db.value('SELECT count(*) FROM events')).toBe(rows['events.parquet']);
  });

  it('keeps kinds, statuses, resources and typed attributes through OTLP', async () => {
    const [span] = await db.rows(
      `SELECT kind, service_name, deployment_environment, attributes['http.route'] AS route,
              attributes['http.response.status_code'] AS status
       FROM spans WHERE kind = 'server' AND name = 'POST /charge' LIMIT 1`
    );
    expect(span).toEqual({
      kind: 'server',
      service_name: 'payment',
      deployment_environment: 'production',
      route: '"/charge"',
      status: expect.stringMatching(/^\d{3}$/)
    });
    const statuses = await db.rows('SELECT DISTINCT status_code FROM spans ORDER BY 1');
    expect(statuses.map(s => s.status_code)).toEqual(['error', 'ok', 'unset']);
  });

  it('shows the ground-truth incident window in the ingested data', async () => {
    const { start, end, rootCauseService, badVersion } = summary.incident!;
    const [window] = await db.rows(
      `SELECT min(start_time) AS first, max(start_time) AS last FROM spans
       WHERE service_name = '${rootCauseService}' AND service_version = '${badVersion}'`
    );
    const minute = 60_000;
    expect((window.first as Date).getTime()).toBeGreaterThanOrEqual(Date.parse(start));
    expect((window.first as Date).getTime()).toBeLessThan(Date.parse(start) + minute);
    expect((window.last as Date).getTime()).toBeLessThan(Date.parse(end));
    expect((window.last as Date).getTime()).toBeGreaterThan(Date.parse(end) - 5 * minute);
    const outside = await db.value(
      `SELECT count(*) FROM logs WHERE service_name = 'checkout' AND severity_text = 'ERROR'
         AND body LIKE 'timeout calling payment%'
         AND (time < '${start.replace('T', ' ').replace('Z', '')}'
              OR time >= '${end.replace('T', ' ').replace('Z', '')}')`
    );
    expect(outside).toBe(0);
  });
});

describe("generateTelemetry({ scenario: 'error-burst', format: 'otlp-json' }) (#4)", () => {
  let root: string;
  let summary: GenerationSummary;
  let catalog: Catalog;
  let db: ParquetQueries;

  beforeAll(async () => {
    root = tempDir('generator-otlp-scenario');
    summary = await generateTelemetry({
      outDir: path.join(root, 'out'),
      spans: 8000,
      hours: 4,
      start: '2026-11-10T10:00:00Z',
      scenario: 'error-burst',
      format: 'otlp-json'
    });
    ({ catalog, db } = await ingestIntoCatalog(summary, root));
  });

  afterAll(async () => {
    db?.close();
    await catalog?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('writes OTLP/JSON, events and ground-truth.json', () => {
    expect(summary.files.map(f => f.name)).toEqual([
      ...Object.values(OTLP_FILES),
      'events.parquet',
      'ground-truth.json'
    ]);
  });

  it('shows the burst of the ground truth in the ingested spans, logs, metrics and events', async () => {
    const { start, end, rootCauseService } = summary.truth;
    const during = (column: string): string =>
      `${column} >= '${start.replace('T', ' ').replace('Z', '')}'
       AND ${column} < '${end.replace('T', ' ').replace('Z', '')}'`;
    const [spans] = await db.rows(
      `SELECT avg((status_code = 'error')::INT) FILTER (WHERE ${during('start_time')}) AS during,
              avg((status_code = 'error')::INT) FILTER (WHERE NOT (${during('start_time')})) AS rest
       FROM spans WHERE service_name = '${rootCauseService}' AND kind = 'server'`
    );
    expect(spans.during).toBeGreaterThan(0.2);
    expect(spans.rest).toBeLessThan(0.01);
    expect(
      await db.value(
        `SELECT count(*) FROM logs WHERE service_name = '${rootCauseService}'
           AND body LIKE 'connection pool exhausted%' AND NOT (${during('time')})`
      )
    ).toBe(0);
    expect(
      await db.value(
        `SELECT sum(value) FROM metrics WHERE service_name = '${rootCauseService}'
           AND metric_name = 'http.server.errors' AND ${during('time')}`
      )
    ).toBeGreaterThan(100);
    expect(
      await db.value(
        `SELECT count(*) FROM events WHERE name = 'InventoryErrorRateHigh' AND ${during('time')}`
      )
    ).toBe(1);
  });
});
