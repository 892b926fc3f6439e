import { ColumnKind, emptyRow, TABLES } from '@opsbook/telemetry-schema';
import { canonicalRow, manifestId, rowHash } from '../src';

const point = (fields: Record<string, unknown>) => ({ ...emptyRow('metric_points'), ...fields });

describe('canonical row encoding', () => {
  it('ignores the order of attribute keys', () => {
    const a = point({ attributes: { b: '1', a: '"x"' } });
    const b = point({ attributes: { a: '"x"', b: '1' } });
    expect(rowHash('metric_points', a)).toBe(rowHash('metric_points', b));
  });

  it('keeps null, NaN, infinities, 0 and large int64 values apart', () => {
    const encodings = [null, NaN, Infinity, -Infinity, 0].map(value =>
      canonicalRow('metric_points', point({ value }))
    );
    expect(new Set(encodings).size).toBe(5);
    const big = canonicalRow('metric_points', point({ value_int: 9007199254740993n }));
    expect(big).toContain('"9007199254740993"');
  });

  it('writes the same text as JSON.stringify of the encoded cells, for random rows', () => {
    // The encoding of the module comment, written the plain way: canonicalRow's per-cell fast
    // paths must never drift from it (the snapshot ids of stored data depend on it).
    const float = (v: number) => (Number.isFinite(v) ? (v === 0 ? 0 : v) : String(v));
    const reference = (kind: ColumnKind, v: unknown): unknown =>
      v === null
        ? null
        : kind === 'timestamp_ns' || kind === 'int64'
          ? String(v)
          : kind === 'float64'
            ? float(v as number)
            : kind === 'attributes'
              ? Object.keys(v as object)
                  .sort()
                  .map(k => [k, (v as Record<string, string>)[k]])
              : kind === 'list_int64'
                ? (v as bigint[]).map(String)
                : kind === 'list_float64'
                  ? (v as number[]).map(float)
                  : v;
    let x = 42;
    const rand = (n: number) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
    const texts = ['', 'a"b', '\\', '\n\u0001', 'é😀', '\u2028', 'plain'];
    const floats = [0, -0, 1.5, NaN, Infinity, -Infinity, 1e21, 5e-324];
    const cell = (kind: ColumnKind): unknown => {
      if (rand(4) === 0) {
        return null;
      }
      switch (kind) {
        case 'timestamp_ns':
        case 'int64':
          return BigInt(rand(1e9)) * 10_000_000_000n * (rand(2) ? 1n : -1n);
        case 'int32':
          return rand(2 ** 31) * (rand(2) ? 1 : -1);
        case 'float64':
          return floats[rand(floats.length)];
        case 'bool':
          return rand(2) === 0;
        case 'attributes':
          return Object.fromEntries(texts.slice(rand(4)).map(t => [t, JSON.stringify(t)]));
        case 'list_int64':
          return [BigInt(rand(100)), -(2n ** 63n)].slice(rand(3));
        case 'list_float64':
          return floats.slice(rand(floats.length));
        default:
          return texts[rand(texts.length)];
      }
    };
    for (const table of ['spans', 'logs', 'metric_points', 'events'] as const) {
      for (let i = 0; i < 200; i++) {
        const row: Record<string, unknown> = {};
        for (const c of TABLES[table].columns) {
          row[c.name] = c.kind === 'attributes' ? (cell(c.kind) ?? {}) : cell(c.kind);
        }
        const expected = JSON.stringify(
          TABLES[table].columns.map(c => reference(c.kind, row[c.name]))
        );
        expect(canonicalRow(table, row)).toBe(expected);
      }
    }
  });

  it('gives a manifest the same id whatever the order of its snapshot ids', () => {
    expect(manifestId('d', ['b', 'a'])).toBe(manifestId('d', ['a', 'b']));
    expect(manifestId('d', ['a'])).not.toBe(manifestId('e', ['a']));
  });
});
