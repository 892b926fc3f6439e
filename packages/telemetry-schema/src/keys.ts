/**
 * Idempotence keys: the identity of a row, so ingesting the same data twice can be detected and
 * the second copy dropped.
 * - spans: `(trace_id, span_id)`;
 * - logs: a SHA-256 content hash of `(time, service_name, body, attributes)`;
 * - metric points: a SHA-256 of the series identity (metric name and type, every resource column,
 *   the resource, scope and point attributes) and the point's time;
 * - events: `(event_type, source, event_id or name, time)`.
 * Attribute maps are hashed with sorted keys so their order never matters.
 */
import { Attributes, Row } from './rows';
import { sha256Hex } from './sha256';
import { TableName, TABLES } from './tables';

function sortedAttributes(attributes: Attributes): [string, string][] {
  return Object.keys(attributes)
    .sort()
    .map(key => [key, attributes[key]]);
}

const bigintAsText = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? `${value}n` : value;

function canonical(values: unknown[]): string {
  // Bigints (times) are written as "<digits>n". They sit at the top level of every key, so they
  // are converted there and JSON.stringify runs without a replacer, its fast path (the replacer
  // made it a tenth of a JSON-lines ingest); a bigint anywhere deeper makes JSON.stringify throw,
  // and the replacer, which reaches every level, writes the same text.
  const top = values.map(value => (typeof value === 'bigint' ? `${value}n` : value));
  try {
    return JSON.stringify(top);
  } catch {
    return JSON.stringify(values, bigintAsText);
  }
}

const SERIES_EXCLUDED = new Set([
  'time',
  'start_time',
  'value',
  'value_int',
  'count',
  'sum',
  'min',
  'max',
  'bucket_counts',
  'explicit_bounds',
  'exp_scale',
  'exp_zero_count',
  'exp_zero_threshold',
  'exp_positive_offset',
  'exp_positive_bucket_counts',
  'exp_negative_offset',
  'exp_negative_bucket_counts',
  'quantiles',
  'quantile_values',
  'flags',
  'description',
  'service_team',
  'service_tier',
  'service_repository'
]);

/**
 * The identity of a metric series: every metric_points column that is not a value, a time or
 * catalog enrichment (metric name and type, unit, temporality, resource columns, attributes).
 */
export function seriesKey(row: Row<'metric_points'>): string {
  const cells = row as unknown as Record<string, unknown>;
  const parts: unknown[] = [];
  for (const column of TABLES.metric_points.columns) {
    if (SERIES_EXCLUDED.has(column.name)) {
      continue;
    }
    const value = cells[column.name];
    parts.push(column.kind === 'attributes' ? sortedAttributes(value as Attributes) : value);
  }
  return sha256Hex(canonical(parts));
}

/** The idempotence key of a row of `table` (see the module comment for each table's identity). */
export function idempotenceKey<T extends TableName>(table: T, row: Row<T>): string {
  switch (table) {
    case 'spans': {
      const span = row as Row<'spans'>;
      return `${span.trace_id}:${span.span_id}`;
    }
    case 'logs': {
      const log = row as Row<'logs'>;
      return sha256Hex(
        canonical([log.time, log.service_name, log.body, sortedAttributes(log.attributes)])
      );
    }
    case 'metric_points': {
      const point = row as Row<'metric_points'>;
      return `${seriesKey(point)}:${point.time}`;
    }
    default: {
      const event = row as Row<'events'>;
      return sha256Hex(
        canonical([event.event_type, event.source, event.event_id ?? event.name, event.time])
      );
    }
  }
}
