import type { ResultTable, ResultValue } from '@opsbook/telemetry-cell';
import { diffResults } from '../src/result-diff';

const table = (
  rows: ResultValue[][],
  totalRows = rows.length,
  names = ['a', 'b']
): ResultTable => ({
  columns: names.map(name => ({ name, type: 'Int32', kind: 'quantitative' as const })),
  rows,
  totalRows
});

describe('diffResults', () => {
  it('finds nothing added or removed when the rows are only reordered', () => {
    const diff = diffResults(
      table([
        [1, 2],
        [3, 4],
        [3, 4]
      ]),
      3,
      table([
        [3, 4],
        [1, 2],
        [3, 4]
      ])
    );
    expect(diff).toMatchObject({ added: [], removed: [], compared: 3, rowsAvailable: true });
  });

  it('lists the rows each side lacks, counting duplicates', () => {
    const diff = diffResults(
      table([
        [1, 2],
        [3, 4],
        [3, 4]
      ]),
      3,
      table([
        [3, 4],
        [5, 6]
      ])
    );
    expect(diff.added).toEqual([[5, 6]]);
    expect(diff.removed).toEqual([
      [1, 2],
      [3, 4]
    ]);
    expect(diff).toMatchObject({ recordedRows: 3, replayedRows: 2 });
  });

  it('compares only the first rows but reports the full row counts', () => {
    const many = Array.from({ length: 150 }, (_, i) => [i, i] as ResultValue[]);
    const shifted = many.map(([a, b]) => [a, (b as number) + 1] as ResultValue[]);
    const diff = diffResults(table(many, 5000), 5000, table(shifted, 5001), 100);
    expect(diff.compared).toBe(100);
    expect(diff.added).toHaveLength(100);
    expect(diff).toMatchObject({ recordedRows: 5000, replayedRows: 5001 });
  });

  it('treats every row as changed when the columns differ', () => {
    const diff = diffResults(table([[1, 2]]), 1, table([[1, 2]], 1, ['a', 'c']));
    expect(diff.added).toEqual([[1, 2]]);
    expect(diff.removed).toEqual([[1, 2]]);
  });

  it('compares only the counts when the recorded rows are not at hand', () => {
    expect(diffResults(null, 7, table([[1, 2]]))).toMatchObject({
      rowsAvailable: false,
      compared: 0,
      recordedRows: 7,
      replayedRows: 1
    });
  });
});
