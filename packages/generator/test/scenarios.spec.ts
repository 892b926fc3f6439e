/**
 * The scenario library (#4 item 7): every scenario is visible with plain SQL inside its
 * ground-truth window and absent before it, the data points at the labelled root cause, and
 * ground-truth.json says what the summary says. One query per scenario is the "checking query"
 * documented in the README.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import {
  findScenario,
  GenerationSummary,
  generateTelemetry,
  GroundTruth,
  SCENARIOS,
  scenarioNames
} from '@opsbook/generator';
import { compileTopology } from '../src/model';
import { Timeline } from '../src/timeline';
import { TOPOLOGY } from '../src/topology';
import groundTruthSchema from '../schema/ground-truth.schema.json';
import { ParquetQueries, sha256, tempDir } from './helpers';

/** Small and fast: 20k spans over six hours of a busy day, about a second per scenario. */
const OPTIONS = { spans: 20_000, hours: 6, start: '2026-11-10T10:00:00Z', seed: 7 } as const;

/** An ISO time as a DuckDB timestamp literal. */
const ts = (iso: string): string => `TIMESTAMP '${iso.replace('T', ' ').replace('Z', '')}'`;

let root: string;

beforeAll(() => {
  root = tempDir('scenarios');
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Generates `name` once for a describe block; `ctx` holds the summary, SQL and the window. */
function generated(name: string): {
  summary: GenerationSummary;
  db: ParquetQueries;
  dir: string;
  /** SQL condition: `column` inside [start, end). */
  during: (column: string) => string;
  /** SQL condition: `column` before start. */
  before: (column: string) => string;
} {
  const ctx = {} as ReturnType<typeof generated>;
  beforeAll(async () => {
    ctx.dir = path.join(root, name);
    ctx.summary = await generateTelemetry({ outDir: ctx.dir, ...OPTIONS, scenario: name });
    ctx.db = await ParquetQueries.open(ctx.dir);
    const { start, end } = ctx.summary.truth;
    ctx.during = column => `(${column} >= ${ts(start)} AND ${column} < ${ts(end)})`;
    ctx.before = column => `(${column} < ${ts(start)})`;
  });
  afterAll(() => ctx.db?.close());
  return ctx;
}

/** Checks ground-truth.json against the summary and the scenario's declaration. */
function itWritesTheGroundTruth(ctx: ReturnType<typeof generated>, name: string): void {
  it('writes ground-truth.json (and no incident.json) matching the scenario', () => {
    const scenario = findScenario(name);
    const truth = JSON.parse(
      fs.readFileSync(path.join(ctx.dir, 'ground-truth.json'), 'utf8')
    ) as GroundTruth;
    expect(truth).toEqual(ctx.summary.truth);
    expect(ctx.summary.incident).toBeUndefined();
    expect(fs.existsSync(path.join(ctx.dir, 'incident.json'))).toBe(false);
    expect(ctx.summary.files.map(f => f.name).pop()).toBe('ground-truth.json');
    expect(truth).toMatchObject({
      scenario: name,
      id: scenario.id,
      rootCauseService: scenario.rootCauseService,
      affectedServices: [...scenario.affectedServices],
      symptoms: [...scenario.symptoms]
    });
    expect(truth.affectedServices[0]).toBe(truth.rootCauseService);
    const start = Date.parse(truth.start);
    const end = Date.parse(truth.end);
    const windowStart = Date.parse(OPTIONS.start);
    const windowMs = OPTIONS.hours * 3_600_000;
    expect(start).toBe(windowStart + Math.round(scenario.window.from * 360) * 60_000);
    expect(end).toBeGreaterThan(start);
    expect(end).toBeLessThanOrEqual(windowStart + windowMs);
  });
}

describe('the scenario library', () => {
  it('lists every scenario once, the default first', () => {
    expect(scenarioNames()).toEqual([
      'payment-regression',
      'latency-after-deploy',
      'error-burst',
      'memory-leak',
      'noisy-neighbour',
      'cascading-failure'
    ]);
    for (const s of SCENARIOS) {
      expect(s.symptoms.length).toBeGreaterThan(2);
      expect(s.window.from).toBeLessThan(s.window.to);
      expect(s.affectedServices[0]).toBe(s.rootCauseService);
    }
  });

  it('matches the checked-in ground-truth JSON Schema (regenerate with `npm run schema -w packages/generator`)', () => {
    const generated = createGenerator({
      path: path.join(__dirname, '..', 'src/scenarios/types.ts'),
      type: 'GroundTruth',
      tsconfig: path.join(__dirname, '..', 'tsconfig.json'),
      skipTypeCheck: true
    }).createSchema('GroundTruth');
    expect(generated).toEqual(groundTruthSchema);
  });

  it.each(scenarioNames())('gives %s a ground truth valid against the schema', name => {
    const timeline = new Timeline(
      Date.parse(OPTIONS.start),
      OPTIONS.hours,
      compileTopology(TOPOLOGY),
      findScenario(name)
    );
    const validate = new Ajv({ validateFormats: false }).compile(groundTruthSchema);
    const truth = JSON.parse(JSON.stringify(timeline.truth));
    expect(validate(truth) ? [] : validate.errors).toEqual([]);
    for (const time of [truth.start, truth.end]) {
      expect(new Date(time).toISOString()).toBe(time);
    }
  });

  it('rejects an unknown scenario with the list of names', async () => {
    await expect(
      generateTelemetry({ outDir: path.join(root, 'bad'), scenario: 'disk-full' })
    ).rejects.toThrow(
      /option 'scenario': Unknown scenario "disk-full": use one of payment-regression, latency-after-deploy, error-burst, memory-leak, noisy-neighbour, cascading-failure\./
    );
  });

  it('is deterministic for a scenario too: the same options give the same bytes', async () => {
    const options = { spans: 2000, hours: 2, scenario: 'cascading-failure', seed: 11 };
    const a = await generateTelemetry({ outDir: path.join(root, 'same-a'), ...options });
    const b = await generateTelemetry({ outDir: path.join(root, 'same-b'), ...options });
    expect(b.files.map(f => sha256(f.path))).toEqual(a.files.map(f => sha256(f.path)));
  });

  it("treats 'payment-regression' as the default and writes incident.json", async () => {
    const a = await generateTelemetry({
      outDir: path.join(root, 'default-a'),
      spans: 500,
      hours: 1
    });
    const b = await generateTelemetry({
      outDir: path.join(root, 'default-b'),
      spans: 500,
      hours: 1,
      scenario: 'payment-regression'
    });
    expect(b.files.map(f => f.name)).toEqual(a.files.map(f => f.name));
    expect(b.files.map(f => f.name)).toContain('incident.json');
    expect(b.incident).toEqual(a.incident);
    expect(b.truth).toMatchObject({ scenario: 'payment-regression', rootCauseService: 'payment' });
  });
});

describe('latency-after-deploy', () => {
  const ctx = generated('latency-after-deploy');
  itWritesTheGroundTruth(ctx, 'latency-after-deploy');

  it('makes catalog the service with the largest p95 increase, about 4x (checking query)', async () => {
    const rows = await ctx.db.rows(
      `SELECT service_name,
              quantile_cont(duration_ns, 0.95) FILTER (WHERE ${ctx.during('start_time')})
            / quantile_cont(duration_ns, 0.95) FILTER (WHERE ${ctx.before('start_time')}) AS ratio
       FROM spans WHERE kind = 'server' GROUP BY service_name ORDER BY ratio DESC`
    );
    expect(rows[0].service_name).toBe('catalog');
    expect(rows[0].ratio).toBeGreaterThan(3);
  });

  it('lets the callers inherit the latency on catalog routes', async () => {
    const p95 = async (where: string): Promise<number> =>
      Number(
        await ctx.db.value(
          `SELECT quantile_cont(duration_ns / 1e6, 0.95) FROM spans
           WHERE service_name = 'api-gateway' AND name = 'GET /api/products' AND ${where}`
        )
      );
    expect(await p95(ctx.during('start_time'))).toBeGreaterThan(
      2 * (await p95(ctx.before('start_time')))
    );
  });

  it('runs catalog 1.9.0 exactly in the window, deployed and rolled back by events', async () => {
    const versions = await ctx.db.rows(
      `SELECT DISTINCT service_version FROM spans
       WHERE service_name = 'catalog' AND ${ctx.during('start_time')}`
    );
    expect(versions).toEqual([{ service_version: '1.9.0' }]);
    const events = await ctx.db.rows(
      `SELECT event_type, json_extract_string(attributes['to_version'], '$') AS to_version,
              time = ${ts(ctx.summary.truth.start)} AS at_start,
              time = ${ts(ctx.summary.truth.end)} AS at_end
       FROM events WHERE service_name = 'catalog' AND event_type <> 'alert' ORDER BY time`
    );
    expect(events).toContainEqual({
      event_type: 'deploy',
      to_version: '1.9.0',
      at_start: true,
      at_end: false
    });
    expect(events).toContainEqual({
      event_type: 'rollback',
      to_version: '1.8.2',
      at_start: false,
      at_end: true
    });
  });

  it('shows the latency in catalog p99 metrics only in the window', async () => {
    const p99 = async (where: string): Promise<number> =>
      Number(
        await ctx.db.value(
          `SELECT avg(value) FROM metrics WHERE service_name = 'catalog'
             AND metric_name = 'http.server.request.duration.p99' AND ${where}`
        )
      );
    expect(await p99(ctx.during('time'))).toBeGreaterThan(2.5 * (await p99(ctx.before('time'))));
  });
});

describe('error-burst', () => {
  const ctx = generated('error-burst');
  itWritesTheGroundTruth(ctx, 'error-burst');

  it('puts inventory error rate above 20% in the window and near 0 before', async () => {
    const [row] = await ctx.db.rows(
      `SELECT avg((status_code = 'error')::INT) FILTER (WHERE ${ctx.during('start_time')}) AS during,
              avg((status_code = 'error')::INT) FILTER (WHERE ${ctx.before('start_time')}) AS before
       FROM spans WHERE service_name = 'inventory' AND kind = 'server'`
    );
    expect(row.during).toBeGreaterThan(0.2);
    expect(row.before).toBeLessThan(0.01);
  });

  it('traces the errors to inventory: the failing spans with no failing child (checking query)', async () => {
    const rows = await ctx.db.rows(
      `SELECT s.service_name, count(*) AS origins FROM spans s
       WHERE s.kind = 'server' AND s.status_code = 'error' AND ${ctx.during('s.start_time')}
         AND NOT EXISTS (SELECT 1 FROM spans c WHERE c.trace_id = s.trace_id
                           AND c.parent_span_id = s.span_id AND c.status_code = 'error')
       GROUP BY 1 ORDER BY origins DESC`
    );
    expect(rows[0].service_name).toBe('inventory');
    expect(Number(rows[0].origins)).toBeGreaterThan(10 * Number(rows[1]?.origins ?? 0.1));
  });

  it('logs the pool exhaustion only in the window and fires the alert inside it', async () => {
    const logs = await ctx.db.rows(
      `SELECT ${ctx.during('time')} AS inside, count(*) AS n FROM logs
       WHERE service_name = 'inventory' AND severity_text = 'ERROR'
         AND body LIKE 'connection pool exhausted%' GROUP BY 1`
    );
    expect(logs).toEqual([{ inside: true, n: expect.any(Number) }]);
    const firing = await ctx.db.rows(
      `SELECT ${ctx.during('time')} AS inside FROM events
       WHERE event_type = 'alert' AND name = 'InventoryErrorRateHigh' AND status = 'firing'`
    );
    expect(firing).toEqual([{ inside: true }]);
  });

  it('counts the errors in inventory metrics', async () => {
    const [row] = await ctx.db.rows(
      `SELECT sum(value) FILTER (WHERE ${ctx.during('time')}) AS during,
              sum(value) FILTER (WHERE ${ctx.before('time')}) AS before
       FROM metrics WHERE service_name = 'inventory' AND metric_name = 'http.server.errors'`
    );
    expect(row.during).toBeGreaterThan(1000);
    expect(row.before).toBe(0);
  });
});

describe('memory-leak', () => {
  const ctx = generated('memory-leak');
  itWritesTheGroundTruth(ctx, 'memory-leak');

  it('grows checkout memory linearly in the window, most of all services (checking query)', async () => {
    const rows = await ctx.db.rows(
      `SELECT service_name,
              max(value) FILTER (WHERE ${ctx.during('time')})
            / avg(value) FILTER (WHERE ${ctx.before('time')}) AS growth,
              corr(value, epoch(time)) FILTER (WHERE ${ctx.during('time')}) AS linearity
       FROM metrics WHERE metric_name = 'process.memory.usage'
       GROUP BY service_name ORDER BY growth DESC`
    );
    expect(rows[0].service_name).toBe('checkout');
    expect(rows[0].growth).toBeGreaterThan(3);
    expect(rows[0].linearity).toBeGreaterThan(0.95);
    expect(rows[1].growth).toBeLessThan(1.5);
  });

  it('restarts checkout at the end (OOMKilled) on a new pod with its memory back down', async () => {
    const [restart] = await ctx.db.rows(
      `SELECT time = ${ts(ctx.summary.truth.end)} AS at_end, summary FROM events
       WHERE service_name = 'checkout' AND event_type = 'restart'`
    );
    expect(restart.at_end).toBe(true);
    expect(restart.summary).toMatch(/OOMKilled/);
    const [row] = await ctx.db.rows(
      `SELECT max(value) FILTER (WHERE ${ctx.during('time')}) AS peak,
              max(value) FILTER (WHERE time >= ${ts(ctx.summary.truth.end)}) AS after,
              count(DISTINCT host_name) AS pods
       FROM metrics WHERE service_name = 'checkout' AND metric_name = 'process.memory.usage'`
    );
    expect(row.after).toBeLessThan(0.4 * Number(row.peak));
    expect(row.pods).toBe(2);
  });

  it('slows checkout down as memory grows, with GC warnings only in the window', async () => {
    const p95 = async (where: string): Promise<number> =>
      Number(
        await ctx.db.value(
          `SELECT quantile_cont(duration_ns / 1e6, 0.95) FROM spans
           WHERE service_name = 'checkout' AND kind = 'server' AND ${where}`
        )
      );
    const start = Date.parse(ctx.summary.truth.start);
    const end = Date.parse(ctx.summary.truth.end);
    const lastThird = new Date(end - (end - start) / 3).toISOString();
    const late = `start_time >= ${ts(lastThird)} AND start_time < ${ts(ctx.summary.truth.end)}`;
    expect(await p95(late)).toBeGreaterThan(2 * (await p95(ctx.before('start_time'))));
    const gc = await ctx.db.rows(
      `SELECT ${ctx.during('time')} AS inside, count(*) AS n FROM logs
       WHERE service_name = 'checkout' AND severity_text = 'WARN' AND body LIKE 'GC pause%'
       GROUP BY 1`
    );
    expect(gc).toEqual([{ inside: true, n: expect.any(Number) }]);
  });
});

describe('noisy-neighbour', () => {
  const ctx = generated('noisy-neighbour');
  itWritesTheGroundTruth(ctx, 'noisy-neighbour');

  it('finds the saturated host and the service that saturates it (checking query)', async () => {
    const rows = await ctx.db.rows(
      `SELECT host_name, service_name,
              avg(value) FILTER (WHERE ${ctx.during('time')}) AS cpu_during,
              avg(value) FILTER (WHERE ${ctx.before('time')}) AS cpu_before
       FROM metrics WHERE metric_name = 'process.cpu.utilization'
       GROUP BY ALL ORDER BY cpu_during - cpu_before DESC`
    );
    expect(rows[0]).toMatchObject({ host_name: 'vm-shop-03', service_name: 'recommendation' });
    expect(rows[0].cpu_during).toBeGreaterThan(0.95);
    expect(rows[0].cpu_before).toBeLessThan(0.7);
    expect(Number(rows[1].cpu_during) - Number(rows[1].cpu_before)).toBeLessThan(0.1);
  });

  it('slows inventory most, which shares that host but is not the root cause', async () => {
    const rows = await ctx.db.rows(
      `SELECT service_name, any_value(host_name) AS host,
              quantile_cont(duration_ns, 0.95) FILTER (WHERE ${ctx.during('start_time')})
            / quantile_cont(duration_ns, 0.95) FILTER (WHERE ${ctx.before('start_time')}) AS ratio
       FROM spans WHERE kind = 'server' GROUP BY service_name ORDER BY ratio DESC`
    );
    expect(rows[0]).toMatchObject({ service_name: 'inventory', host: 'vm-shop-03' });
    expect(rows[0].ratio).toBeGreaterThan(3);
    expect(ctx.summary.truth.rootCauseService).toBe('recommendation');
    const hosts = await ctx.db.rows(
      `SELECT DISTINCT service_name FROM spans WHERE host_name = 'vm-shop-03' ORDER BY 1`
    );
    expect(hosts.map(h => h.service_name)).toEqual(['inventory', 'recommendation']);
  });

  it('alerts on the victim, with no deploy in the window', async () => {
    const events = await ctx.db.rows(
      `SELECT event_type, service_name, name FROM events WHERE ${ctx.during('time')}`
    );
    expect(events).toEqual([
      { event_type: 'alert', service_name: 'inventory', name: 'InventoryLatencyHigh' }
    ]);
  });
});

describe('cascading-failure', () => {
  const ctx = generated('cascading-failure');
  itWritesTheGroundTruth(ctx, 'cascading-failure');

  /** Database calls: CLIENT spans without an HTTP route. */
  const DB_CALL = `kind = 'client' AND attributes['http.route'] IS NULL`;

  it('times out database calls in several services at once, and never before (checking query)', async () => {
    const rows = await ctx.db.rows(
      `SELECT service_name,
              count(*) FILTER (WHERE status_code = 'error' AND ${ctx.during('start_time')}) AS during,
              count(*) FILTER (WHERE status_code = 'error' AND ${ctx.before('start_time')}) AS before,
              max(duration_ns) / 1e6 AS max_ms
       FROM spans WHERE ${DB_CALL} GROUP BY 1 HAVING during > 0 ORDER BY 1`
    );
    expect(rows.map(r => r.service_name)).toEqual(
      expect.arrayContaining(['checkout', 'inventory', 'payment'])
    );
    for (const row of rows) {
      expect(row).toMatchObject({ before: 0, max_ms: 1000 });
    }
  });

  it('names the database in the logs of every failing service and saturates its connections', async () => {
    const services = await ctx.db.rows(
      `SELECT DISTINCT service_name FROM logs
       WHERE body LIKE 'pq: canceling statement due to statement timeout db=orders-db%'
         AND ${ctx.during('time')} ORDER BY 1`
    );
    expect(services.length).toBeGreaterThanOrEqual(3);
    expect(
      await ctx.db.value(
        `SELECT count(*) FROM logs WHERE body LIKE 'pq: canceling%' AND NOT ${ctx.during('time')}`
      )
    ).toBe(0);
    const [row] = await ctx.db.rows(
      `SELECT max(value) FILTER (WHERE ${ctx.during('time')}) AS during,
              max(value) FILTER (WHERE ${ctx.before('time')}) AS before, any_value(host_name) AS host
       FROM metrics WHERE service_name = 'orders-db' AND metric_name = 'db.server.active_connections'`
    );
    expect(row).toMatchObject({ during: 200, host: 'orders-db-0' });
    expect(row.before).toBeLessThan(100);
  });

  it('retries timed-out queries and propagates errors up to the frontend', async () => {
    const retries = await ctx.db.value(
      `SELECT count(*) FROM (SELECT trace_id, parent_span_id, name FROM spans
         WHERE ${DB_CALL} AND ${ctx.during('start_time')} GROUP BY ALL HAVING count(*) > 1)`
    );
    expect(retries).toBeGreaterThan(5);
    const failing = await ctx.db.rows(
      `SELECT service_name FROM spans WHERE kind = 'server' AND ${ctx.during('start_time')}
       GROUP BY 1 HAVING avg((status_code = 'error')::INT) > 0.05 ORDER BY 1`
    );
    expect(failing.map(f => f.service_name)).toEqual(
      expect.arrayContaining(['api-gateway', 'checkout', 'frontend', 'inventory'])
    );
    expect(
      await ctx.db.value(
        `SELECT count(*) FROM logs WHERE service_name = 'checkout'
           AND body LIKE 'timeout calling payment after 2000ms%' AND ${ctx.during('time')}`
      )
    ).toBeGreaterThan(0);
  });
});
