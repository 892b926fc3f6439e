/**
 * Result tables (issue #5, named results): a cell's full result kept under a name in real
 * DuckDB-WASM, read by later queries, and reported as a scan of kind 'result' (never a dataset
 * snapshot). A name that would hide a dataset, or is not an identifier, is refused and changes
 * nothing.
 */
import { tableFromIPC, tableToIPC, tableFromArrays } from 'apache-arrow';
import type { DuckDBEngine } from '../src/duckdb-engine';
import { QueryError } from '../src/errors';
import { createNodeEngine } from '../src/node';

describe('result tables', () => {
  let engine: DuckDBEngine;

  beforeAll(async () => {
    engine = await createNodeEngine();
    const spans = tableFromArrays({
      service: ['checkout', 'payment', 'checkout'],
      duration_ms: Float64Array.from([120, 900, 40])
    });
    await engine.registerDataset({
      name: 'spans',
      columns: [
        { name: 'service', type: 'VARCHAR' },
        { name: 'duration_ms', type: 'DOUBLE' }
      ],
      snapshotId: 'aaaaaaaa',
      fetchSlice: async () => ({ ipc: tableToIPC(spans, 'stream'), snapshotId: 'aaaaaaaa' })
    });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('keeps a result under its name and reports a later scan of it as a result, not a dataset', async () => {
    const slow = await engine.query(
      'SELECT service, duration_ms FROM spans WHERE duration_ms > 100 ORDER BY duration_ms'
    );
    expect(slow.scans).toEqual([
      expect.objectContaining({ table: 'spans', snapshotId: 'aaaaaaaa' })
    ]);
    expect(slow.scans[0].kind).toBeUndefined();
    await engine.registerResult('slow_ops', slow.table);
    expect(engine.results()).toEqual(['slow_ops']);

    const child = await engine.query(
      'SELECT count(*) AS n, max(duration_ms) AS worst FROM slow_ops'
    );
    expect(child.table.toArray().map(r => r.toJSON())).toEqual([{ n: 2n, worst: 900 }]);
    expect(child.scans).toEqual([
      {
        table: 'slow_ops',
        kind: 'result',
        columns: ['duration_ms'],
        snapshotId: null,
        fullLoad: false
      }
    ]);
  });

  it('reports both kinds when a query joins a result with a dataset', async () => {
    const joined = await engine.query(
      'SELECT s.service FROM spans s JOIN slow_ops o ON s.service = o.service ORDER BY 1'
    );
    const kinds = joined.scans.map(s => [s.table, s.kind ?? 'dataset', s.snapshotId]);
    expect(kinds.sort()).toEqual([
      ['slow_ops', 'result', null],
      ['spans', 'dataset', 'aaaaaaaa']
    ]);
  });

  it('replaces an earlier result of the same name', async () => {
    await engine.registerResult('slow_ops', tableFromArrays({ only: Int32Array.from([7]) }));
    const result = await engine.query('SELECT * FROM slow_ops');
    expect(result.table.schema.fields.map(f => f.name)).toEqual(['only']);
    expect(result.scans[0]).toMatchObject({ table: 'slow_ops', kind: 'result', columns: ['only'] });
  });

  it('keeps an empty result with its columns', async () => {
    const none = await engine.query('SELECT service FROM spans WHERE duration_ms < 0');
    expect(none.table.numRows).toBe(0);
    await engine.registerResult('no_ops', none.table);
    const result = await engine.query('SELECT count(*) AS n FROM no_ops');
    expect(Number(result.table.get(0)!.n)).toBe(0);
  });

  it('refuses a name that would hide a dataset, and keeps the dataset', async () => {
    const other = tableFromArrays({ x: Int32Array.from([1]) });
    await expect(engine.registerResult('spans', other)).rejects.toThrow(
      /a dataset of that name exists/
    );
    const spans = await engine.query('SELECT count(*) AS n FROM spans');
    expect(Number(spans.table.get(0)!.n)).toBe(3);
    expect(spans.scans[0].kind).toBeUndefined();
  });

  it('refuses a name that is not a plain identifier', async () => {
    const other = tableFromArrays({ x: Int32Array.from([1]) });
    const attempt = engine.registerResult('x; DROP TABLE spans', other);
    await expect(attempt).rejects.toThrow(QueryError);
    expect(engine.results()).not.toContain('x; DROP TABLE spans');
  });

  it('round-trips the result bytes exactly (same rows a replay registers)', async () => {
    const source = await engine.query(
      "SELECT TIMESTAMP '2026-11-10 14:00:00' + INTERVAL (range) MINUTE AS t, range::INTEGER AS i FROM range(3)"
    );
    await engine.registerResult('ticks', source.table);
    const back = await engine.query('SELECT * FROM ticks');
    expect(
      tableFromIPC(tableToIPC(back.table))
        .toArray()
        .map(r => r.toJSON())
    ).toEqual(source.table.toArray().map(r => r.toJSON()));
  });
});
