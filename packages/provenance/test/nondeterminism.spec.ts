import { tableFromArrays, type Table } from 'apache-arrow';
import type { DuckDBEngine } from '@opsbook/query-engine';
import { createNodeEngine } from '../../query-engine/src/node';
import { classifyNondeterminism } from '../src/nondeterminism';
import { hashArrowTable } from '../src/result-hash';
import { seeded, tableSource } from './helpers';

const SNAPSHOT = 'c'.repeat(64);
const ROWS = 20_000;

/**
 * The same snapshot's rows in two physical orders: what two runs see when parallel scans hand
 * rows to operators in another order. (DuckDB-WASM in Node runs on one thread, so the tests make
 * the order differ this way instead of by racing threads.)
 */
function metrics(order: 'forward' | 'shuffled'): Table {
  const rand = seeded(5);
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    id: i,
    host: `host-${(i * 7919) % 997}`,
    // Magnitudes from 1e-3 to 1e9: their float sum depends on the order of addition.
    value: rand() * 10 ** (rand() * 12 - 3),
    errors: i % 5
  }));
  if (order === 'shuffled') {
    const shuffle = seeded(6);
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
  }
  return tableFromArrays({
    id: Int32Array.from(rows.map(r => r.id)),
    host: rows.map(r => r.host),
    value: Float64Array.from(rows.map(r => r.value)),
    errors: Int32Array.from(rows.map(r => r.errors))
  });
}

const COLUMNS = [
  { name: 'id', type: 'INTEGER' },
  { name: 'host', type: 'VARCHAR' },
  { name: 'value', type: 'DOUBLE' },
  { name: 'errors', type: 'INTEGER' }
];

describe('classifyNondeterminism on real DuckDB-WASM', () => {
  let a: DuckDBEngine;
  let b: DuckDBEngine;
  beforeAll(async () => {
    a = await createNodeEngine();
    b = await createNodeEngine();
    await a.registerDataset(tableSource('metrics', metrics('forward'), COLUMNS, SNAPSHOT));
    await b.registerDataset(tableSource('metrics', metrics('shuffled'), COLUMNS, SNAPSHOT));
  });
  afterAll(async () => {
    await a.dispose();
    await b.dispose();
  });

  /** Runs `sql` on both engines: two runs on the same snapshot. */
  async function twoRuns(sql: string) {
    const [ra, rb] = [await a.query(sql), await b.query(sql)];
    expect(ra.scans.map(s => s.snapshotId)).toEqual(rb.scans.map(s => s.snapshotId));
    return {
      ra: ra.table,
      rb: rb.table,
      hashes: [hashArrowTable(ra.table).hash, hashArrowTable(rb.table).hash] as [string, string]
    };
  }

  it('blames random() for a query that calls it', async () => {
    const sql = 'SELECT id, random() AS r FROM metrics ORDER BY id';
    const first = hashArrowTable((await a.query(sql)).table).hash;
    const second = hashArrowTable((await a.query(sql)).table).hash;
    expect(first).not.toBe(second);
    const report = await classifyNondeterminism({
      engine: a,
      sql,
      hashes: [first, second],
      result: (await a.query(sql)).table
    });
    expect(report.identical).toBe(false);
    expect(report.causes).toEqual([
      expect.objectContaining({ kind: 'volatile-function', functions: ['random'] })
    ]);
  });

  it("finds volatile functions and keywords from DuckDB's catalog, not in strings or comments", async () => {
    const sql = `-- random() here is a comment
      SELECT 'uuid()' AS label, now() AS t, current_date AS d, gen_random_uuid() AS g FROM metrics LIMIT 1`;
    const report = await classifyNondeterminism({ engine: a, sql, hashes: ['x', 'y'] });
    expect(report.causes[0]).toMatchObject({
      kind: 'volatile-function',
      functions: ['current_date', 'gen_random_uuid', 'now']
    });
  });

  it('proves a GROUP BY without ORDER BY changed only its row order', async () => {
    const sql = 'SELECT host, count(*) AS n, sum(errors) AS errors FROM metrics GROUP BY host';
    const { ra, rb, hashes } = await twoRuns(sql);
    expect(hashes[0]).not.toBe(hashes[1]);
    const report = await classifyNondeterminism({
      engine: a,
      sql,
      hashes,
      result: ra,
      otherResult: rb
    });
    expect(report.causes.map(c => c.kind)).toEqual(['row-order', 'no-order-by']);
    expect(report.causes[0].confidence).toBe('confirmed');
  });

  it('finds ORDER BY keys that tie on the actual rows, and accepts a total order', async () => {
    const tied = 'SELECT host, id FROM metrics ORDER BY host LIMIT 100';
    const { ra, rb, hashes } = await twoRuns(tied);
    expect(hashes[0]).not.toBe(hashes[1]);
    const report = await classifyNondeterminism({
      engine: a,
      sql: tied,
      hashes,
      result: ra,
      otherResult: rb
    });
    const cause = report.causes.find(c => c.kind === 'order-by-not-unique');
    expect(cause).toMatchObject({ keys: ['host'], confidence: 'likely' });
    expect((cause as { tiedRows: number }).tiedRows).toBeGreaterThan(1);

    const total = 'SELECT host, id FROM metrics ORDER BY host, 2 DESC LIMIT 100';
    const same = await twoRuns(total);
    expect(same.hashes[0]).toBe(same.hashes[1]);
    const ok = await classifyNondeterminism({
      engine: a,
      sql: total,
      hashes: same.hashes,
      result: same.ra
    });
    expect(ok).toEqual({ identical: true, causes: [] });
  });

  it('flags a float SUM whose last digits depend on the order of addition', async () => {
    const sql =
      'SELECT sum(value) AS total, avg(errors) AS mean_errors, sum(errors) AS errors FROM metrics';
    const { ra, rb, hashes } = await twoRuns(sql);
    expect(ra.getChild('total')!.get(0)).not.toBe(rb.getChild('total')!.get(0));
    expect(hashes[0]).not.toBe(hashes[1]);
    const report = await classifyNondeterminism({
      engine: a,
      sql,
      hashes,
      result: ra,
      otherResult: rb
    });
    // avg and sum over INTEGER are exact in DuckDB (HUGEINT accumulators): only sum(value) counts.
    expect(report.causes).toEqual([
      expect.objectContaining({ kind: 'float-aggregation', aggregates: ['sum(value)'] })
    ]);
  });

  it('finds float aggregation in a grouped query with an expression argument', async () => {
    const sql = 'SELECT host, avg(value * 2) AS v FROM metrics GROUP BY host ORDER BY host';
    const { ra, hashes } = await twoRuns(sql);
    const report = await classifyNondeterminism({ engine: a, sql, hashes, result: ra });
    expect(report.causes.map(c => c.kind)).toEqual(['float-aggregation']);
    expect(report.causes[0]).toMatchObject({
      aggregates: [expect.stringMatching(/^avg\(\(value \* 2/)]
    });
  });

  it('rejects a call without SQL or without two hashes', async () => {
    await expect(
      classifyNondeterminism({ engine: a, sql: ' ', hashes: ['a', 'b'] })
    ).rejects.toThrow(/sql must be/);
    await expect(
      classifyNondeterminism({
        engine: a,
        sql: 'SELECT 1',
        hashes: ['a'] as unknown as [string, string]
      })
    ).rejects.toThrow(/two runs/);
  });
});
