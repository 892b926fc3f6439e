/**
 * Parent links in run records (issue #5, named results): a scan of an earlier run's result
 * becomes an input of kind 'result' naming that run, and the run joins `parents`; an unknown
 * producing run is recorded as unknown (null), never guessed.
 */
import { tableFromArrays } from 'apache-arrow';
import type { QueryResult, ScanRecord } from '@opsbook/query-engine';
import { buildRunRecord } from '../src/run-record';

const engine = { name: 'duckdb-wasm (test)', version: 'v1', settings: {} };
const query = (scans: ScanRecord[]): QueryResult => ({
  table: tableFromArrays({ n: Int32Array.from([1, 2]) }),
  elapsedMs: 1,
  statements: ['SELECT n FROM slow_ops JOIN spans USING (n)'],
  scans
});
const spans: ScanRecord = { table: 'spans', columns: ['n'], snapshotId: 'snap-a', fullLoad: false };
const slow: ScanRecord = {
  table: 'slow_ops',
  kind: 'result',
  columns: ['n'],
  snapshotId: null,
  fullLoad: false
};

describe('buildRunRecord parent links', () => {
  it('records a result scan as an input of its own kind and its run as a parent', () => {
    const record = buildRunRecord({
      cell: { id: 'c2', source: 'SELECT n FROM slow_ops JOIN spans USING (n)' },
      query: query([slow, spans]),
      engine,
      resultRuns: { slow_ops: 'run-1' }
    });
    expect(record.inputs).toEqual([
      { table: 'slow_ops', kind: 'result', run: 'run-1', snapshotId: null, columns: ['n'] },
      { table: 'spans', snapshotId: 'snap-a', columns: ['n'] }
    ]);
    expect(record.parents).toEqual(['run-1']);
  });

  it('keeps explicit parents first and lists a parent read twice once', () => {
    const record = buildRunRecord({
      cell: { id: 'c2', source: 'x' },
      query: query([slow, { ...slow, columns: ['m'] }]),
      engine,
      parents: ['run-0'],
      resultRuns: { slow_ops: 'run-1' }
    });
    expect(record.parents).toEqual(['run-0', 'run-1']);
    expect(record.inputs).toEqual([
      { table: 'slow_ops', kind: 'result', run: 'run-1', snapshotId: null, columns: ['m', 'n'] }
    ]);
  });

  it('records an unknown producing run as null and adds no parent', () => {
    const record = buildRunRecord({
      cell: { id: 'c2', source: 'x' },
      query: query([slow]),
      engine,
      resultRuns: {}
    });
    expect(record.inputs).toEqual([
      { table: 'slow_ops', kind: 'result', run: null, snapshotId: null, columns: ['n'] }
    ]);
    expect(record.parents).toEqual([]);
  });
});
