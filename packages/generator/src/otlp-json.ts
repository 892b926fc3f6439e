/**
 * OTLP/JSON output (`format: 'otlp-json'`): the generated spans, logs and metric points as the
 * OpenTelemetry collector's file exporter writes them, one export request per line
 * (`traces.otlp.jsonl`, `logs.otlp.jsonl`, `metrics.otlp.jsonl`), so a test or a demo can push
 * the data through the whole OTLP ingest path instead of reading the canonical Parquet.
 *
 * The requests are built from the canonical Parquet files the writer produced, a DuckDB chunk at a
 * time: each chunk (2,048 rows, in time order) becomes one request, with one `resource*` entry per
 * resource (service, version, host) in the chunk. Resource columns become resource attributes
 * again (`service.name`, ...), attribute maps (JSON text) become OTLP `AnyValue`s, span kinds and
 * status codes their OTLP enum numbers, times decimal strings of Unix nanoseconds. Events have no
 * OTLP signal and stay in events.parquet.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DuckDBConnection } from '@duckdb/node-api';

/** The OTLP/JSON files, by the Parquet file they are made from. */
export const OTLP_FILES = {
  'spans.parquet': 'traces.otlp.jsonl',
  'logs.parquet': 'logs.otlp.jsonl',
  'metrics.parquet': 'metrics.otlp.jsonl'
} as const;

/** A Parquet file that has an OTLP/JSON form. */
export type OtlpSource = keyof typeof OTLP_FILES;

/** The instrumentation scope of every generated record. */
const SCOPE = { name: 'opsbook-generator' };

/** OTLP `SpanKind` and `StatusCode` numbers of the canonical spellings. */
const SPAN_KIND: Record<string, number> = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5
};
const STATUS_CODE: Record<string, number> = { unset: 0, ok: 1, error: 2 };

/** Resource columns and the OTel attribute each came from. */
const RESOURCE_COLUMNS = {
  service_name: 'service.name',
  service_version: 'service.version',
  host_name: 'host.name',
  deployment_environment: 'deployment.environment.name'
} as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Row = Record<string, Json>;
type KeyValue = { key: string; value: Record<string, Json> };

/** An OTLP AnyValue from an attribute's JSON text. */
function anyValue(json: unknown): Record<string, Json> {
  if (typeof json === 'string') {
    return { stringValue: json };
  }
  if (typeof json === 'boolean') {
    return { boolValue: json };
  }
  if (typeof json === 'number') {
    return Number.isInteger(json) ? { intValue: String(json) } : { doubleValue: json };
  }
  if (Array.isArray(json)) {
    return { arrayValue: { values: json.map(anyValue) } };
  }
  if (json !== null && typeof json === 'object') {
    return { kvlistValue: { values: keyValues(json as Record<string, unknown>) } };
  }
  return {};
}

function keyValues(values: Record<string, unknown>): KeyValue[] {
  return Object.entries(values).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** An attribute map (DuckDB JSON of MAP: a list of {key, value} JSON text) as OTLP key-values. */
function attributes(entries: Json): KeyValue[] {
  return ((entries ?? []) as { key: string; value: string | null }[])
    .filter(e => e.value !== null)
    .map(e => ({ key: e.key, value: anyValue(JSON.parse(e.value as string)) }));
}

/** The resource of a row, and its identity within a request. */
function resourceOf(row: Row): { key: string; resource: { attributes: KeyValue[] } } {
  const attrs: KeyValue[] = [];
  for (const [column, name] of Object.entries(RESOURCE_COLUMNS)) {
    if (row[column] !== null) {
      attrs.push({ key: name, value: { stringValue: row[column] as string } });
    }
  }
  return { key: JSON.stringify(attrs), resource: { attributes: attrs } };
}

/** Groups the records of one chunk by resource, in order of first appearance. */
function byResource<T>(rows: Row[], record: (row: Row) => T): Json[] {
  const groups = new Map<string, { resource: { attributes: KeyValue[] }; records: T[] }>();
  for (const row of rows) {
    const { key, resource } = resourceOf(row);
    let group = groups.get(key);
    if (!group) {
      group = { resource, records: [] };
      groups.set(key, group);
    }
    group.records.push(record(row));
  }
  return [...groups.values()] as unknown as Json[];
}

const span = (row: Row): Json => ({
  traceId: row.trace_id,
  spanId: row.span_id,
  ...(row.parent_span_id === null ? {} : { parentSpanId: row.parent_span_id }),
  name: row.name,
  kind: SPAN_KIND[row.kind as string] ?? 0,
  startTimeUnixNano: row.start_ns,
  endTimeUnixNano: row.end_ns,
  attributes: attributes(row.attributes) as unknown as Json,
  status: { code: STATUS_CODE[row.status_code as string] ?? 0 }
});

const logRecord = (row: Row): Json => ({
  timeUnixNano: row.time_ns,
  severityNumber: row.severity_number,
  severityText: row.severity_text,
  body: { stringValue: row.body },
  attributes: attributes(row.attributes) as unknown as Json,
  ...(row.trace_id === null ? {} : { traceId: row.trace_id, spanId: row.span_id })
});

const metric = (row: Row): Json => {
  const point = {
    timeUnixNano: row.time_ns,
    asDouble: row.value,
    attributes: attributes(row.attributes) as unknown as Json
  };
  return {
    name: row.metric_name,
    unit: row.unit,
    ...(row.metric_type === 'sum'
      ? { sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [point] } }
      : { gauge: { dataPoints: [point] } })
  };
};

/** How each Parquet file becomes requests: the extra SELECT columns and the request layout. */
const SIGNALS: Record<OtlpSource, { times: string; request: (rows: Row[]) => Json }> = {
  'spans.parquet': {
    times: 'epoch_ns(start_time)::VARCHAR AS start_ns, epoch_ns(end_time)::VARCHAR AS end_ns',
    request: rows => ({
      resourceSpans: byResource(rows, span).map(g => {
        const { resource, records } = g as { resource: Json; records: Json[] };
        return { resource, scopeSpans: [{ scope: SCOPE, spans: records }] };
      })
    })
  },
  'logs.parquet': {
    times: 'epoch_ns(time)::VARCHAR AS time_ns',
    request: rows => ({
      resourceLogs: byResource(rows, logRecord).map(g => {
        const { resource, records } = g as { resource: Json; records: Json[] };
        return { resource, scopeLogs: [{ scope: SCOPE, logRecords: records }] };
      })
    })
  },
  'metrics.parquet': {
    times: 'epoch_ns(time)::VARCHAR AS time_ns',
    request: rows => ({
      resourceMetrics: byResource(rows, metric).map(g => {
        const { resource, records } = g as { resource: Json; records: Json[] };
        return { resource, scopeMetrics: [{ scope: SCOPE, metrics: records }] };
      })
    })
  }
};

/**
 * Writes the OTLP/JSON form of the canonical Parquet file `parquet` (one of `OTLP_FILES`) to
 * `<outDir>/<OTLP_FILES[name]>`; returns the path and the number of records.
 */
export async function writeOtlpJson(
  connection: DuckDBConnection,
  parquet: string,
  outDir: string
): Promise<{ path: string; rows: number }> {
  const source = path.basename(parquet) as OtlpSource;
  const signal = SIGNALS[source];
  const file = path.join(outDir, OTLP_FILES[source]);
  const out = fs.openSync(file, 'w');
  let rows = 0;
  try {
    const result = await connection.stream(
      `SELECT * REPLACE (to_json(map_entries(attributes)) AS attributes), ${signal.times} ` +
        `FROM read_parquet('${parquet.replace(/'/g, "''")}')`
    );
    for await (const chunk of result.yieldRowObjectJson()) {
      const parsed = chunk.map(row => ({
        ...row,
        attributes: JSON.parse(row.attributes as string) as Json
      }));
      fs.writeSync(out, JSON.stringify(signal.request(parsed as Row[])) + '\n');
      rows += chunk.length;
    }
  } finally {
    fs.closeSync(out);
  }
  return { path: file, rows };
}
