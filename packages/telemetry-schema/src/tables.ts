/**
 * The canonical telemetry schema, version 1: the ONE declaration of Opsbook's four telemetry tables
 * (`spans`, `logs`, `metric_points`, `events`) and their columns. Everything else is derived from
 * it: the TypeScript row types (`rows.ts`), the Arrow schemas and record batches (`arrow.ts`), the
 * idempotence keys (`keys.ts`) and `docs/telemetry-schema.md` (`docs.ts`).
 *
 * Conventions (aligned with the OpenTelemetry semantic conventions):
 * - well-known resource attributes (`service.name`, `host.name`, `k8s.pod.name`, ...) are promoted
 *   to snake_case columns and removed from `resource_attributes`, so each value lives in one place;
 * - every other attribute stays in one of three `Map<Utf8, Utf8>` columns, by where it came from
 *   (`resource_attributes`, `scope_attributes`, `attributes`). Separate maps keep OTLP's levels apart
 *   (the same key may legitimately differ between resource and record) and the values are JSON text
 *   (`"GET"`, `200`, `true`, `["a","b"]`, `{"k":"v"}`), so the original type survives the trip
 *   (the string `"200"` and the integer `200` stay distinct) with one fixed Arrow type;
 * - trace and span ids are lower-case hex strings; timestamps are `Timestamp(NANOSECOND, 'UTC')`.
 */

/** The schema version, bumped on any incompatible change to the declaration below. */
export const TELEMETRY_SCHEMA_VERSION = 1;

/**
 * The logical type of a column and, through `rows.ts` and `arrow.ts`, its TypeScript value type and
 * Arrow type: `timestamp_ns` (bigint ns since the Unix epoch, Arrow Timestamp(NANOSECOND, 'UTC')),
 * `utf8` (string), `int32` (number), `int64` (bigint), `float64` (number), `bool` (boolean),
 * `attributes` (Record of JSON text, Arrow Map<Utf8, Utf8>), `list_int64` (bigint[]) and
 * `list_float64` (number[]).
 */
export type ColumnKind =
  | 'timestamp_ns'
  | 'utf8'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'attributes'
  | 'list_int64'
  | 'list_float64';

/** One column: its name, kind, whether it may be null, a description and the OTel source field. */
export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  readonly description: string;
  /** The OpenTelemetry attribute or OTLP field the column holds, for the docs. */
  readonly otel?: string;
}

/** One table: its description and ordered columns. */
export interface TableSpec {
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
}

const c = <N extends string, K extends ColumnKind, B extends boolean>(
  name: N,
  kind: K,
  nullable: B,
  description: string,
  otel?: string
) => ({ name, kind, nullable, description, otel }) as const;

/**
 * The resource attributes promoted to columns, keyed by OTel attribute name. `deployment.environment`
 * is the pre-1.27 semconv name of `deployment.environment.name`; both land in the same column.
 */
export const PROMOTED_RESOURCE_ATTRIBUTES = {
  'service.name': 'service_name',
  'service.namespace': 'service_namespace',
  'service.version': 'service_version',
  'service.instance.id': 'service_instance_id',
  'deployment.environment.name': 'deployment_environment',
  'deployment.environment': 'deployment_environment',
  'host.name': 'host_name',
  'k8s.cluster.name': 'k8s_cluster_name',
  'k8s.namespace.name': 'k8s_namespace_name',
  'k8s.node.name': 'k8s_node_name',
  'k8s.pod.name': 'k8s_pod_name',
  'k8s.deployment.name': 'k8s_deployment_name',
  'k8s.container.name': 'k8s_container_name'
} as const;

/** Columns every table starts with: the promoted resource, the service catalog and the scope. */
const RESOURCE_COLUMNS = [
  c('service_name', 'utf8', true, 'Logical name of the service.', 'service.name'),
  c('service_namespace', 'utf8', true, 'Namespace of the service.', 'service.namespace'),
  c('service_version', 'utf8', true, 'Version of the service.', 'service.version'),
  c('service_instance_id', 'utf8', true, 'Instance of the service.', 'service.instance.id'),
  c(
    'deployment_environment',
    'utf8',
    true,
    'Deployment environment (production, staging, ...).',
    'deployment.environment.name'
  ),
  c('host_name', 'utf8', true, 'Host name.', 'host.name'),
  c('k8s_cluster_name', 'utf8', true, 'Kubernetes cluster.', 'k8s.cluster.name'),
  c('k8s_namespace_name', 'utf8', true, 'Kubernetes namespace.', 'k8s.namespace.name'),
  c('k8s_node_name', 'utf8', true, 'Kubernetes node.', 'k8s.node.name'),
  c('k8s_pod_name', 'utf8', true, 'Kubernetes pod.', 'k8s.pod.name'),
  c('k8s_deployment_name', 'utf8', true, 'Kubernetes deployment.', 'k8s.deployment.name'),
  c('k8s_container_name', 'utf8', true, 'Kubernetes container.', 'k8s.container.name'),
  c('service_team', 'utf8', true, 'Owning team, from the service catalog.'),
  c('service_tier', 'utf8', true, 'Service tier, from the service catalog.'),
  c('service_repository', 'utf8', true, 'Source repository, from the service catalog.'),
  c(
    'resource_attributes',
    'attributes',
    false,
    'Other resource attributes (JSON values).',
    'Resource.attributes'
  ),
  c('scope_name', 'utf8', true, 'Instrumentation scope name.', 'InstrumentationScope.name'),
  c(
    'scope_version',
    'utf8',
    true,
    'Instrumentation scope version.',
    'InstrumentationScope.version'
  ),
  c(
    'scope_attributes',
    'attributes',
    false,
    'Instrumentation scope attributes (JSON values).',
    'InstrumentationScope.attributes'
  )
] as const;

const ATTRIBUTES = c('attributes', 'attributes', false, 'Record attributes (JSON values).');

/** The four tables of schema version 1. */
export const TABLES = {
  spans: {
    description: 'One row per span (OTLP traces).',
    columns: [
      c('trace_id', 'utf8', false, '32 lower-case hex digits.', 'Span.trace_id'),
      c('span_id', 'utf8', false, '16 lower-case hex digits.', 'Span.span_id'),
      c('parent_span_id', 'utf8', true, 'Parent span id; null for a root span.', 'parent_span_id'),
      c('trace_state', 'utf8', true, 'W3C trace state.', 'Span.trace_state'),
      c('name', 'utf8', false, 'Span name.', 'Span.name'),
      c(
        'kind',
        'utf8',
        false,
        'unspecified, internal, server, client, producer or consumer.',
        'Span.kind'
      ),
      c('start_time', 'timestamp_ns', false, 'Start time.', 'Span.start_time_unix_nano'),
      c('end_time', 'timestamp_ns', true, 'End time.', 'Span.end_time_unix_nano'),
      c('duration_ns', 'int64', true, 'end_time - start_time in nanoseconds.'),
      c('status_code', 'utf8', false, 'unset, ok or error.', 'Span.status.code'),
      c('status_message', 'utf8', true, 'Status description.', 'Span.status.message'),
      c('span_events', 'utf8', true, 'Span events as a JSON array.', 'Span.events'),
      c('span_links', 'utf8', true, 'Span links as a JSON array.', 'Span.links'),
      ...RESOURCE_COLUMNS,
      ATTRIBUTES
    ]
  },
  logs: {
    description: 'One row per log record (OTLP logs and events, JSON-lines, text logs).',
    columns: [
      c('time', 'timestamp_ns', false, 'Event time (observed time if unset).', 'time_unix_nano'),
      c('observed_time', 'timestamp_ns', true, 'Time the record was observed.', 'observed_time'),
      c('severity_number', 'int32', true, 'OTel severity number 1-24.', 'severity_number'),
      c('severity_text', 'utf8', true, 'Level as written by the source.', 'severity_text'),
      c('body', 'utf8', true, 'Message; a structured body is JSON text.', 'LogRecord.body'),
      c('trace_id', 'utf8', true, '32 lower-case hex digits.', 'LogRecord.trace_id'),
      c('span_id', 'utf8', true, '16 lower-case hex digits.', 'LogRecord.span_id'),
      c('event_name', 'utf8', true, 'Event name for OTel events.', 'LogRecord.event_name'),
      ...RESOURCE_COLUMNS,
      ATTRIBUTES
    ]
  },
  metric_points: {
    description: 'One row per metric data point, of any kind (OTLP metrics, Prometheus).',
    columns: [
      c('time', 'timestamp_ns', false, 'Time of the point.', 'time_unix_nano'),
      c('start_time', 'timestamp_ns', true, 'Start of a cumulative/delta window.', 'start_time'),
      c('metric_name', 'utf8', false, 'Metric name.', 'Metric.name'),
      c(
        'metric_type',
        'utf8',
        false,
        'gauge, sum, histogram, exponential_histogram or summary.',
        'Metric.data'
      ),
      c('unit', 'utf8', true, 'UCUM unit.', 'Metric.unit'),
      c('description', 'utf8', true, 'Metric description.', 'Metric.description'),
      c('temporality', 'utf8', true, 'delta or cumulative.', 'aggregation_temporality'),
      c('is_monotonic', 'bool', true, 'Whether a sum only grows.', 'Sum.is_monotonic'),
      c('value', 'float64', true, 'Gauge or sum value.', 'as_double / as_int'),
      c('value_int', 'int64', true, 'Exact value of an integer point.', 'as_int'),
      c('count', 'int64', true, 'Histogram or summary count.', 'count'),
      c('sum', 'float64', true, 'Histogram or summary sum.', 'sum'),
      c('min', 'float64', true, 'Histogram minimum.', 'min'),
      c('max', 'float64', true, 'Histogram maximum.', 'max'),
      c('bucket_counts', 'list_int64', true, 'Per-bucket counts.', 'bucket_counts'),
      c('explicit_bounds', 'list_float64', true, 'Upper bounds of buckets.', 'explicit_bounds'),
      c('exp_scale', 'int32', true, 'Exponential histogram scale.', 'scale'),
      c('exp_zero_count', 'int64', true, 'Count of the zero bucket.', 'zero_count'),
      c('exp_zero_threshold', 'float64', true, 'Width of the zero bucket.', 'zero_threshold'),
      c('exp_positive_offset', 'int32', true, 'Index of the first positive bucket.', 'positive'),
      c('exp_positive_bucket_counts', 'list_int64', true, 'Positive bucket counts.', 'positive'),
      c('exp_negative_offset', 'int32', true, 'Index of the first negative bucket.', 'negative'),
      c('exp_negative_bucket_counts', 'list_int64', true, 'Negative bucket counts.', 'negative'),
      c('quantiles', 'list_float64', true, 'Summary quantiles (0-1).', 'quantile_values'),
      c('quantile_values', 'list_float64', true, 'Value at each quantile.', 'quantile_values'),
      c('flags', 'int32', true, 'Data point flags (1 = no recorded value).', 'flags'),
      ...RESOURCE_COLUMNS,
      ATTRIBUTES
    ]
  },
  events: {
    description: 'One row per discrete event: alerts, deploys, incidents (Alertmanager, CSV, ...).',
    columns: [
      c('time', 'timestamp_ns', false, 'Start of the event.'),
      c('end_time', 'timestamp_ns', true, 'End of the event (resolved alert, finished deploy).'),
      c('event_type', 'utf8', false, 'alert, deploy, incident or another kind.'),
      c('event_id', 'utf8', true, 'Source identifier (alert fingerprint, deploy id).'),
      c('name', 'utf8', false, 'Alert name, deploy or incident title.'),
      c('status', 'utf8', true, 'firing, resolved, succeeded, open, ...'),
      c('severity', 'utf8', true, 'Severity as given by the source.'),
      c('summary', 'utf8', true, 'One-line summary.'),
      c('body', 'utf8', true, 'Longer description.'),
      c('source', 'utf8', true, 'Producer of the event (alertmanager, ci, pagerduty, ...).'),
      c('url', 'utf8', true, 'Link back to the source.'),
      ...RESOURCE_COLUMNS,
      ATTRIBUTES
    ]
  }
} as const satisfies Record<string, TableSpec>;

/** The name of a canonical table. */
export type TableName = keyof typeof TABLES;

/** All table names, in documentation order. */
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** The column specs of one table. */
export function columnsOf(table: TableName): readonly ColumnSpec[] {
  return TABLES[table].columns;
}

/** Whether `name` is a canonical table name. */
export function isTableName(name: string): name is TableName {
  return Object.prototype.hasOwnProperty.call(TABLES, name);
}
