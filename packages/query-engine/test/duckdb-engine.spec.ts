import { tableFromArrays, tableToIPC, type Table } from 'apache-arrow';
import type { DatasetSource, SliceRequest } from '../src/engine';
import type { DuckDBEngine } from '../src/duckdb-engine';
import { QueryError } from '../src/errors';
import { createNodeEngine } from '../src/node';

const DAY = Date.UTC(2026, 10, 10);
const ROWS = 50_000;

/** 50k spans, one a second from midnight, 8 services; a source that records what it was asked. */
function spansSource(requests: SliceRequest[]): DatasetSource {
  const start_time = Array.from({ length: ROWS }, (_, i) => new Date(DAY + i * 1000));
  const service_name = Array.from({ length: ROWS }, (_, i) => `svc-${i % 8}`);
  const duration_ms = Float64Array.from({ length: ROWS }, (_, i) => (i % 8) * 10 + (i % 5));
  const full: Table = tableFromArrays({ start_time, service_name, duration_ms });
  return {
    name: 'spans',
    columns: [
      { name: 'start_time', type: 'TIMESTAMP' },
      { name: 'service_name', type: 'VARCHAR' },
      { name: 'duration_ms', type: 'DOUBLE' }
    ],
    timeColumn: 'start_time',
    async fetchSlice(request) {
      requests.push({ columns: request.columns, start: request.start, end: request.end });
      const lo = request.start ? Date.parse(request.start) : -Infinity;
      const hi = request.end ? Date.parse(request.end) : Infinity;
      const keep: number[] = [];
      for (let i = 0; i < ROWS; i++) {
        const t = DAY + i * 1000;
        if (t >= lo && t <= hi) keep.push(i);
      }
      const cols: Record<string, unknown[]> = {};
      for (const c of request.columns) {
        const vector = full.getChild(c)!;
        cols[c] = keep.map(i => (c === 'start_time' ? new Date(DAY + i * 1000) : vector.get(i)));
      }
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tableFromArrays' typing wants literal keys
      return tableToIPC(tableFromArrays(cols as any), 'stream');
    }
  };
}

describe('DuckDBEngine in Node', () => {
  let engine: DuckDBEngine;
  let requests: SliceRequest[];

  beforeAll(async () => {
    engine = await createNodeEngine({ settings: { queryTimeoutMs: 20_000 } });
  });
  beforeEach(async () => {
    requests = [];
    await engine.registerDataset(spansSource(requests));
  });
  afterAll(() => engine.dispose());

  it('reports its engine name, version and locked-down settings', () => {
    expect(engine.info.version).toMatch(/^v1\.\d+\.\d+/);
    expect(engine.info.settings.enable_external_access).toBe('false');
  });

  it('runs a group-by and fetches only the projected columns and the filtered time range', async () => {
    const result = await engine.query(
      `SELECT service_name, avg(duration_ms) AS avg_ms FROM spans
       WHERE start_time >= TIMESTAMP '2026-11-10 10:00:00' GROUP BY 1 ORDER BY 1`
    );
    expect(result.table.numRows).toBe(8);
    expect(requests).toEqual([
      {
        columns: ['service_name', 'duration_ms', 'start_time'].sort((a, b) => order(a) - order(b)),
        start: '2026-11-10T10:00:00Z',
        end: undefined
      }
    ]);
    expect(result.scans[0]).toMatchObject({
      table: 'spans',
      fullLoad: false,
      start: '2026-11-10T10:00:00Z'
    });
    const rows = result.table.toArray().map(r => r.toJSON());
    expect(rows[1]).toEqual({ service_name: 'svc-1', avg_ms: expect.any(Number) });
  });

  it('reuses loaded data when a later query needs a subset of it', async () => {
    await engine.query('SELECT count(*) FROM spans');
    await engine.query('SELECT max(duration_ms) FROM spans');
    await engine.query(
      "SELECT max(duration_ms) FROM spans WHERE start_time > TIMESTAMP '2026-11-10 05:00:00'"
    );
    expect(requests).toHaveLength(2);
    expect(requests[1].columns).toEqual(['start_time', 'duration_ms']);
  });

  it('runs window functions over the loaded rows', async () => {
    const result = await engine.query(
      `SELECT service_name, duration_ms,
              row_number() OVER (PARTITION BY service_name ORDER BY start_time) AS n,
              avg(duration_ms) OVER (PARTITION BY service_name ORDER BY start_time
                                     ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS moving_avg
       FROM spans QUALIFY n <= 3 ORDER BY service_name, n`
    );
    expect(result.table.numRows).toBe(24);
    expect(Number(result.table.get(2)!.toJSON().n)).toBe(3);
  });

  it('runs several statements and returns the last result', async () => {
    const result = await engine.query(
      'CREATE OR REPLACE TEMP VIEW slow AS SELECT * FROM spans WHERE duration_ms > 70;\n' +
        'SELECT count(*) AS n FROM slow'
    );
    expect(Number(result.table.get(0)!.toJSON().n)).toBe((ROWS / 8 / 5) * 4);
    expect(result.statements).toHaveLength(2);
  });

  it('reports a SQL error with DuckDB message and its line and column', async () => {
    const sql = 'SELECT 1;\nSELECT service_name,\n       nonsense FROM spans';
    const error = await engine.query(sql).catch(e => e);
    expect(error).toBeInstanceOf(QueryError);
    expect(error.kind).toBe('sql');
    expect(error.duckdbType).toBe('Binder');
    expect(error.message).toContain('Referenced column "nonsense" not found');
    expect(error.position).toEqual({ line: 3, column: 8, offset: sql.indexOf('nonsense') });
  });

  it('reports a parser error position', async () => {
    const error = await engine.query('SELEC 1').catch(e => e);
    expect(error.message).toBe(
      'Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC 1\n        ^'
    );
    expect(error.duckdbType).toBe('Parser');
    expect(error.position).toEqual({ line: 1, column: 1, offset: 0 });
  });

  it('cancels a running query and stays usable', async () => {
    const running = engine.query('SELECT count(*) FROM range(5000000000) t(x) WHERE x % 7 = 3');
    setTimeout(() => void engine.cancel(), 200);
    const error = await running.catch(e => e);
    expect(error).toBeInstanceOf(QueryError);
    expect(error.kind).toBe('cancelled');
    const after = await engine.query('SELECT 42 AS x');
    expect(after.table.get(0)!.toJSON()).toEqual({ x: 42 });
  });

  it('cancels through an AbortSignal', async () => {
    const controller = new AbortController();
    const running = engine.query('SELECT count(*) FROM range(5000000000) t(x) WHERE x % 7 = 3', {
      signal: controller.signal
    });
    setTimeout(() => controller.abort(), 100);
    await expect(running).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('stops a query at the time limit', async () => {
    const error = await engine
      .query('SELECT count(*) FROM range(5000000000) t(x) WHERE x % 7 = 3', { timeoutMs: 300 })
      .catch(e => e);
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('time limit');
  });

  it('reports progress phases', async () => {
    const phases: string[] = [];
    await engine.query('SELECT count(*) FROM spans', { onProgress: p => phases.push(p.phase) });
    expect(phases).toEqual(expect.arrayContaining(['planning', 'loading', 'executing', 'done']));
  });

  it('refuses file access, extension installation and configuration changes', async () => {
    await expect(engine.query("SELECT * FROM read_csv('/etc/passwd')")).rejects.toMatchObject({
      kind: 'sql'
    });
    await expect(engine.query('LOAD httpfs')).rejects.toThrow(/disabled/);
    await expect(engine.query("ATTACH '/tmp/opsbook-x.db'")).rejects.toThrow(/disabled/);
    await expect(engine.query('SET enable_external_access = true')).rejects.toMatchObject({
      kind: 'sql'
    });
    await expect(engine.query("SET memory_limit = '100GB'")).rejects.toThrow(/lock/i);
  });

  it('names the dataset when its bytes are not an Arrow stream', async () => {
    await engine.registerDataset({
      ...spansSource([]),
      name: 'broken',
      fetchSlice: async () => new TextEncoder().encode('PAR1 this is not arrow')
    });
    const error = await engine.query('SELECT count(*) FROM broken').catch(e => e);
    expect(error.kind).toBe('data');
    expect(error.message).toContain('"broken"');
  });
});

function order(column: string): number {
  return ['start_time', 'service_name', 'duration_ms'].indexOf(column);
}
