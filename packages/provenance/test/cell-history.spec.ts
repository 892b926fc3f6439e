import {
  cellVersionOf,
  diffParameters,
  diffResultTables,
  diffSource,
  HISTORY_VERSION_KEYS,
  versionMetadata,
  type DiffTable
} from '../src/cell-history';
import { cellVersion, CELL_VERSION_KEYS } from '../src/run-record';
import { pick, seeded } from './helpers';

const cols = (...spec: [string, string][]) => spec.map(([name, type]) => ({ name, type }));

describe('cell versions', () => {
  it('keeps the same result-affecting keys as run records', () => {
    expect([...HISTORY_VERSION_KEYS]).toEqual([...CELL_VERSION_KEYS]);
  });

  it('gives the same hash as cellVersion for random cells', () => {
    const rand = seeded(7);
    for (let i = 0; i < 200; i++) {
      const opsbook: Record<string, unknown> = {};
      if (rand() < 0.5) opsbook.version = 1;
      if (rand() < 0.5) opsbook.parameters = { service: `svc-${pick(rand, 5)}`, n: pick(rand, 9) };
      if (rand() < 0.5) opsbook.pins = { spans: `snap-${pick(rand, 3)}` };
      if (rand() < 0.5) opsbook.chart = { mark: 'line' };
      const source = rand() < 0.5 ? `SELECT ${pick(rand, 100)}` : ['SELECT 1\n', 'FROM spans'];
      const metadata = { opsbook, tags: ['x'] };
      expect(cellVersionOf(source, opsbook)).toBe(cellVersion({ source, metadata }));
    }
  });

  it('leaves display-only metadata out of the version', () => {
    expect(versionMetadata({ opsbook: { chart: 'bar', runs: [], pins: { a: 'b' } } })).toEqual({
      pins: { a: 'b' }
    });
    expect(cellVersionOf('x', { chart: 'bar' })).toBe(cellVersionOf('x', {}));
  });
});

describe('diffSource', () => {
  it('finds the changed lines and groups them into hunks with context', () => {
    const a = ['SELECT service,', '  count(*)', 'FROM spans', 'GROUP BY 1', 'ORDER BY 2'].join(
      '\n'
    );
    const b = ['SELECT service,', '  avg(duration_ms)', 'FROM spans', 'GROUP BY 1'].join('\n');
    const d = diffSource(a, b, 1);
    expect(d.same).toBe(false);
    expect(d.added).toBe(1);
    expect(d.removed).toBe(2);
    expect(d.lines.filter(l => l.kind !== 'equal')).toEqual([
      { kind: 'remove', text: '  count(*)', oldLine: 2 },
      { kind: 'add', text: '  avg(duration_ms)', newLine: 2 },
      { kind: 'remove', text: 'ORDER BY 2', oldLine: 5 }
    ]);
    expect(d.hunks).toHaveLength(1);
    expect(d.hunks[0]).toMatchObject({ oldStart: 1, oldLines: 5, newStart: 1, newLines: 4 });
  });

  it('splits far-apart changes into separate hunks', () => {
    const base = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const changed = base.slice();
    changed[2] = 'two';
    changed[25] = 'twenty-five';
    const d = diffSource(base.join('\n'), changed.join('\n'));
    expect(d.hunks.map(h => [h.oldStart, h.oldLines])).toEqual([
      [1, 6],
      [23, 7]
    ]);
  });

  it('rebuilds both texts from its lines for random edits', () => {
    const rand = seeded(11);
    const words = ['a', 'b', 'c', 'SELECT', 'FROM', ''];
    for (let t = 0; t < 300; t++) {
      const gen = () => Array.from({ length: pick(rand, 8) }, () => words[pick(rand, 6)]);
      const x = gen().join('\n');
      const y = gen().join('\n');
      const d = diffSource(x, y);
      const xs = d.lines.filter(l => l.kind !== 'add').map(l => l.text);
      const ys = d.lines.filter(l => l.kind !== 'remove').map(l => l.text);
      expect(xs.join('\n')).toBe(x === '' ? '' : x);
      expect(ys.join('\n')).toBe(y === '' ? '' : y);
      expect(d.same).toBe(x === y);
    }
  });

  it('says two equal texts are the same, with no hunks', () => {
    expect(diffSource('a\nb', 'a\nb')).toMatchObject({
      same: true,
      added: 0,
      removed: 0,
      hunks: []
    });
    expect(diffSource('', 'x')).toMatchObject({ added: 1, removed: 0 });
  });
});

describe('diffParameters', () => {
  it('lists added, removed and changed keys, comparing values as canonical JSON', () => {
    const d = diffParameters(
      { service: 'checkout', window: { from: 1, to: 2 }, gone: true },
      { service: 'payment', window: { to: 2, from: 1 }, limit: 10 }
    );
    expect(d).toEqual({
      same: false,
      added: [{ key: 'limit', value: 10 }],
      removed: [{ key: 'gone', value: true }],
      changed: [{ key: 'service', from: 'checkout', to: 'payment' }]
    });
    expect(diffParameters(null, {}).same).toBe(true);
  });
});

describe('diffResultTables', () => {
  const a: DiffTable = {
    columns: cols(['service', 'Utf8'], ['p95', 'Float64'], ['calls', 'Int64']),
    rows: [
      ['checkout', 120, 10],
      ['payment', 80, 5],
      ['search', 30, 7]
    ]
  };

  it('pairs rows by the non-numeric key columns: changed, added and removed', () => {
    const b: DiffTable = {
      columns: a.columns,
      rows: [
        ['payment', 95, 5],
        ['checkout', 120, 10],
        ['cart', 12, 1]
      ]
    };
    const d = diffResultTables(a, b);
    expect(d.key).toEqual(['service']);
    expect(d.unchanged).toBe(1);
    expect(d.changed).toEqual([
      {
        key: ['payment'],
        before: ['payment', 80, 5],
        after: ['payment', 95, 5],
        changedColumns: ['p95']
      }
    ]);
    expect(d.added).toEqual([['cart', 12, 1]]);
    expect(d.removed).toEqual([['search', 30, 7]]);
    expect(d.same).toBe(false);
  });

  it('reports schema changes and compares rows on the shared same-typed columns', () => {
    const b: DiffTable = {
      columns: cols(
        ['service', 'Utf8'],
        ['p95', 'Float32'],
        ['errors', 'Int64'],
        ['calls', 'Int64']
      ),
      rows: [
        ['checkout', 120, 0, 10],
        ['payment', 80, 1, 6],
        ['search', 30, 0, 7]
      ]
    };
    const d = diffResultTables(a, b);
    expect(d.schema).toEqual({
      added: [{ name: 'errors', type: 'Int64' }],
      removed: [],
      retyped: [{ name: 'p95', from: 'Float64', to: 'Float32' }]
    });
    expect(d.columns).toEqual(['service', 'calls']);
    expect(d.unchanged).toBe(2);
    expect(d.changed).toEqual([
      { key: ['payment'], before: ['payment', 5], after: ['payment', 6], changedColumns: ['calls'] }
    ]);
  });

  it('treats a reordering and exact duplicates as no change, and pairs repeated keys in order', () => {
    const dup: DiffTable = { columns: a.columns, rows: [...a.rows, ['payment', 80, 5]] };
    const shuffled: DiffTable = { columns: a.columns, rows: [...dup.rows].reverse() };
    expect(diffResultTables(dup, shuffled).same).toBe(true);
    const one: DiffTable = {
      columns: a.columns,
      rows: [
        ['payment', 80, 5],
        ['payment', 81, 5],
        ['payment', 82, 5]
      ]
    };
    const other: DiffTable = {
      columns: a.columns,
      rows: [
        ['payment', 90, 5],
        ['payment', 81, 5]
      ]
    };
    const d = diffResultTables(one, other);
    expect(d.unchanged).toBe(1);
    expect(d.changed.map(c => [c.before[1], c.after[1]])).toEqual([[80, 90]]);
    expect(d.removed).toEqual([['payment', 82, 5]]);
    expect(d.added).toEqual([]);
  });

  it('uses the given key, or none when every column is numeric or every column is a key', () => {
    const nums: DiffTable = { columns: cols(['x', 'Int64'], ['y', 'Float64']), rows: [[1, 2]] };
    const d = diffResultTables(nums, { ...nums, rows: [[1, 3]] });
    expect(d.key).toEqual([]);
    expect(d.added).toEqual([[1, 3]]);
    expect(d.removed).toEqual([[1, 2]]);
    const keyed = diffResultTables(nums, { ...nums, rows: [[1, 3]] }, { key: ['x'] });
    expect(keyed.changed).toHaveLength(1);
    expect(() => diffResultTables(nums, nums, { key: ['nope'] })).toThrow(/nope/);
    const texts: DiffTable = { columns: cols(['a', 'Utf8']), rows: [['p']] };
    expect(diffResultTables(texts, { ...texts, rows: [['q']] }).key).toEqual([]);
  });

  it('uses the column kind when given, so a text-typed metric is still numeric', () => {
    const t: DiffTable = {
      columns: [
        { name: 'at', type: 'Timestamp<MICROSECOND>', kind: 'temporal' },
        { name: 'v', type: 'Decimal', kind: 'quantitative' }
      ],
      rows: [['2026-01-01', 1]]
    };
    expect(diffResultTables(t, { ...t, rows: [['2026-01-01', 2]] }).changed).toHaveLength(1);
  });

  it('accounts for every row on random inputs', () => {
    const rand = seeded(3);
    for (let t = 0; t < 200; t++) {
      const gen = (): DiffTable => ({
        columns: a.columns,
        rows: Array.from({ length: pick(rand, 12) }, () => [
          ['a', 'b', 'c'][pick(rand, 3)],
          pick(rand, 3),
          pick(rand, 2)
        ])
      });
      const x = gen();
      const y = gen();
      const d = diffResultTables(x, y);
      expect(d.unchanged + d.changed.length + d.removed.length).toBe(x.rows.length);
      expect(d.unchanged + d.changed.length + d.added.length).toBe(y.rows.length);
      for (const c of d.changed) {
        expect(c.before[0]).toBe(c.after[0]);
        expect(c.changedColumns.length).toBeGreaterThan(0);
      }
    }
  });
});
