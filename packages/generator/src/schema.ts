/**
 * The telemetry schema: the one place that names every output file, column and type.
 *
 * Format: four Parquet files (zstd, row groups of 122,880 rows), each sorted by time. Column names
 * follow the OpenTelemetry semantic conventions with dots turned into underscores
 * (`service.name` -> `service_name`), so SQL needs no quoting. Timestamps are DuckDB `TIMESTAMP`
 * (microseconds, no time zone) holding UTC. The writer's COPY queries cast every output column to
 * the type listed here, so these lists are the contract that readers of the files can rely on.
 */

/** One output column: its name, DuckDB type, and what it holds. */
export interface ColumnSpec {
  /** Column name as written to Parquet. */
  readonly name: string;
  /** DuckDB SQL type. */
  readonly type: 'VARCHAR' | 'TIMESTAMP' | 'DOUBLE' | 'INTEGER';
  /** One line for people reading the data. */
  readonly description: string;
}

/** One output table: its Parquet file, columns, and the sort key used when writing. */
export interface TableSpec {
  /** Table name inside the generator's DuckDB work database. */
  readonly table: string;
  /** File name in the output directory. */
  readonly file: string;
  /** Columns in file order. */
  readonly columns: readonly ColumnSpec[];
  /** Time column the file is sorted by (ties keep generation order). */
  readonly sortBy: string;
}

/** OpenTelemetry span status codes. */
export type SpanStatus = 'OK' | 'ERROR' | 'UNSET';

/** OpenTelemetry span kinds used by the generator. */
export type SpanKind = 'SERVER' | 'CLIENT' | 'INTERNAL';

/** Log severities and their OpenTelemetry severity numbers. */
export const SEVERITY_NUMBER = { DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17 } as const;

/** A log severity name. */
export type Severity = keyof typeof SEVERITY_NUMBER;

/** Metric instrument kinds: a gauge is a sampled value, a sum a per-minute delta count. */
export type MetricType = 'gauge' | 'sum';

/** Kinds of change and alert events. */
export type EventKind = 'deploy' | 'alert' | 'rollback';

/** One span as the generator hands it to the writer; times are microseconds since the epoch (UTC). */
export interface SpanRow {
  traceId: string;
  spanId: string;
  /** `null` for a root span. */
  parentSpanId: string | null;
  serviceName: string;
  serviceVersion: string;
  hostName: string;
  spanName: string;
  spanKind: SpanKind;
  startUs: number;
  endUs: number;
  status: SpanStatus;
  /** `null` for spans that are not HTTP (database calls, internal work). */
  httpMethod: string | null;
  httpRoute: string | null;
  /** `null` when no response arrived (client timeout) or the span is not HTTP. */
  httpStatusCode: number | null;
}

/** One log record as handed to the writer. */
export interface LogRow {
  timestampUs: number;
  serviceName: string;
  serviceVersion: string;
  hostName: string;
  severity: Severity;
  body: string;
  /** `null` for logs written outside a request. */
  traceId: string | null;
  spanId: string | null;
}

/** One metric point as handed to the writer. */
export interface MetricRow {
  timestampUs: number;
  serviceName: string;
  hostName: string;
  metricName: string;
  metricType: MetricType;
  unit: string;
  value: number;
}

/** One event as handed to the writer. */
export interface EventRow {
  timestampUs: number;
  serviceName: string;
  kind: EventKind;
  title: string;
  severity: 'info' | 'warning' | 'critical';
  /** A small JSON object serialised as a string. */
  attributes: string;
}

/** Spans: one row per span, OpenTelemetry trace model. */
export const SPANS_TABLE: TableSpec = {
  table: 'spans',
  file: 'spans.parquet',
  sortBy: 'start_time',
  columns: [
    {
      name: 'trace_id',
      type: 'VARCHAR',
      description: 'W3C trace id, 32 lower-case hex characters'
    },
    { name: 'span_id', type: 'VARCHAR', description: 'span id, 16 lower-case hex characters' },
    {
      name: 'parent_span_id',
      type: 'VARCHAR',
      description: 'parent span id; NULL for a root span'
    },
    { name: 'service_name', type: 'VARCHAR', description: 'service.name of the emitting service' },
    { name: 'service_version', type: 'VARCHAR', description: 'service.version at span start' },
    { name: 'deployment_environment', type: 'VARCHAR', description: "always 'production'" },
    { name: 'host_name', type: 'VARCHAR', description: 'pod that served the span' },
    { name: 'span_name', type: 'VARCHAR', description: "operation, e.g. 'POST /charge'" },
    { name: 'span_kind', type: 'VARCHAR', description: 'SERVER, CLIENT or INTERNAL' },
    { name: 'start_time', type: 'TIMESTAMP', description: 'span start, UTC' },
    { name: 'end_time', type: 'TIMESTAMP', description: 'span end, UTC' },
    { name: 'duration_ms', type: 'DOUBLE', description: 'end_time - start_time in milliseconds' },
    { name: 'status_code', type: 'VARCHAR', description: 'OK, ERROR or UNSET' },
    { name: 'http_method', type: 'VARCHAR', description: 'HTTP method; NULL if not HTTP' },
    { name: 'http_route', type: 'VARCHAR', description: 'route template of the server endpoint' },
    { name: 'http_status_code', type: 'INTEGER', description: 'HTTP status; NULL if none' }
  ]
};

/** Logs: one row per log record, OpenTelemetry log model. */
export const LOGS_TABLE: TableSpec = {
  table: 'logs',
  file: 'logs.parquet',
  sortBy: 'timestamp',
  columns: [
    { name: 'timestamp', type: 'TIMESTAMP', description: 'time of the record, UTC' },
    { name: 'service_name', type: 'VARCHAR', description: 'service.name of the emitter' },
    { name: 'service_version', type: 'VARCHAR', description: 'service.version at that time' },
    { name: 'host_name', type: 'VARCHAR', description: 'pod that wrote the record' },
    { name: 'severity_text', type: 'VARCHAR', description: 'DEBUG, INFO, WARN or ERROR' },
    { name: 'severity_number', type: 'INTEGER', description: 'OpenTelemetry number: 5, 9, 13, 17' },
    { name: 'body', type: 'VARCHAR', description: 'message text (logfmt-style key=value pairs)' },
    { name: 'trace_id', type: 'VARCHAR', description: 'trace of the request; NULL if none' },
    { name: 'span_id', type: 'VARCHAR', description: 'span of the request; NULL if none' }
  ]
};

/** Metrics: one point per service, metric and minute. */
export const METRICS_TABLE: TableSpec = {
  table: 'metrics',
  file: 'metrics.parquet',
  sortBy: 'timestamp',
  columns: [
    { name: 'timestamp', type: 'TIMESTAMP', description: 'start of the minute, UTC' },
    { name: 'service_name', type: 'VARCHAR', description: 'service.name' },
    { name: 'host_name', type: 'VARCHAR', description: 'pod running the service that minute' },
    { name: 'metric_name', type: 'VARCHAR', description: "e.g. 'process.cpu.utilization'" },
    { name: 'metric_type', type: 'VARCHAR', description: "'gauge' or 'sum' (delta per minute)" },
    { name: 'unit', type: 'VARCHAR', description: "UCUM unit, e.g. '1', 'By', 'ms'" },
    { name: 'value', type: 'DOUBLE', description: 'the value' }
  ]
};

/** Events: deploys, rollbacks and alert state changes. */
export const EVENTS_TABLE: TableSpec = {
  table: 'events',
  file: 'events.parquet',
  sortBy: 'timestamp',
  columns: [
    { name: 'timestamp', type: 'TIMESTAMP', description: 'time of the event, UTC' },
    { name: 'service_name', type: 'VARCHAR', description: 'service the event is about' },
    { name: 'kind', type: 'VARCHAR', description: "'deploy', 'alert' or 'rollback'" },
    { name: 'title', type: 'VARCHAR', description: 'one-line summary' },
    { name: 'severity', type: 'VARCHAR', description: "'info', 'warning' or 'critical'" },
    { name: 'attributes', type: 'VARCHAR', description: 'a small JSON object as text' }
  ]
};

/** All Parquet outputs, in the order they are written and reported. */
export const TELEMETRY_TABLES: readonly TableSpec[] = [
  SPANS_TABLE,
  LOGS_TABLE,
  METRICS_TABLE,
  EVENTS_TABLE
];

/** File name of the incident ground truth written next to the Parquet files. */
export const INCIDENT_FILE = 'incident.json';

/** Value of `deployment_environment` on every span. */
export const DEPLOYMENT_ENVIRONMENT = 'production';
