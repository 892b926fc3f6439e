import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { recordBatchRows } from '@opsbook/telemetry-schema';
import { collect, IngestReport, otlpJsonAdapter } from '../src';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', 'otlp', name));

/** Splits bytes into small chunks, as a network stream would deliver them. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    yield bytes.subarray(i, i + size);
  }
}

const balanced = (report: IngestReport) =>
  expect(report.rowsRead).toBe(report.rowsStored + report.rowsQuarantined);

const span = (fields: Record<string, unknown>) => ({
  traceId: '5B8EFFF798038103D269B633813FC60C',
  spanId: 'EEE19B7EC3C1B174',
  name: 'op',
  startTimeUnixNano: '1544712660000000000',
  endTimeUnixNano: '1544712661000000000',
  ...fields
});
const traces = (spans: unknown[]) =>
  JSON.stringify({
    resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: {}, spans }] }]
  });

describe('OTLP/JSON adapter', () => {
  it('reads the official trace example into one span with lower-case hex ids', async () => {
    const { tables, report } = await collect(otlpJsonAdapter(), fixture('trace.json'));
    const [row] = recordBatchRows('spans', tables.spans!);
    expect(row).toMatchObject({
      trace_id: '5b8efff798038103d269b633813fc60c',
      span_id: 'eee19b7ec3c1b174',
      parent_span_id: 'eee19b7ec3c1b173',
      name: "I'm a server span",
      kind: 'server',
      start_time: 1544712660000000000n,
      end_time: 1544712661000000000n,
      duration_ns: 1000000000n,
      status_code: 'unset',
      service_name: 'my.service',
      resource_attributes: {},
      scope_name: 'my.library',
      scope_version: '1.0.0',
      scope_attributes: { 'my.scope.attribute': '"some scope attribute"' },
      attributes: { 'my.span.attr': '"some value"' }
    });
    expect(report).toMatchObject({ rowsRead: 1, rowsStored: 1, rowsQuarantined: 0 });
  });

  it('reads the official logs example with every AnyValue type as JSON text', async () => {
    const { tables } = await collect(otlpJsonAdapter(), fixture('logs.json'));
    const [row] = recordBatchRows('logs', tables.logs!);
    expect(row).toMatchObject({
      time: 1544712660300000000n,
      observed_time: 1544712660300000000n,
      severity_number: 10,
      severity_text: 'Information',
      body: 'Example log record',
      trace_id: '5b8efff798038103d269b633813fc60c',
      span_id: 'eee19b7ec3c1b174',
      service_name: 'my.service'
    });
    expect(row.attributes).toEqual({
      'string.attribute': '"some string"',
      'boolean.attribute': 'true',
      'int.attribute': '10',
      'double.attribute': '637.704',
      'array.attribute': '["many","values"]',
      'map.attribute': '{"some.map.key":"some value"}'
    });
  });

  it('reads the official events example into logs with an event name and a JSON body', async () => {
    const { tables } = await collect(otlpJsonAdapter(), fixture('events.json'));
    const [row] = recordBatchRows('logs', tables.logs!);
    expect(row.event_name).toBe('browser.page_view');
    expect(JSON.parse(row.body!)).toMatchObject({ type: 0, title: 'Free Online GUID Generator' });
  });

  it('reads every metric kind of the official metrics example', async () => {
    const { tables, report } = await collect(otlpJsonAdapter(), fixture('metrics.json'));
    const rows = recordBatchRows('metric_points', tables.metric_points!);
    expect(rows.map(r => r.metric_type)).toEqual([
      'sum',
      'gauge',
      'histogram',
      'exponential_histogram'
    ]);
    expect(rows[0]).toMatchObject({
      metric_name: 'my.counter',
      value: 5,
      temporality: 'delta',
      is_monotonic: true,
      time: 1544712660300000000n,
      start_time: 1544712660300000000n,
      attributes: { 'my.counter.attr': '"some value"' }
    });
    expect(rows[2]).toMatchObject({
      count: 2n,
      sum: 2,
      min: 0,
      max: 2,
      bucket_counts: [1n, 1n],
      explicit_bounds: [1]
    });
    expect(rows[3]).toMatchObject({
      count: 3n,
      sum: 10,
      exp_scale: 0,
      exp_zero_count: 1n,
      exp_zero_threshold: 0,
      exp_positive_offset: 1,
      exp_positive_bucket_counts: [0n, 2n],
      exp_negative_offset: null
    });
    expect(report.rowsStored).toBe(4);
  });

  it('reads summaries, integer points beyond 2^53, enum names and base64 ids', async () => {
    const doc = {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'api' } },
              { key: 'k8s.pod.name', value: { stringValue: 'api-1' } },
              { key: 'cloud.region', value: { stringValue: 'eu' } }
            ]
          },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'latency',
                  summary: {
                    dataPoints: [
                      {
                        timeUnixNano: '1544712660300000001',
                        count: '9007199254740993',
                        sum: 12.5,
                        quantileValues: [
                          { quantile: 0.5, value: 1 },
                          { quantile: 0.99, value: 'Infinity' }
                        ]
                      }
                    ]
                  }
                },
                {
                  name: 'bytes',
                  sum: {
                    aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
                    dataPoints: [{ timeUnixNano: 1544712660, asInt: '9007199254740993' }]
                  }
                }
              ]
            }
          ]
        }
      ]
    };
    const { tables } = await collect(otlpJsonAdapter(), JSON.stringify(doc));
    const [summary, sum] = recordBatchRows('metric_points', tables.metric_points!);
    expect(summary).toMatchObject({
      time: 1544712660300000001n,
      count: 9007199254740993n,
      quantiles: [0.5, 0.99],
      quantile_values: [1, Infinity],
      service_name: 'api',
      k8s_pod_name: 'api-1',
      resource_attributes: { 'cloud.region': '"eu"' }
    });
    expect(sum).toMatchObject({ value_int: 9007199254740993n, temporality: 'cumulative' });

    const spans = traces([
      span({
        traceId: 'W47/95gDgQPSabYzgT/GDA==',
        spanId: '7uGbfsPBsXQ=',
        kind: 'SPAN_KIND_CLIENT'
      })
    ]);
    const [row] = recordBatchRows('spans', (await collect(otlpJsonAdapter(), spans)).tables.spans!);
    expect(row).toMatchObject({
      trace_id: '5b8efff798038103d269b633813fc60c',
      span_id: 'eee19b7ec3c1b174',
      kind: 'client'
    });
  });

  it('gives the same rows when the input arrives one byte at a time, or gzipped', async () => {
    const bytes = fixture('metrics.json');
    const whole = await collect(otlpJsonAdapter(), bytes);
    const bytewise = await collect(otlpJsonAdapter(), chunked(bytes, 1));
    const gzipped = await collect(otlpJsonAdapter(), chunked(zlib.gzipSync(bytes), 100));
    const rows = (r: typeof whole) => recordBatchRows('metric_points', r.tables.metric_points!);
    expect(rows(bytewise)).toEqual(rows(whole));
    expect(rows(gzipped)).toEqual(rows(whole));
    expect(gzipped.report.gzip).toBe(true);
  });

  it('reads the collector file exporter format: one request per line', async () => {
    const line = JSON.stringify(JSON.parse(fixture('trace.json').toString()));
    const { report } = await collect(otlpJsonAdapter(), `${line}\n${line}\n`);
    expect(report.rowsStored).toBe(2);
  });

  it('rejects truncated JSON with the byte position', async () => {
    const bytes = fixture('trace.json').subarray(0, 600);
    await expect(collect(otlpJsonAdapter(), bytes)).rejects.toThrow(
      'byte 600, resourceSpans[0]: The JSON ends early, inside element 0 of "resourceSpans". ' +
        'The file looks truncated; export it again.'
    );
  });

  it('quarantines the truncated tail and keeps the complete entries', async () => {
    const doc = JSON.stringify({
      resourceSpans: [JSON.parse(traces([span({})])).resourceSpans[0], { scopeSpans: [] }]
    });
    const cut = doc.slice(0, doc.length - 10);
    const { report } = await collect(otlpJsonAdapter(), cut, { onError: 'quarantine' });
    expect(report).toMatchObject({ rowsStored: 1, rowsQuarantined: 1, rowsRead: 2 });
    expect(report.quarantined[0].code).toBe('json-truncated');
  });

  it('quarantines records with wrong types, bad timestamps and bad ids, with exact reasons', async () => {
    const input = traces([
      span({}),
      span({ startTimeUnixNano: '2018-12-13T14:51:00Z' }),
      span({ traceId: 'xyz' }),
      span({ traceId: '00000000000000000000000000000000' }),
      span({ name: 42 }),
      span({ kind: 'SPAN_KIND_SIDEWAYS' }),
      span({ attributes: [{ key: 'n', value: { intValue: '1.5' } }] }),
      span({ startTimeUnixNano: undefined })
    ]);
    const { report } = await collect(otlpJsonAdapter(), input, { onError: 'quarantine' });
    expect(report).toMatchObject({ rowsRead: 8, rowsStored: 1, rowsQuarantined: 7 });
    const reasons = report.quarantined.map(q => `${q.position.record}: ${q.reason.split('. ')[0]}`);
    expect(reasons).toEqual([
      'resourceSpans[0].scopeSpans[0].spans[1]: Field "resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano" has an invalid timestamp the string "2018-12-13T14:51:00Z"',
      'resourceSpans[0].scopeSpans[0].spans[2]: Field "resourceSpans[0].scopeSpans[0].spans[2].traceId" has an invalid trace id the string "xyz": expected 32 hex digits (or base64 of 16 bytes), not all zero',
      'resourceSpans[0].scopeSpans[0].spans[3]: Field "resourceSpans[0].scopeSpans[0].spans[3].traceId" has an invalid trace id the string "00000000000000000000000000000000": expected 32 hex digits (or base64 of 16 bytes), not all zero',
      'resourceSpans[0].scopeSpans[0].spans[4]: Field "resourceSpans[0].scopeSpans[0].spans[4].name" should be a string but is the number 42',
      'resourceSpans[0].scopeSpans[0].spans[5]: Field "resourceSpans[0].scopeSpans[0].spans[5].kind" has an unknown value the string "SPAN_KIND_SIDEWAYS"; expected one of 0-5 or SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER',
      'resourceSpans[0].scopeSpans[0].spans[6]: Field "resourceSpans[0].scopeSpans[0].spans[6].attributes[0].value.intValue" should be a 64-bit integer (a JSON string or number) but is the string "1.5"',
      'resourceSpans[0].scopeSpans[0].spans[7]: Required field "resourceSpans[0].scopeSpans[0].spans[7].startTimeUnixNano" is missing or empty'
    ]);
  });

  it('rejects the first bad record by default, naming where it is', async () => {
    const input = traces([span({}), span({ endTimeUnixNano: -5 })]);
    await expect(collect(otlpJsonAdapter(), input)).rejects.toThrow(
      /^byte 18, resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]: Field ".*endTimeUnixNano" has an invalid timestamp the number -5/
    );
  });

  it('quarantines every record of a resource whose attributes are malformed', async () => {
    const doc = JSON.parse(traces([span({}), span({ spanId: 'EEE19B7EC3C1B175' })]));
    doc.resourceSpans[0].resource.attributes = 'service.name=x';
    const { report } = await collect(otlpJsonAdapter(), JSON.stringify(doc), {
      onError: 'quarantine'
    });
    expect(report).toMatchObject({ rowsRead: 2, rowsStored: 0, rowsQuarantined: 2 });
    expect(report.quarantined[0].reason).toMatch(
      /^Field "resourceSpans\[0\].resource.attributes" should be an array but is the string/
    );
  });

  it('quarantines a resource entry larger than the record limit and keeps the others', async () => {
    const big = span({ attributes: [{ key: 'x', value: { stringValue: 'y'.repeat(5000) } }] });
    const doc = {
      resourceSpans: [
        { scopeSpans: [{ spans: [span({})] }] },
        { scopeSpans: [{ spans: [big] }] },
        { scopeSpans: [{ spans: [span({ spanId: 'EEE19B7EC3C1B175' })] }] }
      ]
    };
    const { report } = await collect(otlpJsonAdapter(), JSON.stringify(doc), {
      onError: 'quarantine',
      limits: { maxRecordBytes: 4096 }
    });
    expect(report).toMatchObject({ rowsStored: 2, rowsQuarantined: 1 });
    expect(report.quarantined[0]).toMatchObject({
      code: 'record-too-large',
      position: { record: 'resourceSpans[1]' }
    });
    balanced(report);
  });

  it('detects invalid UTF-8 inside an entry with its byte offset', async () => {
    const text = traces([span({ name: 'AB' })]);
    const bytes = Buffer.from(text);
    const at = text.indexOf('"AB"') + 1;
    bytes[at] = 0xff;
    const { report } = await collect(otlpJsonAdapter(), bytes, { onError: 'quarantine' });
    expect(report.quarantined[0]).toMatchObject({
      code: 'invalid-utf8',
      position: { byteOffset: at }
    });
    expect(report.quarantined[0].reason).toBe(
      `Invalid UTF-8 at byte ${at}. Re-encode the input as UTF-8. ` +
        'Fix the record at the source, or ingest with onError: "quarantine" to keep the rest.'
    );
    balanced(report);
  });

  it('stops gzip input that expands past the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    await expect(
      collect(otlpJsonAdapter(), chunked(bomb, 4096), {
        limits: { maxDecompressedBytes: 1024 * 1024 }
      })
    ).rejects.toThrow(/Compressed input expands past the limit of 1048576 bytes; ingest stopped/);
  });

  it('reports a non-JSON input as the wrong format', async () => {
    await expect(collect(otlpJsonAdapter(), 'hello')).rejects.toThrow(
      'byte 0: Expected a JSON object (a JSON object) but found "h". Check the adapter matches the file.'
    );
  });

  it('reports progress with bytes read and rows', async () => {
    const progress: number[] = [];
    await collect(otlpJsonAdapter(), fixture('trace.json'), {
      onProgress: p => progress.push(p.bytesRead, p.rowsStored)
    });
    expect(progress.slice(-2)).toEqual([fixture('trace.json').length, 1]);
  });
});
