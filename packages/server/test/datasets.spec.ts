import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import {
  Table,
  tableFromIPC,
  tableToIPC,
  TimestampMillisecond,
  vectorFromArray
} from 'apache-arrow';

import { Engine } from '../src/datasets/engine';
import { buildSelect, parseIsoMicros } from '../src/datasets/routes';
import { startServer, tempDir, TestServer, TOKEN } from './helpers';

const T0 = Date.parse('2024-03-01T00:00:00Z');
const MINUTE = 60_000;
const iso = (minutes: number): string => new Date(T0 + minutes * MINUTE).toISOString();

/** Writes the fixtures: 5000 spans one minute apart (row groups of 100), logs, metrics, junk. */
async function writeFixtures(dir: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const spans = path.join(dir, 'spans.parquet').replace(/'/g, "''");
  await connection.run(`COPY (
      SELECT TIMESTAMP '2024-03-01 00:00:00' + INTERVAL (i) MINUTE AS start_time,
             'svc-' || (i % 3) AS service,
             (i * 1.5)::DOUBLE AS duration_ms,
             (i / 4)::DECIMAL(10, 2) AS cost,
             (200 + (i % 2) * 300)::INTEGER AS status_code,
             i % 10 = 0 AS is_error,
             CASE WHEN i % 7 = 0 THEN NULL ELSE 'trace-' || i END AS trace_id
      FROM range(5000) t(i)
    ) TO '${spans}' (FORMAT parquet, ROW_GROUP_SIZE 100)`);
  const strings = path.join(dir, 'strings.parquet').replace(/'/g, "''");
  await connection.run(`COPY (
      SELECT TIMESTAMP '2024-03-01 00:00:00' + INTERVAL (i) MINUTE AS time,
             CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN 'short' WHEN 2 THEN 'longer than twelve bytes ' || i
                        WHEN 3 THEN 'ünïcødé 東京 ' || i ELSE '' END AS label,
             CAST(CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN MAP {}
                  ELSE MAP {'http.route': '"/r/' || i || '"', 'n': i::VARCHAR} END
                  AS MAP(VARCHAR, VARCHAR)) AS attributes
      FROM range(5000) t(i)
    ) TO '${strings}' (FORMAT parquet)`);
  connection.closeSync();
  instance.closeSync();

  const csv = ['timestamp,level,message'];
  for (let i = 0; i < 50; i++) {
    csv.push(
      `${iso(i).replace('T', ' ').replace('.000Z', '')},${i % 5 === 0 ? 'ERROR' : 'INFO'},line ${i}`
    );
  }
  fs.writeFileSync(path.join(dir, 'logs.csv'), csv.join('\n') + '\n');

  const times = Array.from({ length: 20 }, (_, i) => T0 + i * 10 * MINUTE);
  const metrics = new Table({
    time: vectorFromArray(times, new TimestampMillisecond()),
    value: vectorFromArray(Float64Array.from(times, (_, i) => i * 0.5)),
    host: vectorFromArray(times.map((_, i) => `h${i % 2}`))
  });
  fs.writeFileSync(path.join(dir, 'metrics.arrow'), tableToIPC(metrics, 'file'));

  fs.writeFileSync(path.join(dir, 'broken.parquet'), 'this is not a parquet file');
  fs.writeFileSync(path.join(dir, 'Bad-Name.parquet'), 'whatever');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a dataset');
}

describe('datasets', () => {
  let t: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir('opsbook-data-');
    await writeFixtures(dataDir);
    t = await startServer({ dataDir, arrowBatchRows: 128 });
  });
  afterAll(() => t.close());

  const arrow = async (query: string) => {
    const res = await t.request('GET', `/api/datasets/${query}`);
    return { res, table: res.status === 200 ? tableFromIPC(res.body) : null };
  };

  it('lists datasets with columns, row counts, time column and range', async () => {
    const res = await t.request('GET', '/api/datasets');
    expect(res.status).toBe(200);
    const { datasets, skipped } = res.json();
    expect(datasets.map((d: { name: string }) => d.name)).toEqual([
      'broken',
      'logs',
      'metrics',
      'spans',
      'strings'
    ]);
    const spans = datasets.find((d: { name: string }) => d.name === 'spans');
    expect(spans).toMatchObject({
      file: 'spans.parquet',
      format: 'parquet',
      rowCount: 5000,
      timeColumn: 'start_time',
      timeRange: { start: iso(0), end: iso(4999) },
      size: fs.statSync(path.join(dataDir, 'spans.parquet')).size
    });
    expect(spans.columns).toEqual([
      { name: 'start_time', type: 'TIMESTAMP' },
      { name: 'service', type: 'VARCHAR' },
      { name: 'duration_ms', type: 'DOUBLE' },
      { name: 'cost', type: 'DECIMAL(10,2)' },
      { name: 'status_code', type: 'INTEGER' },
      { name: 'is_error', type: 'BOOLEAN' },
      { name: 'trace_id', type: 'VARCHAR' }
    ]);
    expect(datasets.find((d: { name: string }) => d.name === 'logs')).toMatchObject({
      format: 'csv',
      rowCount: 50,
      timeColumn: 'timestamp',
      timeRange: { start: iso(0), end: iso(49) }
    });
    expect(datasets.find((d: { name: string }) => d.name === 'metrics')).toMatchObject({
      format: 'arrow',
      rowCount: 20,
      timeColumn: 'time',
      columns: [
        { name: 'time', type: 'TIMESTAMP_MS' },
        { name: 'value', type: 'DOUBLE' },
        { name: 'host', type: 'VARCHAR' }
      ],
      timeRange: { start: iso(0), end: iso(190) }
    });
    const broken = datasets.find((d: { name: string }) => d.name === 'broken');
    expect(broken.error).toMatch(/Cannot read dataset file 'broken.parquet'/);
    expect(broken.error).not.toContain(dataDir);
    expect(skipped).toEqual([
      {
        file: 'Bad-Name.parquet',
        reason: expect.stringMatching(/'bad-name' is not a plain identifier/)
      }
    ]);
    expect(t.logs.some(l => l.level === 'warn' && l.line.includes('Bad-Name.parquet'))).toBe(true);
  });

  it('streams only the requested columns of the rows in the time range', async () => {
    const { res, table } = await arrow(
      `spans/arrow?columns=start_time,service,status_code&start=${iso(100)}&end=${iso(349)}&_=1`
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(table!.schema.fields.map(f => `${f.name}:${f.type}`)).toEqual([
      'start_time:Timestamp<MICROSECOND>',
      'service:Utf8',
      'status_code:Int32'
    ]);
    expect(table!.numRows).toBe(250);
    const times = table!.getChild('start_time')!.toArray() as number[] | BigInt64Array;
    const ms = Array.from(
      times as ArrayLike<number | bigint>,
      v => Number(v) / (typeof v === 'bigint' ? 1000 : 1)
    );
    expect(Math.min(...ms)).toBe(T0 + 100 * MINUTE);
    expect(Math.max(...ms)).toBe(T0 + 349 * MINUTE);
    expect(table!.get(0)!.toJSON()).toMatchObject({ service: 'svc-1', status_code: 200 });
  });

  it('maps types and nulls faithfully', async () => {
    const { table } = await arrow(
      `spans/arrow?columns=is_error,trace_id,duration_ms,cost&end=${iso(7)}`
    );
    expect(table!.schema.fields.map(f => String(f.type))).toEqual([
      'Bool',
      'Utf8',
      'Float64',
      'Utf8'
    ]);
    const rows = table!.toArray().map(r => r.toJSON());
    expect(rows).toHaveLength(8);
    expect(rows[0]).toEqual({ is_error: true, trace_id: null, duration_ms: 0, cost: '0.00' });
    expect(rows[1]).toEqual({
      is_error: false,
      trace_id: 'trace-1',
      duration_ms: 1.5,
      cost: '0.25'
    });
    expect(rows[7].trace_id).toBeNull();
  });

  it('streams strings of every length, Unicode and NULLs byte for byte across chunks', async () => {
    const { table } = await arrow('strings/arrow?columns=label');
    const expected = Array.from(
      { length: 5000 },
      (_, i) => [null, 'short', `longer than twelve bytes ${i}`, `ünïcødé 東京 ${i}`, ''][i % 5]
    );
    expect(table!.getChild('label')!.toArray()).toEqual(expected);
  });

  it('streams MAP(VARCHAR, VARCHAR) columns (telemetry attributes) as Arrow maps', async () => {
    const { table } = await arrow('strings/arrow?columns=attributes');
    const column = table!.getChild('attributes')!;
    expect(String(column.type)).toBe('Map<{key:Utf8, value:Utf8}>');
    const rows = Array.from({ length: 5000 }, (_, i) => {
      const value = column.get(i) as { toJSON(): Record<string, string> } | null;
      return value === null ? null : { ...value.toJSON() };
    });
    expect(rows.slice(0, 3)).toEqual([null, {}, { 'http.route': '"/r/2"', n: '2' }]);
    expect(rows[4999]).toEqual({});
    expect(rows.filter(r => r === null)).toHaveLength(1667);
  });

  it('applies limit and returns every column when none are named', async () => {
    const { table } = await arrow('spans/arrow?limit=5');
    expect(table!.numRows).toBe(5);
    expect(table!.schema.fields.map(f => f.name)).toEqual([
      'start_time',
      'service',
      'duration_ms',
      'cost',
      'status_code',
      'is_error',
      'trace_id'
    ]);
  });

  it('streams a large result as several record batches', async () => {
    const { table } = await arrow('spans/arrow?columns=service');
    expect(table!.numRows).toBe(5000);
    expect(table!.batches.length).toBeGreaterThan(1);
  });

  it('returns an empty stream with the schema when no row is in range', async () => {
    const { res, table } = await arrow('spans/arrow?columns=service&start=2030-01-01T00:00:00Z');
    expect(res.status).toBe(200);
    expect(table!.numRows).toBe(0);
    expect(table!.schema.fields.map(f => f.name)).toEqual(['service']);
  });

  it('filters CSV and Arrow IPC datasets the same way', async () => {
    const logs = await arrow(`logs/arrow?columns=level,message&start=${iso(10)}&end=${iso(19)}`);
    expect(logs.table!.numRows).toBe(10);
    expect(logs.table!.get(0)!.toJSON()).toEqual({ level: 'ERROR', message: 'line 10' });
    const metrics = await arrow(`metrics/arrow?columns=host,value&start=${iso(25)}&end=${iso(95)}`);
    expect(metrics.table!.schema.fields.map(f => f.name)).toEqual(['host', 'value']);
    expect(metrics.table!.toArray().map(r => r.toJSON())).toEqual([
      { host: 'h1', value: 1.5 },
      { host: 'h0', value: 2 },
      { host: 'h1', value: 2.5 },
      { host: 'h0', value: 3 },
      { host: 'h1', value: 3.5 },
      { host: 'h0', value: 4 },
      { host: 'h1', value: 4.5 }
    ]);
  });

  it('refuses an unknown column with 400 naming it and listing the valid ones', async () => {
    const { res } = await arrow('spans/arrow?columns=service,nope');
    expect(res.status).toBe(400);
    expect(res.json().message).toBe(
      "Unknown column 'nope' in dataset 'spans'. Valid columns: start_time, service, duration_ms, cost, status_code, is_error, trace_id."
    );
    const injection = await arrow(
      `spans/arrow?columns=${encodeURIComponent("service\" FROM read_csv('/etc/passwd') --")}`
    );
    expect(injection.res.status).toBe(400);
  });

  it('refuses bad time bounds and limits with 400', async () => {
    expect((await arrow('spans/arrow?start=yesterday')).res.json().message).toMatch(
      /Invalid query parameter 'start=yesterday'/
    );
    expect((await arrow('spans/arrow?limit=-1')).res.status).toBe(400);
  });

  it('answers a .parquet file that is not Parquet with 422 naming the file', async () => {
    const { res } = await arrow('broken/arrow?columns=x');
    expect(res.status).toBe(422);
    expect(res.json().message).toMatch(/^Cannot read dataset file 'broken.parquet'/);
  });

  it('answers an unknown dataset with 404 listing the available ones', async () => {
    const { res } = await arrow('nope/arrow');
    expect(res.status).toBe(404);
    expect(res.json().message).toBe(
      "No dataset 'nope'. Available: broken, logs, metrics, spans, strings."
    );
  });

  it('serves raw files with byte ranges', async () => {
    const bytes = fs.readFileSync(path.join(dataDir, 'spans.parquet'));
    const full = await t.request('GET', '/api/datasets/spans.parquet');
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('application/vnd.apache.parquet');
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.body.equals(bytes)).toBe(true);

    const part = await t.request('GET', '/api/datasets/spans.parquet', {
      headers: { Range: 'bytes=4-19' }
    });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 4-19/${bytes.length}`);
    expect(part.body.equals(bytes.subarray(4, 20))).toBe(true);

    const tail = await t.request('GET', '/api/datasets/spans.parquet', {
      headers: { Range: 'bytes=-8' }
    });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(bytes.subarray(bytes.length - 8))).toBe(true);
    expect(tail.body.subarray(4).toString()).toBe('PAR1');

    const open = await t.request('GET', '/api/datasets/spans.parquet', {
      headers: { Range: `bytes=${bytes.length - 3}-` }
    });
    expect(open.body.equals(bytes.subarray(bytes.length - 3))).toBe(true);

    for (const range of [`bytes=${bytes.length}-`, 'bytes=20-10', 'bytes=-0', 'bytes=abc']) {
      const bad = await t.request('GET', '/api/datasets/spans.parquet', {
        headers: { Range: range }
      });
      expect({ range, status: bad.status }).toEqual({ range, status: 416 });
      expect(bad.headers['content-range']).toBe(`bytes */${bytes.length}`);
    }
    const csv = await t.request('GET', '/api/datasets/logs.csv');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const ipc = await t.request('GET', '/api/datasets/metrics.arrow');
    expect(ipc.headers['content-type']).toBe('application/vnd.apache.arrow.file');
    expect((await t.request('GET', '/api/datasets/notes.txt')).status).toBe(404);
    expect((await t.request('GET', '/api/datasets/..%2f..%2fetc%2fpasswd')).status).toBe(404);
  });

  it('says how to enable datasets when no data directory is configured', async () => {
    const other = await startServer();
    try {
      const res = await other.request('GET', '/api/datasets');
      expect(res.status).toBe(404);
      expect(res.json().message).toMatch(/--data DIR/);
    } finally {
      await other.close();
    }
  });

  it('keeps the DuckDB engine inside the data directory', async () => {
    const engine = await Engine.create({ dataDir, threads: 1, memoryLimit: '256MB' });
    try {
      const run = (sql: string) =>
        engine.withConnection('test', 5000, null, c => engine.rows(c, sql, []));
      await expect(run("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(
        /Permission Error/
      );
      await expect(run('SET enable_external_access = true')).rejects.toThrow(/locked/);
      const rows = await engine.withConnection('test', 5000, null, c =>
        engine.rows(c, 'SELECT count(*) FROM read_parquet(?)', [
          path.join(dataDir, 'spans.parquet')
        ])
      );
      expect(rows).toEqual([[5000n]]);
    } finally {
      engine.close();
    }
  });

  it('interrupts a query that runs past the time limit with a 504 error', async () => {
    const engine = await Engine.create({ dataDir, threads: 1, memoryLimit: '256MB' });
    try {
      const slow = engine.withConnection('spans', 50, null, c =>
        engine.rows(c, 'SELECT count(*) FROM range(100000000000) a', [])
      );
      await expect(slow).rejects.toMatchObject({
        status: 504,
        message: expect.stringMatching(/longer than 50 ms/)
      });
    } finally {
      engine.close();
    }
  });

  it('streams slices and describes Arrow files without loading apache-arrow in the main thread', async () => {
    // A real server process on this data directory: list (describes metrics.arrow), then stream
    // a Parquet slice and an Arrow IPC slice; apache-arrow must load only in the Arrow worker.
    const script = `
      const { createServer } = require(${JSON.stringify(path.resolve(__dirname, '../lib/index.js'))});
      (async () => {
        const server = createServer({ host: '127.0.0.1', port: 0, logLevel: 'error',
          notebookDir: ${JSON.stringify(tempDir('opsbook-nb-'))}, dataDir: ${JSON.stringify(dataDir)},
          token: ${JSON.stringify(TOKEN)} });
        const { port } = await server.listen();
        const get = async p => {
          const res = await fetch('http://127.0.0.1:' + port + p, { headers: { Authorization: 'token ${TOKEN}' } });
          return [res.status, (await res.arrayBuffer()).byteLength];
        };
        const out = [await get('/api/datasets'), await get('/api/datasets/spans/arrow?columns=service'),
          await get('/api/datasets/metrics/arrow?columns=value')];
        out.push(Object.keys(require.cache).filter(k => k.includes('apache-arrow')));
        await server.close();
        process.stdout.write(JSON.stringify(out));
      })().catch(e => { console.error(e); process.exit(1); });`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)
      )
    );
    const [list, spans, metrics, arrowModules] = JSON.parse(out);
    expect([list[0], spans[0], metrics[0]]).toEqual([200, 200, 200]);
    expect(spans[1]).toBeGreaterThan(100);
    expect(metrics[1]).toBeGreaterThan(100);
    expect(arrowModules).toEqual([]);
  });

  it('builds SQL from quoted column names and bound values only', () => {
    const item = {
      path: '/data/spans.parquet',
      entry: {
        name: 'spans',
        file: 'spans.parquet',
        format: 'parquet' as const,
        size: 1,
        rowCount: 1,
        columns: [
          { name: 'start_time', type: 'TIMESTAMP' },
          { name: 'we"ird', type: 'VARCHAR' }
        ],
        timeColumn: 'start_time',
        timeRange: null,
        modified: ''
      }
    };
    const { sql, values } = buildSelect(item, {
      columns: ['we"ird'],
      start: 1n,
      end: 2n,
      limit: 3
    });
    expect(sql).toBe(
      'SELECT "we""ird" FROM read_parquet(?) WHERE "start_time" >= ? AND "start_time" <= ? LIMIT ?'
    );
    expect(values).toHaveLength(4);
    expect(values[0]).toBe('/data/spans.parquet');
  });

  it('parses ISO times to microseconds, as UTC when no offset is given', () => {
    expect(parseIsoMicros('2024-03-01T00:00:00Z')).toBe(BigInt(T0) * 1000n);
    expect(parseIsoMicros('2024-03-01T00:00:00')).toBe(BigInt(T0) * 1000n);
    expect(parseIsoMicros('2024-03-01')).toBe(BigInt(T0) * 1000n);
    expect(parseIsoMicros('2024-03-01T01:00:00+01:00')).toBe(BigInt(T0) * 1000n);
    expect(parseIsoMicros('2024-03-01T00:00:00.123456Z')).toBe(BigInt(T0) * 1000n + 123456n);
    expect(parseIsoMicros('not a time')).toBeNull();
  });
});
