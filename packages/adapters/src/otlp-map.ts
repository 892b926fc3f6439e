/**
 * Maps one OTLP `ResourceSpans` / `ResourceLogs` / `ResourceMetrics` object (as parsed from
 * OTLP/JSON, or decoded from protobuf into the same JSON shape) to canonical rows. A problem in a
 * span, log record or data point quarantines that record alone; a problem in the resource or scope
 * quarantines every record under it.
 */
import { Attributes, Row } from '@opsbook/telemetry-schema';
import { describeValue, InputPosition, RecordProblem } from './errors';
import { IngestContext } from './ingest';
import {
  arrayField,
  attributesField,
  doubleField,
  enumField,
  field,
  idField,
  int64Field,
  JsonObject,
  objectField,
  promoteResource,
  stringField,
  toJsonText,
  anyValueToJson,
  unixNano
} from './otlp-values';

/** The three OTLP signals, by their top-level JSON key. */
export const OTLP_SIGNALS = {
  resourceSpans: { scopes: 'scopeSpans', records: 'spans' },
  resourceLogs: { scopes: 'scopeLogs', records: 'logRecords' },
  resourceMetrics: { scopes: 'scopeMetrics', records: 'metrics' }
} as const;

/** A top-level OTLP key. */
export type OtlpSignal = keyof typeof OTLP_SIGNALS;

const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER'
];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const TEMPORALITIES = [
  'AGGREGATION_TEMPORALITY_UNSPECIFIED',
  'AGGREGATION_TEMPORALITY_DELTA',
  'AGGREGATION_TEMPORALITY_CUMULATIVE'
];
const SEVERITIES = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap(level =>
    ['', '2', '3', '4'].map(n => `SEVERITY_NUMBER_${level}${n}`)
  )
];

const lower = (names: string[], index: number | null, prefix: string) =>
  names[index ?? 0].slice(prefix.length).toLowerCase();

interface Common {
  promoted: Record<string, string>;
  resource: Attributes;
  scopeName: string | null;
  scopeVersion: string | null;
  scope: Attributes;
}

function applyCommon(row: Record<string, unknown>, common: Common): void {
  Object.assign(row, common.promoted);
  row.resource_attributes = common.resource;
  row.scope_name = common.scopeName;
  row.scope_version = common.scopeVersion;
  row.scope_attributes = common.scope;
}

function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecordProblem('wrong-type', {
      field: path,
      expected: 'an object',
      found: describeValue(value)
    });
  }
  return value as JsonObject;
}

function countRecords(entry: unknown, signal: OtlpSignal): number {
  const { scopes, records } = OTLP_SIGNALS[signal];
  try {
    const scopeList = arrayField(entry as JsonObject, scopes, '');
    let n = 0;
    for (const scope of scopeList) {
      const list = arrayField(scope as JsonObject, records, '');
      if (signal === 'resourceMetrics') {
        for (const metric of list) {
          const data = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']
            .map(k => field(metric as JsonObject, k) as JsonObject | undefined)
            .find(Boolean);
          n += Math.max(1, data ? arrayField(data, 'dataPoints', '').length : 1);
        }
      } else {
        n += list.length;
      }
    }
    return Math.max(1, n);
  } catch {
    return 1;
  }
}

/**
 * Maps one resource entry of `signal` to rows in `ctx`. `base` locates the entry (byte offset of
 * the entry and its path such as `resourceSpans[3]`).
 */
export function mapOtlpResource(
  signal: OtlpSignal,
  value: unknown,
  base: InputPosition & { record: string },
  ctx: IngestContext
): void {
  const { scopes, records } = OTLP_SIGNALS[signal];
  let common: Omit<Common, 'scopeName' | 'scopeVersion' | 'scope'>;
  let scopeList: unknown[];
  try {
    const entry = asObject(value, base.record);
    const resource = objectField(entry, 'resource', base.record) ?? {};
    const { promoted, rest } = promoteResource(
      attributesField(resource, 'attributes', `${base.record}.resource`)
    );
    common = { promoted, resource: rest };
    scopeList = arrayField(entry, scopes, base.record);
  } catch (error) {
    if (!(error instanceof RecordProblem)) {
      throw error;
    }
    ctx.problem(error.code, error.details, base, undefined, countRecords(value, signal));
    return;
  }
  scopeList.forEach((scopeEntry, s) => {
    const scopePath = `${base.record}.${scopes}[${s}]`;
    let full: Common;
    let list: unknown[];
    try {
      const scopeObj = asObject(scopeEntry, scopePath);
      const scope = objectField(scopeObj, 'scope', scopePath) ?? {};
      full = {
        ...common,
        scopeName: stringField(scope, 'name', `${scopePath}.scope`),
        scopeVersion: stringField(scope, 'version', `${scopePath}.scope`),
        scope: attributesField(scope, 'attributes', `${scopePath}.scope`)
      };
      list = arrayField(scopeObj, records, scopePath);
    } catch (error) {
      if (!(error instanceof RecordProblem)) {
        throw error;
      }
      const rows = countRecords({ [scopes]: [scopeEntry] }, signal);
      ctx.problem(error.code, error.details, { ...base, record: scopePath }, undefined, rows);
      return;
    }
    list.forEach((record, r) => {
      const position = { ...base, record: `${scopePath}.${records}[${r}]` };
      if (signal === 'resourceMetrics') {
        mapMetric(record, full, position, ctx);
      } else {
        ctx.guard(position, undefined, () => {
          const obj = asObject(record, position.record);
          if (signal === 'resourceSpans') {
            ctx.emit('spans', spanRow(obj, full, position.record, ctx), position);
          } else {
            ctx.emit('logs', logRow(obj, full, position.record, ctx), position);
          }
        });
      }
    });
  });
}

function spanRow(span: JsonObject, common: Common, path: string, ctx: IngestContext): Row<'spans'> {
  const row = ctx.row('spans');
  applyCommon(row, common);
  row.trace_id = requiredId(span, 'traceId', path, 16);
  row.span_id = requiredId(span, 'spanId', path, 8);
  row.parent_span_id = idField(span, 'parentSpanId', path, 8);
  row.trace_state = stringField(span, 'traceState', path);
  row.name = (field(span, 'name') as string) ?? '';
  if (typeof row.name !== 'string') {
    throw new RecordProblem('wrong-type', {
      field: `${path}.name`,
      expected: 'a string',
      found: describeValue(row.name)
    });
  }
  row.kind = lower(SPAN_KINDS, enumField(span, 'kind', path, SPAN_KINDS), 'SPAN_KIND_');
  const start = unixNano(span, 'startTimeUnixNano', path);
  if (start === null) {
    throw new RecordProblem('missing-field', { field: `${path}.startTimeUnixNano` });
  }
  row.start_time = start;
  row.end_time = unixNano(span, 'endTimeUnixNano', path);
  row.duration_ns = row.end_time === null ? null : row.end_time - start;
  const status = objectField(span, 'status', path) ?? {};
  row.status_code = lower(
    STATUS_CODES,
    enumField(status, 'code', `${path}.status`, STATUS_CODES),
    'STATUS_CODE_'
  );
  row.status_message = stringField(status, 'message', `${path}.status`);
  row.attributes = attributesField(span, 'attributes', path);
  const events = arrayField(span, 'events', path).map((e, i) => {
    const event = asObject(e, `${path}.events[${i}]`);
    return {
      time_unix_nano: unixNano(event, 'timeUnixNano', `${path}.events[${i}]`)?.toString() ?? null,
      name: stringField(event, 'name', `${path}.events[${i}]`),
      attributes: jsonAttributes(attributesField(event, 'attributes', `${path}.events[${i}]`))
    };
  });
  row.span_events = events.length ? JSON.stringify(events) : null;
  const links = arrayField(span, 'links', path).map((l, i) => {
    const link = asObject(l, `${path}.links[${i}]`);
    return {
      trace_id: idField(link, 'traceId', `${path}.links[${i}]`, 16),
      span_id: idField(link, 'spanId', `${path}.links[${i}]`, 8),
      trace_state: stringField(link, 'traceState', `${path}.links[${i}]`),
      attributes: jsonAttributes(attributesField(link, 'attributes', `${path}.links[${i}]`))
    };
  });
  row.span_links = links.length ? JSON.stringify(links) : null;
  return row;
}

function requiredId(obj: JsonObject, key: string, path: string, bytes: 16 | 8): string {
  const id = idField(obj, key, path, bytes);
  if (id === null) {
    throw new RecordProblem('missing-field', { field: `${path}.${key}` });
  }
  return id;
}

function jsonAttributes(attributes: Attributes): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.parse(v)]));
}

function logRow(log: JsonObject, common: Common, path: string, ctx: IngestContext): Row<'logs'> {
  const row = ctx.row('logs');
  applyCommon(row, common);
  const time = unixNano(log, 'timeUnixNano', path);
  const observed = unixNano(log, 'observedTimeUnixNano', path);
  // The spec: when time_unix_nano is unset, use the observed time.
  const when = time ?? observed;
  if (when === null) {
    throw new RecordProblem('missing-field', { field: `${path}.timeUnixNano` });
  }
  row.time = when;
  row.observed_time = observed;
  const severity = enumField(log, 'severityNumber', path, SEVERITIES);
  row.severity_number = severity ? severity : null;
  row.severity_text = stringField(log, 'severityText', path);
  const body = field(log, 'body');
  if (body !== undefined && body !== null) {
    const value = anyValueToJson(body, `${path}.body`);
    row.body = typeof value === 'string' ? value : value === null ? null : toJsonText(value);
  }
  row.trace_id = idField(log, 'traceId', path, 16);
  row.span_id = idField(log, 'spanId', path, 8);
  row.event_name = stringField(log, 'eventName', path);
  row.attributes = attributesField(log, 'attributes', path);
  return row;
}

const METRIC_KINDS = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary']
] as const;

function mapMetric(
  value: unknown,
  common: Common,
  position: InputPosition & { record: string },
  ctx: IngestContext
): void {
  const path = position.record;
  let metric: JsonObject;
  let kind: (typeof METRIC_KINDS)[number] | undefined;
  let data: JsonObject | undefined;
  let points: unknown[];
  try {
    metric = asObject(value, path);
    kind = METRIC_KINDS.find(([key]) => field(metric, key) !== undefined);
    if (!kind) {
      throw new RecordProblem('metric-without-data', { name: String(field(metric, 'name')) });
    }
    data = objectField(metric, kind[0], path)!;
    points = arrayField(data, 'dataPoints', `${path}.${kind[0]}`);
    if (typeof field(metric, 'name') !== 'string' || field(metric, 'name') === '') {
      throw new RecordProblem('missing-field', { field: `${path}.name` });
    }
  } catch (error) {
    if (!(error instanceof RecordProblem)) {
      throw error;
    }
    ctx.problem(
      error.code,
      error.details,
      position,
      undefined,
      countRecords({ scopeMetrics: [{ metrics: [value] }] }, 'resourceMetrics')
    );
    return;
  }
  const [key, type] = kind;
  const temporality = enumField(data, 'aggregationTemporality', `${path}.${key}`, TEMPORALITIES);
  points.forEach((p, i) => {
    const pointPath = `${path}.${key}.dataPoints[${i}]`;
    const pointPosition = { ...position, record: pointPath };
    ctx.guard(pointPosition, undefined, () => {
      const point = asObject(p, pointPath);
      const row = ctx.row('metric_points');
      applyCommon(row, common);
      row.metric_name = field(metric, 'name') as string;
      row.metric_type = type;
      row.unit = stringField(metric, 'unit', path);
      row.description = stringField(metric, 'description', path);
      row.temporality = temporality
        ? lower(TEMPORALITIES, temporality, 'AGGREGATION_TEMPORALITY_')
        : null;
      row.is_monotonic = key === 'sum' ? field(data!, 'isMonotonic') === true : null;
      const time = unixNano(point, 'timeUnixNano', pointPath);
      if (time === null) {
        throw new RecordProblem('missing-field', { field: `${pointPath}.timeUnixNano` });
      }
      row.time = time;
      row.start_time = unixNano(point, 'startTimeUnixNano', pointPath);
      row.attributes = attributesField(point, 'attributes', pointPath);
      const flags = field(point, 'flags');
      row.flags = typeof flags === 'number' ? flags : null;
      if (key === 'gauge' || key === 'sum') {
        if (field(point, 'asInt') !== undefined) {
          row.value_int = int64Field(point, 'asInt', pointPath);
          row.value = row.value_int === null ? null : Number(row.value_int);
        } else {
          row.value = doubleField(point, 'asDouble', pointPath);
        }
      } else {
        row.count = int64Field(point, 'count', pointPath);
        row.sum = doubleField(point, 'sum', pointPath);
        if (key !== 'summary') {
          row.min = doubleField(point, 'min', pointPath);
          row.max = doubleField(point, 'max', pointPath);
        }
      }
      if (key === 'histogram') {
        row.bucket_counts = int64List(point, 'bucketCounts', pointPath);
        row.explicit_bounds = arrayField(point, 'explicitBounds', pointPath).map((_b, j) =>
          doubleField(
            point.explicitBounds as unknown as JsonObject,
            String(j),
            `${pointPath}.explicitBounds`
          )!
        );
        if (
          row.bucket_counts.length &&
          row.bucket_counts.length !== row.explicit_bounds.length + 1
        ) {
          throw new RecordProblem('histogram-shape', {
            counts: row.bucket_counts.length,
            bounds: row.explicit_bounds.length
          });
        }
      } else if (key === 'exponentialHistogram') {
        const scale = field(point, 'scale');
        row.exp_scale = typeof scale === 'number' ? scale : 0;
        row.exp_zero_count = int64Field(point, 'zeroCount', pointPath) ?? 0n;
        row.exp_zero_threshold = doubleField(point, 'zeroThreshold', pointPath) ?? 0;
        const positive = objectField(point, 'positive', pointPath);
        const negative = objectField(point, 'negative', pointPath);
        if (positive) {
          row.exp_positive_offset = Number(field(positive, 'offset') ?? 0);
          row.exp_positive_bucket_counts = int64List(
            positive,
            'bucketCounts',
            `${pointPath}.positive`
          );
        }
        if (negative) {
          row.exp_negative_offset = Number(field(negative, 'offset') ?? 0);
          row.exp_negative_bucket_counts = int64List(
            negative,
            'bucketCounts',
            `${pointPath}.negative`
          );
        }
      } else if (key === 'summary') {
        const quantiles = arrayField(point, 'quantileValues', pointPath).map((q, j) =>
          asObject(q, `${pointPath}.quantileValues[${j}]`)
        );
        row.quantiles = quantiles.map(
          (q, j) => doubleField(q, 'quantile', `${pointPath}.quantileValues[${j}]`) ?? 0
        );
        row.quantile_values = quantiles.map(
          (q, j) => doubleField(q, 'value', `${pointPath}.quantileValues[${j}]`) ?? 0
        );
      }
      ctx.emit('metric_points', row, pointPosition);
    });
  });
}

function int64List(obj: JsonObject, key: string, path: string): bigint[] {
  const list = arrayField(obj, key, path);
  return list.map(
    (_v, i) => int64Field(list as unknown as JsonObject, String(i), `${path}.${key}`) ?? 0n
  );
}
