import { recordBatchRows } from '@opsbook/telemetry-schema';
import { collect, prometheusApiAdapter, prometheusTextAdapter } from '../src';

const exposition = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200",job="api",instance="10.0.0.1:80"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# A gauge, no timestamp:
# TYPE temperature gauge
temperature -Inf
metric_without_timestamp_and_labels 12.47

# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;

describe('Prometheus text adapter', () => {
  const scrapeTime = 1700000000000000000n;

  it('reads counters, gauges, untyped samples, histograms and summaries', async () => {
    const { tables, report } = await collect(prometheusTextAdapter({ scrapeTime }), exposition);
    const rows = recordBatchRows('metric_points', tables.metric_points!);
    expect(rows.map(r => [r.metric_name, r.metric_type])).toEqual([
      ['http_requests_total', 'sum'],
      ['http_requests_total', 'sum'],
      ['msdos_file_access_time_seconds', 'gauge'],
      ['temperature', 'gauge'],
      ['metric_without_timestamp_and_labels', 'gauge'],
      ['http_request_duration_seconds', 'histogram'],
      ['rpc_duration_seconds', 'summary']
    ]);
    expect(rows[0]).toMatchObject({
      time: 1395066363000000000n,
      value: 1027,
      is_monotonic: true,
      temporality: 'cumulative',
      service_name: 'api',
      service_instance_id: '10.0.0.1:80',
      description: 'The total number of HTTP requests.',
      attributes: { method: '"post"', code: '"200"' }
    });
    expect(rows[2].attributes).toEqual({
      path: JSON.stringify('C:\\DIR\\FILE.TXT'),
      error: JSON.stringify('Cannot find file:\n"FILE.TXT"'),
      'prometheus.type': '"untyped"'
    });
    expect(rows[3]).toMatchObject({ value: -Infinity, time: scrapeTime });
    expect(rows[5]).toMatchObject({
      explicit_bounds: [0.05, 0.1, 0.2, 0.5, 1],
      bucket_counts: [24054n, 9390n, 66948n, 28997n, 4599n, 10332n],
      count: 144320n,
      sum: 53423
    });
    expect(rows[6]).toMatchObject({
      quantiles: [0.01, 0.5, 0.99],
      quantile_values: [3102, 4773, 76656],
      count: 2693n,
      sum: 17560473
    });
    expect(report).toMatchObject({ rowsRead: 7, rowsStored: 7, rowsQuarantined: 0 });
  });

  it('quarantines malformed lines with the line number and reason', async () => {
    const input = 'ok 1\nbad{le="x} 1\nnope abc\n{x="1"} 2\nts 1 12.5\n';
    const { report } = await collect(prometheusTextAdapter({ scrapeTime }), input, {
      onError: 'quarantine'
    });
    expect(report).toMatchObject({ rowsRead: 5, rowsStored: 1, rowsQuarantined: 4 });
    expect(report.quarantined.map(q => [q.position.line, q.reason.split('. ')[0]])).toEqual([
      [2, 'Not a Prometheus exposition line: unterminated value of label le'],
      [3, 'Not a Prometheus exposition line: "abc" is not a number'],
      [4, 'Not a Prometheus exposition line: a sample must start with a metric name'],
      [
        5,
        'Not a Prometheus exposition line: timestamp "12.5" is not an integer number of milliseconds'
      ]
    ]);
  });

  it('quarantines a 10 MB line and keeps the lines around it', async () => {
    const input = `a 1\nb{x="${'y'.repeat(10 * 1024 * 1024)}"} 1\nc 1\n`;
    const { report } = await collect(prometheusTextAdapter({ scrapeTime }), input, {
      onError: 'quarantine'
    });
    expect(report).toMatchObject({ rowsStored: 2, rowsQuarantined: 1 });
    expect(report.quarantined[0].reason).toBe(
      'Line is 10485769 bytes, longer than the limit of 1048576 bytes. ' +
        'Raise the limit in the ingest options if the input is trusted.'
    );
    expect(report.quarantined[0].position).toEqual({ line: 2, byteOffset: 4 });
  });
});

describe('Prometheus HTTP API adapter', () => {
  it('reads a query_range matrix, one row per sample, with exact times', async () => {
    const body = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' },
            values: [
              [1435781430.781, '1'],
              [1435781445.781, '1']
            ]
          },
          { metric: { __name__: 'up', job: 'node' }, values: [[1435781430.781, 'NaN']] }
        ]
      }
    };
    const { tables, report } = await collect(prometheusApiAdapter(), JSON.stringify(body));
    const rows = recordBatchRows('metric_points', tables.metric_points!);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      metric_name: 'up',
      time: 1435781430781000000n,
      value: 1,
      service_name: 'prometheus',
      service_instance_id: 'localhost:9090'
    });
    expect(rows[2].value).toBeNaN();
    expect(report.rowsQuarantined).toBe(0);
  });

  it('reads an instant vector', async () => {
    const body = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { __name__: 'up' }, value: [1435781451.781, '0'] }]
      }
    };
    const { report } = await collect(prometheusApiAdapter(), JSON.stringify(body));
    expect(report.rowsStored).toBe(1);
  });

  it('quarantines samples with bad values and times', async () => {
    const body = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { __name__: 'up' },
            values: [
              [1, 'x'],
              ['t', '1'],
              [2, '3']
            ]
          }
        ]
      }
    };
    const { report } = await collect(prometheusApiAdapter(), JSON.stringify(body), {
      onError: 'quarantine'
    });
    expect(report).toMatchObject({ rowsRead: 3, rowsStored: 1, rowsQuarantined: 2 });
    expect(report.quarantined.map(q => q.code)).toEqual(['bad-number', 'bad-timestamp']);
  });

  it('fails with the API error of an error response', async () => {
    const body = { status: 'error', errorType: 'bad_data', error: 'parse error at char 4' };
    await expect(collect(prometheusApiAdapter(), JSON.stringify(body))).rejects.toThrow(
      'The Prometheus API answered status "error" (bad_data: parse error at char 4). Fix the query.'
    );
  });
});
