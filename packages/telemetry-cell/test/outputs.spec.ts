import { tableFromArrays } from 'apache-arrow';
import { CHART_MIME, TABLE_MIME, VEGALITE_MIME } from '../src/mime';
import { buildChartOutput, buildOutputs, htmlTable } from '../src/outputs';
import { toResultTable } from '../src/values';

const arrow = tableFromArrays({
  minute: [
    new Date('2026-11-10T14:00:00Z'),
    new Date('2026-11-10T14:01:00Z'),
    new Date('2026-11-10T14:02:00Z')
  ],
  service_name: ['payment', 'payment', 'checkout'],
  errors: BigInt64Array.from([1n, 5n, 9007199254740993n])
});

describe('toResultTable', () => {
  it('turns Arrow values into JSON-safe values and keeps the total row count', () => {
    const result = toResultTable(arrow, 2);
    expect(result.totalRows).toBe(3);
    expect(result.rows).toEqual([
      ['2026-11-10T14:00:00.000Z', 'payment', 1],
      ['2026-11-10T14:01:00.000Z', 'payment', 5]
    ]);
    expect(result.columns.map(c => c.kind)).toEqual(['temporal', 'nominal', 'quantitative']);
  });

  it('keeps 64-bit integers that do not fit a double exact, as strings', () => {
    expect(toResultTable(arrow, 3).rows[2][2]).toBe('9007199254740993');
  });
});

describe('buildOutputs', () => {
  it('gives a telemetry cell a chart output and a table output with standard fallbacks', () => {
    const outputs = buildOutputs(toResultTable(arrow, 1000), {
      chart: true,
      executionCount: 3,
      elapsedMs: 12
    });
    expect(outputs.map(o => o.output_type)).toEqual(['display_data', 'execute_result']);
    expect(Object.keys(outputs[0].data).sort()).toEqual(
      [CHART_MIME, VEGALITE_MIME, 'text/plain'].sort()
    );
    expect(Object.keys(outputs[1].data).sort()).toEqual(
      [TABLE_MIME, 'text/html', 'text/plain'].sort()
    );
    expect(outputs[1]).toMatchObject({ execution_count: 3 });
  });

  it('gives a plain code cell only the table', () => {
    const outputs = buildOutputs(toResultTable(arrow, 1000), { chart: false });
    expect(outputs).toHaveLength(1);
  });

  it('keeps the chart controls but no spec when the user chose table only', () => {
    const output = buildChartOutput(toResultTable(arrow, 1000), { mark: 'table' })!;
    expect(output.data[CHART_MIME]).toBeDefined();
    expect(output.data[VEGALITE_MIME]).toBeUndefined();
  });
});

describe('htmlTable', () => {
  it('escapes values so a log line cannot inject markup', () => {
    const html = htmlTable({
      columns: [{ name: 'body', type: 'Utf8', kind: 'nominal' }],
      rows: [['<img src=x onerror=alert(1)>']],
      totalRows: 1
    });
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
  });
});
