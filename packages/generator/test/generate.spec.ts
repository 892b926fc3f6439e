import * as fs from 'fs';
import * as path from 'path';
import {
  EVENTS_TABLE,
  GenerationSummary,
  generateTelemetry,
  IncidentTruth,
  LOGS_TABLE,
  METRIC_SPECS,
  METRICS_TABLE,
  SPANS_TABLE,
  TOPOLOGY
} from '@opsbook/generator';
import { TABLES } from '@opsbook/telemetry-schema/lib/tables';
import { ParquetQueries, sha256, tempDir } from './helpers';

const SPANS = 20_000;
const SEED = 42;
const PARQUET_FILES = ['spans.parquet', 'logs.parquet', 'metrics.parquet', 'events.parquet'];
/** SHA-256 of the files of `{ spans: SPANS, seed: SEED }`, the default scenario. */
const DEFAULT_OUTPUT_SHA256: Record<string, string> = {
  'spans.parquet': '64011f0c08ce85b0287b73956e60450d60a9adc96fafa4bded97cc2e9df6a98c',
  'logs.parquet': '270ffc6bcfe4ad068520282097262ef71d25e13d44f13a1dfc78d14908801526',
  'metrics.parquet': 'c7913a46b18c34189bc7e9ad6223df726fb6e6806d35f857c92d04d4a8f9c111',
  'events.parquet': 'cea6e4aa2171986471ed76a09aac6fcf34231ec6a04241fd455bea566f21effc',
  'incident.json': 'd5c018f7b0622d97553b35c9f9a725af5027c345824d9e96b4ef5bc22496f664'
};

describe('generateTelemetry', () => {
  let root: string;
  let dirA: string;
  let summary: GenerationSummary;
  let db: ParquetQueries;
  let progress: [number, number][];

  beforeAll(async () => {
    root = tempDir('generator');
    dirA = path.join(root, 'a');
    progress = [];
    summary = await generateTelemetry({
      outDir: dirA,
      spans: SPANS,
      seed: SEED,
      onProgress: (done, total) => progress.push([done, total])
    });
    db = await ParquetQueries.open(dirA);
  });

  afterAll(() => {
    db?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('determinism', () => {
    it('writes byte-identical files for the same options into another directory', async () => {
      const dirB = path.join(root, 'b');
      await generateTelemetry({ outDir: dirB, spans: SPANS, seed: SEED });
      for (const name of [...PARQUET_FILES, 'incident.json']) {
        expect(sha256(path.join(dirB, name))).toBe(sha256(path.join(dirA, name)));
      }
    });

    it('writes the same bytes as before the scenario library for the default scenario (#4)', () => {
      // Pinned before scenarios were added: the default output must not change. A DuckDB upgrade
      // that changes the Parquet writer changes these too; then re-pin after checking the rows.
      const hashes = Object.fromEntries(
        [...PARQUET_FILES, 'incident.json'].map(name => [name, sha256(path.join(dirA, name))])
      );
      expect(hashes).toEqual(DEFAULT_OUTPUT_SHA256);
    });

    it('writes different spans, logs and metrics for another seed', async () => {
      const dirC = path.join(root, 'c');
      await generateTelemetry({ outDir: dirC, spans: SPANS, seed: SEED + 1 });
      for (const name of ['spans.parquet', 'logs.parquet', 'metrics.parquet']) {
        expect(sha256(path.join(dirC, name))).not.toBe(sha256(path.join(dirA, name)));
      }
    });
  });

  describe('files and summary', () => {
    it('reports every output file with its size, and leaves no work directory behind', () => {
      expect(summary.files.map(f => f.name)).toEqual([...PARQUET_FILES, 'incident.json']);
      for (const file of summary.files) {
        expect(file.path).toBe(path.join(path.resolve(dirA), file.name));
        expect(file.bytes).toBe(fs.statSync(file.path).size);
      }
      expect(fs.readdirSync(dirA).sort()).toEqual([...PARQUET_FILES, 'incident.json'].sort());
      expect(summary.elapsedMs).toBeGreaterThan(0);
    });

    it('reports row counts that match the files, with exactly the requested spans', async () => {
      for (const file of summary.files.filter(f => f.name.endsWith('.parquet'))) {
        const table = file.name.replace('.parquet', '');
        expect(await db.value(`SELECT count(*) FROM ${table}`)).toBe(file.rows);
      }
      const rows = Object.fromEntries(summary.files.map(f => [f.name, f.rows]));
      expect(rows['spans.parquet']).toBe(SPANS);
      expect(rows['logs.parquet'] / SPANS).toBeGreaterThan(0.35);
      expect(rows['logs.parquet'] / SPANS).toBeLessThan(0.65);
      const minutes = 24 * 60;
      expect(rows['metrics.parquet']).toBe(
        TOPOLOGY.services.length * METRIC_SPECS.length * minutes
      );
    });

    it('writes exactly the canonical columns, in schema order, with their types', async () => {
      const duckdbType: Record<string, string> = {
        timestamp_ns: 'TIMESTAMP_NS',
        utf8: 'VARCHAR',
        int32: 'INTEGER',
        int64: 'BIGINT',
        float64: 'DOUBLE',
        bool: 'BOOLEAN',
        attributes: 'MAP(VARCHAR, VARCHAR)',
        list_int64: 'BIGINT[]',
        list_float64: 'DOUBLE[]'
      };
      for (const spec of [SPANS_TABLE, LOGS_TABLE, METRICS_TABLE, EVENTS_TABLE]) {
        const view = spec.file.replace('.parquet', '');
        const columns = await db.rows(`DESCRIBE ${view}`);
        expect(columns.map(c => [c.column_name, c.column_type])).toEqual(
          TABLES[spec.table].columns.map(c => [c.name, duckdbType[c.kind]])
        );
      }
    });

    it('fills every non-nullable canonical column, and attribute maps hold JSON text', async () => {
      for (const spec of [SPANS_TABLE, LOGS_TABLE, METRICS_TABLE, EVENTS_TABLE]) {
        const view = spec.file.replace('.parquet', '');
        for (const column of TABLES[spec.table].columns.filter(c => !c.nullable)) {
          expect([
            view,
            column.name,
            await db.value(`SELECT count(*) FROM ${view} WHERE "${column.name}" IS NULL`)
          ]).toEqual([view, column.name, 0]);
        }
      }
      const [span] = await db.rows(
        `SELECT attributes['http.request.method'] AS method, attributes['http.route'] AS route,
                attributes['http.response.status_code'] AS status
         FROM spans WHERE kind = 'server' AND name = 'POST /charge' LIMIT 1`
      );
      expect(span).toEqual({ method: '"POST"', route: '"/charge"', status: expect.any(String) });
      expect(JSON.parse(span.status as string)).toEqual(expect.any(Number));
      const kinds = await db.rows(`SELECT DISTINCT kind, status_code FROM spans ORDER BY ALL`);
      expect(new Set(kinds.map(k => k.kind))).toEqual(new Set(['client', 'internal', 'server']));
      expect(new Set(kinds.map(k => k.status_code))).toEqual(new Set(['error', 'ok', 'unset']));
      expect(
        await db.value(
          'SELECT count(*) FROM spans WHERE duration_ns <> epoch_ns(end_time) - epoch_ns(start_time)'
        )
      ).toBe(0);
    });

    it('compresses with zstd and sorts every file by time', async () => {
      for (const spec of [SPANS_TABLE, LOGS_TABLE, METRICS_TABLE, EVENTS_TABLE]) {
        const file = path.join(dirA, spec.file);
        const codecs = await db.rows(
          `SELECT DISTINCT compression FROM parquet_metadata('${file}')`
        );
        expect(codecs.map(c => c.compression)).toEqual(['ZSTD']);
        const unsorted = await db.value(
          `SELECT count(*) FROM (
             SELECT ${spec.sortBy} AS t, lag(${spec.sortBy}) OVER (ORDER BY file_row_number) AS p
             FROM read_parquet('${file}', file_row_number = true)) WHERE t < p`
        );
        expect(unsorted).toBe(0);
      }
    });

    it('reports progress up to the total', () => {
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[progress.length - 1]).toEqual([SPANS, SPANS]);
    });
  });

  describe('traces', () => {
    it('has a parent in the same trace for every non-root span', async () => {
      const orphans = await db.value(
        `SELECT count(*) FROM spans c WHERE parent_span_id IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM spans p WHERE p.trace_id = c.trace_id AND p.span_id = c.parent_span_id)`
      );
      expect(orphans).toBe(0);
      const roots = await db.rows(
        `SELECT DISTINCT service_name, kind FROM spans WHERE parent_span_id IS NULL`
      );
      expect(roots).toEqual([{ service_name: 'frontend', kind: 'server' }]);
    });

    it('uses well-formed, unique ids', async () => {
      const [row] = await db.rows(
        `SELECT count(*) FILTER (WHERE NOT regexp_full_match(trace_id, '[0-9a-f]{32}')) AS bad_trace,
                count(*) FILTER (WHERE NOT regexp_full_match(span_id, '[0-9a-f]{16}')) AS bad_span,
                count(DISTINCT span_id) AS distinct_spans, count(*) AS spans
         FROM spans`
      );
      expect(row).toEqual({ bad_trace: 0, bad_span: 0, distinct_spans: SPANS, spans: SPANS });
    });

    it('covers at least 8 services, all span kinds and the whole day', async () => {
      const services = await db.value('SELECT count(DISTINCT service_name) FROM spans');
      expect(services).toBeGreaterThanOrEqual(8);
      expect(services).toBe(TOPOLOGY.services.length);
      const kinds = await db.rows('SELECT DISTINCT kind FROM spans ORDER BY 1');
      expect(kinds.map(k => k.kind)).toEqual(['client', 'internal', 'server']);
      const [range] = await db.rows(
        `SELECT min(start_time) AS first, max(end_time) AS last,
                count(DISTINCT hour(start_time)) AS hours FROM spans`
      );
      expect(range.first).toEqual(new Date('2026-11-10T00:00:00Z'));
      expect((range.last as Date).getTime()).toBeLessThan(Date.parse('2026-11-11T00:00:00Z'));
      expect(range.hours).toBe(24);
    });

    it('follows a daily traffic pattern: the afternoon is busier than the night', async () => {
      const [row] = await db.rows(
        `SELECT count(*) FILTER (WHERE hour(start_time) = 4) AS night,
                count(*) FILTER (WHERE hour(start_time) = 16) AS afternoon
         FROM spans WHERE parent_span_id IS NULL`
      );
      expect(Number(row.afternoon)).toBeGreaterThan(3 * Number(row.night));
    });
  });

  describe('the incident', () => {
    const start = '2026-11-10 14:00:00';
    const end = '2026-11-10 16:00:00';
    const hourBefore = '2026-11-10 13:00:00';

    it('writes the ground truth to incident.json', () => {
      const truth = JSON.parse(
        fs.readFileSync(path.join(dirA, 'incident.json'), 'utf8')
      ) as IncidentTruth;
      expect(truth).toEqual(summary.incident);
      expect(truth.rootCauseService).toBe('payment');
      expect(truth.deployTime).toBe('2026-11-10T14:00:00.000Z');
      expect(truth.start).toBe('2026-11-10T14:00:00.000Z');
      expect(truth.end).toBe('2026-11-10T16:00:00.000Z');
      expect([truth.goodVersion, truth.badVersion]).toEqual(['2.3.0', '2.4.0']);
      expect(truth.description.length).toBeGreaterThan(50);
    });

    it('makes payment p95 latency several times that of the hour before', async () => {
      const p95 = async (from: string, to: string): Promise<number> =>
        Number(
          await db.value(
            `SELECT quantile_cont(duration_ns / 1e6, 0.95) FROM spans
             WHERE service_name = 'payment' AND kind = 'server'
               AND start_time >= '${from}' AND start_time < '${to}'`
          )
        );
      expect(await p95(start, end)).toBeGreaterThan(4 * (await p95(hourBefore, start)));
    });

    it('raises the checkout error rate in the window', async () => {
      const errorRate = async (from: string, to: string): Promise<number> =>
        Number(
          await db.value(
            `SELECT avg(CASE WHEN status_code = 'error' THEN 1 ELSE 0 END) FROM spans
             WHERE service_name = 'checkout' AND kind = 'server'
               AND start_time >= '${from}' AND start_time < '${to}'`
          )
        );
      const during = await errorRate(start, end);
      expect(during).toBeGreaterThan(0.05);
      expect(during).toBeGreaterThan(3 * (await errorRate(hourBefore, start)));
    });

    it('propagates 504s from checkout through api-gateway to frontend', async () => {
      const services = await db.rows(
        `SELECT DISTINCT service_name FROM spans
         WHERE kind = 'server' AND attributes['http.response.status_code'] = '504'
           AND status_code = 'error'
           AND start_time >= '${start}' AND start_time < '${end}' ORDER BY 1`
      );
      expect(services.map(s => s.service_name)).toEqual(['api-gateway', 'checkout', 'frontend']);
    });

    it('logs checkout timeouts and payment warnings only in the window', async () => {
      const timeouts = async (from: string, to: string): Promise<number> =>
        Number(
          await db.value(
            `SELECT count(*) FROM logs WHERE service_name = 'checkout'
               AND severity_text = 'ERROR' AND severity_number = 17
               AND body LIKE 'timeout calling payment after 2000ms%'
               AND time >= '${from}' AND time < '${to}'`
          )
        );
      expect(await timeouts(start, end)).toBeGreaterThan(0);
      expect(await timeouts('2026-11-10 00:00:00', start)).toBe(0);
      const warnings = await db.value(
        `SELECT count(*) FROM logs WHERE service_name = 'payment' AND severity_text = 'WARN'
           AND service_version = '2.4.0' AND time >= '${start}' AND time < '${end}'`
      );
      expect(warnings).toBeGreaterThan(0);
    });

    it('runs payment 2.4.0 exactly during the window', async () => {
      const versions = await db.rows(
        `SELECT start_time >= '${start}' AND start_time < '${end}' AS inside,
                list(DISTINCT service_version ORDER BY service_version) AS versions
         FROM spans WHERE service_name = 'payment' GROUP BY 1 ORDER BY 1`
      );
      expect(versions).toEqual([
        { inside: false, versions: ['2.3.0'] },
        { inside: true, versions: ['2.4.0'] }
      ]);
    });

    it('shows payment CPU and p99 up in the metrics', async () => {
      const avg = async (metric: string, from: string, to: string): Promise<number> =>
        Number(
          await db.value(
            `SELECT avg(value) FROM metrics WHERE service_name = 'payment'
               AND metric_name = '${metric}' AND time >= '${from}' AND time < '${to}'`
          )
        );
      const cpu = 'process.cpu.utilization';
      expect(await avg(cpu, start, end)).toBeGreaterThan((await avg(cpu, hourBefore, start)) + 0.3);
      const p99 = 'http.server.request.duration.p99';
      expect(await avg(p99, start, end)).toBeGreaterThan(5 * (await avg(p99, hourBefore, start)));
    });

    it('records the deploy, the alerts and the rollback as events', async () => {
      const events = await db.rows(
        `SELECT strftime(time, '%H:%M') AS at, service_name, event_type AS kind, severity,
                json_extract_string(attributes['to_version'], '$') AS to_version,
                status AS state, source
         FROM events WHERE time >= '${start}' AND time < '2026-11-10 17:00:00'`
      );
      expect(events).toContainEqual(
        expect.objectContaining({
          at: '14:00',
          service_name: 'payment',
          kind: 'deploy',
          to_version: '2.4.0'
        })
      );
      expect(events).toContainEqual(
        expect.objectContaining({
          at: '16:00',
          service_name: 'payment',
          kind: 'rollback',
          to_version: '2.3.0'
        })
      );
      const alerts = events.filter(e => e.kind === 'alert');
      expect(alerts.map(a => a.state)).toEqual(['firing', 'firing', 'resolved', 'resolved']);
    });
  });

  describe('options', () => {
    it('stops at exactly the requested spans for any count, with intact traces', async () => {
      const dir = path.join(root, 'small');
      const small = await generateTelemetry({ outDir: dir, spans: 1234, seed: 3, hours: 2 });
      expect(small.files[0].rows).toBe(1234);
      const q = await ParquetQueries.open(dir);
      try {
        const orphans = await q.value(
          `SELECT count(*) FROM spans c WHERE parent_span_id IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM spans p WHERE p.trace_id = c.trace_id AND p.span_id = c.parent_span_id)`
        );
        expect(orphans).toBe(0);
        expect(await q.value('SELECT count(DISTINCT time) FROM metrics')).toBe(120);
      } finally {
        q.close();
      }
      // A 2-hour window keeps the incident at the same fractions of the window.
      expect(small.incident?.start).toBe('2026-11-10T01:10:00.000Z');
    });

    it.each([
      [{ spans: 0 }, /option 'spans' must be a positive integer/],
      [{ spans: 1.5 }, /option 'spans'/],
      [{ seed: -1 }, /option 'seed' must be an integer from 0 to 4294967295/],
      [{ start: 'yesterday' }, /option 'start' must be an ISO 8601 time with a zone/],
      [{ start: '2026-11-10T00:00:00' }, /option 'start' must be an ISO 8601 time with a zone/],
      [{ hours: 0.5 }, /option 'hours' must be a number of hours from 1 to 744/]
    ])('rejects %p with a message naming the option', async (bad, message) => {
      await expect(generateTelemetry({ outDir: path.join(root, 'bad'), ...bad })).rejects.toThrow(
        message
      );
    });

    it('rejects a missing output directory', async () => {
      await expect(generateTelemetry({ outDir: '' })).rejects.toThrow(/option 'outDir'/);
    });
  });
});
