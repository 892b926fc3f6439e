import * as fs from 'fs';
import * as path from 'path';
import { Table } from 'apache-arrow';
import { recordBatchRows, TableName } from '@opsbook/telemetry-schema';
import {
  collect,
  detectOtlpSignal,
  IngestError,
  IngestReport,
  IngestResult,
  otlpJsonAdapter,
  otlpProtoAdapter,
  otlpProtoRoot
} from '../src';

const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, 'fixtures', 'otlp', name), 'utf8');

const REQUESTS = {
  resourceSpans: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  resourceLogs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
  resourceMetrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'
};
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/**
 * OTLP/JSON differs from protobuf's canonical JSON in its ids (hex, not base64); everything else
 * protobufjs `fromObject` reads as is.
 */
function hexIdsToBytes(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(hexIdsToBytes);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        ID_KEYS.has(k) && typeof v === 'string' ? Buffer.from(v, 'hex') : hexIdsToBytes(v)
      ])
    );
  }
  return value;
}

/** Encodes an OTLP/JSON document as the binary export request of its signal. */
function encode(json: string, delimited = false): Uint8Array {
  const object = JSON.parse(json) as Record<string, unknown>;
  const signal = (Object.keys(REQUESTS) as (keyof typeof REQUESTS)[]).find(k => k in object)!;
  const type = otlpProtoRoot().lookupType(REQUESTS[signal]);
  const message = type.fromObject(hexIdsToBytes(object) as Record<string, unknown>);
  return delimited ? type.encodeDelimited(message).finish() : type.encode(message).finish();
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    yield bytes.subarray(i, i + size);
  }
}

const rowsOf = (result: IngestResult) =>
  Object.fromEntries(
    Object.entries(result.tables).map(([table, t]) => [
      table,
      recordBatchRows(table as TableName, t as Table)
    ])
  );

const balanced = (report: IngestReport) =>
  expect(report.rowsRead).toBe(report.rowsStored + report.rowsQuarantined);

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A span with all its required fields, as OTLP/JSON. */
const spanJson = (name: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [
          {
            scope: { name: 'lib' },
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name,
                kind: 2,
                startTimeUnixNano: '1544712660000000000',
                endTimeUnixNano: '1544712661000000000'
              }
            ]
          }
        ]
      }
    ]
  });

/** A metric document holding every metric kind, summary included (the examples have none). */
const summaryJson = JSON.stringify({
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeMetrics: [
        {
          scope: { name: 'lib' },
          metrics: [
            {
              name: 'rpc.latency',
              unit: 's',
              summary: {
                dataPoints: [
                  {
                    startTimeUnixNano: '1544712660000000000',
                    timeUnixNano: '1544712661000000000',
                    count: '3',
                    sum: 1.5,
                    quantileValues: [
                      { quantile: 0.5, value: 0.4 },
                      { quantile: 0.99, value: 0.9 }
                    ]
                  }
                ]
              }
            }
          ]
        }
      ]
    }
  ]
});

describe('OTLP/protobuf adapter', () => {
  it.each(['trace.json', 'logs.json', 'metrics.json', 'events.json'])(
    'gives the same canonical rows for the official example %s as OTLP/JSON',
    async name => {
      const json = await collect(otlpJsonAdapter(), fixture(name));
      const proto = await collect(otlpProtoAdapter(), encode(fixture(name)));
      expect(Object.keys(proto.tables)).toEqual(Object.keys(json.tables));
      expect(rowsOf(proto)).toEqual(rowsOf(json));
      expect(proto.report.rowsStored).toBe(json.report.rowsStored);
      expect(proto.report.rowsStored).toBeGreaterThan(0);
      balanced(proto.report);
    }
  );

  it('reads every metric kind: gauge, sum, histogram, exponential histogram and summary', async () => {
    const proto = await collect(otlpProtoAdapter(), encode(fixture('metrics.json')));
    const kinds = recordBatchRows('metric_points', proto.tables.metric_points!).map(
      r => r.metric_type
    );
    expect(new Set(kinds)).toEqual(new Set(['gauge', 'sum', 'histogram', 'exponential_histogram']));
    const summary = await collect(otlpProtoAdapter(), encode(summaryJson));
    expect(rowsOf(summary)).toEqual(rowsOf(await collect(otlpJsonAdapter(), summaryJson)));
    expect(recordBatchRows('metric_points', summary.tables.metric_points!)[0]).toMatchObject({
      metric_type: 'summary',
      metric_name: 'rpc.latency',
      count: 3n,
      sum: 1.5
    });
  });

  it('detects the signal of each example and notes the framing', async () => {
    for (const [name, signal] of [
      ['trace.json', 'ExportTraceServiceRequest'],
      ['logs.json', 'ExportLogsServiceRequest'],
      ['metrics.json', 'ExportMetricsServiceRequest']
    ]) {
      const { report } = await collect(otlpProtoAdapter(), encode(fixture(name)));
      expect(report.notes).toContain(`OTLP/protobuf: single framing, ${signal} (detected)`);
    }
    const request = otlpProtoRoot().lookupType(REQUESTS.resourceSpans);
    const object = hexIdsToBytes(JSON.parse(spanJson('a'))) as Record<string, unknown>;
    const entry = request.encode(request.fromObject(object));
    // The request's first field is the entry: skip its tag and one-byte length.
    expect(detectOtlpSignal(entry.finish().subarray(2))).toBe('resourceSpans');
  });

  it('reads a length-delimited stream of requests delivered in small chunks', async () => {
    const stream = concat(
      encode(spanJson('first'), true),
      encode(spanJson('second'), true),
      encode(spanJson('third'), true)
    );
    const { tables, report } = await collect(otlpProtoAdapter(), chunked(stream, 7));
    expect(recordBatchRows('spans', tables.spans!).map(r => r.name)).toEqual([
      'first',
      'second',
      'third'
    ]);
    expect(report.notes[0]).toBe(
      'OTLP/protobuf: delimited framing, ExportTraceServiceRequest (detected)'
    );
    expect(report).toMatchObject({ rowsRead: 3, rowsStored: 3, rowsQuarantined: 0 });
  });

  it('reads the pre-1.0 instrumentation_library_spans (field 1000) as scope spans', async () => {
    const current = JSON.parse(spanJson('legacy'));
    const entry = current.resourceSpans[0];
    const legacy = {
      resourceSpans: [
        {
          resource: entry.resource,
          instrumentationLibrarySpans: [
            {
              instrumentationLibrary: { name: 'old-lib', version: '0.1' },
              spans: entry.scopeSpans[0].spans
            }
          ]
        }
      ]
    };
    const { tables, report } = await collect(otlpProtoAdapter(), encode(JSON.stringify(legacy)));
    expect(recordBatchRows('spans', tables.spans!)[0]).toMatchObject({
      name: 'legacy',
      scope_name: 'old-lib',
      scope_version: '0.1',
      service_name: 'svc'
    });
    expect(report.notes[0]).toContain('ExportTraceServiceRequest (detected)');
  });

  it('reads gzip-compressed protobuf', async () => {
    const zlib = await import('zlib');
    const { report } = await collect(
      otlpProtoAdapter(),
      zlib.gzipSync(encode(fixture('logs.json')))
    );
    expect(report).toMatchObject({ gzip: true, rowsStored: 1 });
  });

  it('rejects a truncated message with the byte where the input ends', async () => {
    const bytes = encode(fixture('trace.json'));
    const cut = bytes.subarray(0, 100);
    const error = await collect(otlpProtoAdapter(), cut).catch(e => e as IngestError);
    expect(error).toBeInstanceOf(IngestError);
    expect(error).toMatchObject({ code: 'protobuf-invalid', position: { byteOffset: 100 } });
    expect((error as IngestError).message).toMatch(
      new RegExp(
        `^byte 100: Malformed OTLP protobuf: the resource entry at byte 0 declares ${bytes.length - 3} bytes but the input ends after 97 of them`
      )
    );
  });

  it('quarantines a truncated stream and keeps the complete messages before it', async () => {
    const whole = encode(spanJson('kept'), true);
    const stream = concat(whole, encode(spanJson('cut'), true).subarray(0, 30));
    const { report } = await collect(otlpProtoAdapter(), stream, { onError: 'quarantine' });
    expect(report).toMatchObject({ rowsStored: 1, rowsQuarantined: 1 });
    expect(report.quarantined[0]).toMatchObject({
      code: 'protobuf-invalid',
      position: { byteOffset: whole.length + 30 }
    });
    balanced(report);
  });

  it('quarantines a field 1 with the wrong wire type with its byte position', async () => {
    const good = encode(spanJson('good'));
    // field 1 as a varint (tag 0x08), then a good entry
    const bytes = concat(new Uint8Array([0x08, 0x01]), good);
    const error = await collect(otlpProtoAdapter({ framing: 'single' }), bytes).catch(
      e => e as IngestError
    );
    expect(error).toMatchObject({ code: 'protobuf-invalid', position: { byteOffset: 0 } });
    expect((error as IngestError).message).toContain(
      'field 1 (resource entry) at byte 0 has wire type 0 (varint), expected 2 (length-delimited)'
    );
    const { report } = await collect(otlpProtoAdapter({ framing: 'single' }), bytes, {
      onError: 'quarantine'
    });
    expect(report).toMatchObject({ rowsRead: 2, rowsStored: 1, rowsQuarantined: 1 });
    balanced(report);
  });

  it('quarantines an entry that does not decode and reads the next one', async () => {
    const good = encode(spanJson('good'));
    // an entry of 2 bytes holding a field with the invalid wire type 7
    const bad = new Uint8Array([0x0a, 0x02, 0x0f, 0x00]);
    const { report, tables } = await collect(
      otlpProtoAdapter({ signal: 'resourceSpans' }),
      concat(good, bad, good),
      { onError: 'quarantine' }
    );
    expect(recordBatchRows('spans', tables.spans!)).toHaveLength(2);
    expect(report).toMatchObject({ rowsRead: 3, rowsStored: 2, rowsQuarantined: 1 });
    expect(report.quarantined[0].code).toBe('protobuf-invalid');
    expect(report.quarantined[0].reason).toContain('invalid wire type 7');
    expect(report.quarantined[0].position).toMatchObject({
      record: 'resourceSpans[1]',
      byteOffset: good.length + 2 + 1
    });
  });

  it('quarantines an entry past maxRecordBytes without reading it into memory', async () => {
    const good = encode(spanJson('small'));
    const big = encode(fixture('trace.json'));
    const { report } = await collect(otlpProtoAdapter(), concat(good, big), {
      onError: 'quarantine',
      limits: { maxRecordBytes: good.length }
    });
    expect(report).toMatchObject({ rowsStored: 1, rowsQuarantined: 1 });
    expect(report.quarantined[0]).toMatchObject({
      code: 'record-too-large',
      position: { byteOffset: good.length, record: 'resourceSpans[1]' }
    });
  });

  it('rejects a length prefix past maxMessageBytes as not length-delimited OTLP', async () => {
    const stream = encode(spanJson('x'), true);
    const error = await collect(otlpProtoAdapter(), stream, {
      limits: { maxMessageBytes: 10 }
    }).catch(e => e as IngestError);
    expect(error).toMatchObject({ code: 'protobuf-invalid', position: { byteOffset: 0 } });
    expect((error as IngestError).message).toContain(
      `message 1 at byte 0 declares ${stream.length - 1} bytes, more than the limit maxMessageBytes of 10`
    );
  });

  it('rejects an invalid wire type in the framing', async () => {
    const error = await collect(otlpProtoAdapter(), new Uint8Array([0x0a, 0x00, 0x0f])).catch(
      e => e as IngestError
    );
    expect(error).toMatchObject({ code: 'protobuf-invalid', position: { byteOffset: 2 } });
  });
});
