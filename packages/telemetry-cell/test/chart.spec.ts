import { buildVegaLiteSpec, inferChart, resolveChart } from '../src/chart';
import type { ResultTable } from '../src/values';

const timeSeries: ResultTable = {
  columns: [
    { name: 'bucket', type: 'Timestamp<MICROSECOND>', kind: 'temporal' },
    { name: 'service_name', type: 'Utf8', kind: 'nominal' },
    { name: 'p95_ms', type: 'Float64', kind: 'quantitative' }
  ],
  rows: [
    ['2026-11-10T14:00:00.000Z', 'payment', 120],
    ['2026-11-10T14:00:00.000Z', 'checkout', 80],
    ['2026-11-10T14:10:00.000Z', 'payment', 480]
  ],
  totalRows: 3
};

const categories: ResultTable = {
  columns: [
    { name: 'http_route', type: 'Utf8', kind: 'nominal' },
    { name: 'errors', type: 'Int64', kind: 'quantitative' }
  ],
  rows: [
    ['/charge', 40],
    ['/cart', 2]
  ],
  totalRows: 2
};

describe('inferChart', () => {
  it('draws a line per series for a time column and a number', () => {
    expect(inferChart(timeSeries)).toEqual({
      mark: 'line',
      x: 'bucket',
      y: 'p95_ms',
      color: 'service_name'
    });
  });

  it('draws bars for a category and a number', () => {
    expect(inferChart(categories)).toEqual({
      mark: 'bar',
      x: 'http_route',
      y: 'errors',
      color: null
    });
  });

  it('draws points for two numbers', () => {
    const two: ResultTable = {
      columns: [
        { name: 'a', type: 'Float64', kind: 'quantitative' },
        { name: 'b', type: 'Float64', kind: 'quantitative' }
      ],
      rows: [[1, 2]],
      totalRows: 1
    };
    expect(inferChart(two).mark).toBe('point');
  });

  it('shows only a table when there is nothing to plot', () => {
    const text: ResultTable = {
      columns: [{ name: 'body', type: 'Utf8', kind: 'nominal' }],
      rows: [['x']],
      totalRows: 1
    };
    expect(inferChart(text)).toEqual({ mark: 'table', x: null, y: null, color: null });
  });

  it('does not colour by a column with too many distinct values', () => {
    const many: ResultTable = {
      ...timeSeries,
      rows: Array.from({ length: 100 }, (_, i) => ['2026-11-10T14:00:00.000Z', `svc-${i}`, i]),
      totalRows: 100
    };
    expect(inferChart(many).color).toBeNull();
  });
});

describe('resolveChart', () => {
  it('keeps the user choice where it fits the result', () => {
    expect(
      resolveChart(timeSeries, { mark: 'area', x: 'bucket', y: 'p95_ms', color: null })
    ).toEqual({
      mark: 'area',
      x: 'bucket',
      y: 'p95_ms',
      color: null
    });
  });

  it('replaces a chosen column the result no longer has', () => {
    expect(resolveChart(timeSeries, { mark: 'bar', y: 'gone' }).y).toBe('p95_ms');
  });
});

describe('buildVegaLiteSpec', () => {
  it('inlines only the encoded columns and uses UTC time', () => {
    const spec = buildVegaLiteSpec(timeSeries, inferChart(timeSeries))!;
    expect(spec.mark).toMatchObject({ type: 'line' });
    expect((spec.data as { values: unknown[] }).values[0]).toEqual({
      bucket: '2026-11-10T14:00:00.000Z',
      p95_ms: 120,
      service_name: 'payment'
    });
    expect((spec.encoding as Record<string, { scale?: unknown }>).x.scale).toEqual({ type: 'utc' });
  });

  it('says when the chart shows only the first rows', () => {
    const spec = buildVegaLiteSpec({ ...categories, totalRows: 5000 }, inferChart(categories))!;
    expect(JSON.stringify(spec.title)).toContain('first 2 of 5,000 rows');
  });

  it('returns null for table only', () => {
    expect(
      buildVegaLiteSpec(categories, { mark: 'table', x: null, y: null, color: null })
    ).toBeNull();
  });
});
