/**
 * What the generator writes, and the row types its phases hand to the writer.
 *
 * Format: four Parquet files (zstd, row groups of 122,880 rows), each sorted by its time column,
 * holding the CANONICAL telemetry tables of `@opsbook/telemetry-schema` (docs/telemetry-schema.md):
 * every column of the table, in its order, with its type, so `opsbook ingest --as parquet` maps
 * them one to one. The column lists are not repeated here: the writer takes them from the schema
 * and only says how the generator fills each column (see `writer.ts`); columns it has no value
 * for are NULL (empty maps for the attribute columns).
 *
 * File names are the tables' user-facing names (`metrics.parquet` holds the `metric_points` table),
 * the names the server and the example notebooks use for them.
 */
import type { TableName } from '@opsbook/telemetry-schema/lib/tables';

/** One output file: the canonical table it holds, its file name and its time (sort) column. */
export interface TableSpec {
  /** The canonical table (`@opsbook/telemetry-schema`). */
  readonly table: TableName;
  /** File name in the output directory. */
  readonly file: string;
  /** Time column the file is sorted by (ties keep generation order). */
  readonly sortBy: string;
}

/** OpenTelemetry span status codes (the writer writes them lower-case, as `status_code`). */
export type SpanStatus = 'OK' | 'ERROR' | 'UNSET';

/** OpenTelemetry span kinds used by the generator (written lower-case, as `kind`). */
export type SpanKind = 'SERVER' | 'CLIENT' | 'INTERNAL';

/** Log severities (`severity_text`) and their OpenTelemetry severity numbers. */
export const SEVERITY_NUMBER = { DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17 } as const;

/** A log severity name. */
export type Severity = keyof typeof SEVERITY_NUMBER;

/** Metric instrument kinds: a gauge is a sampled value, a sum a per-minute delta count. */
export type MetricType = 'gauge' | 'sum';

/** Kinds of change and alert events (the canonical `event_type`). */
export type EventKind = 'deploy' | 'alert' | 'rollback' | 'restart';

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

/** One event as handed to the writer (canonical `events` columns, in camelCase). */
export interface EventRow {
  timestampUs: number;
  serviceName: string;
  /** `event_type`. */
  kind: EventKind;
  /** Deploy id or alert fingerprint. */
  eventId: string;
  /** Alert rule, or the deploy's title. */
  name: string;
  /** firing / resolved for alerts, succeeded for deploys, rollbacks and restarts. */
  status: string;
  severity: 'info' | 'warning' | 'critical';
  /** One-line summary, e.g. 'Deployed payment 2.4.0'. */
  summary: string;
  /** Producer: 'argo-cd' (deploys), 'oncall' (rollbacks), 'alertmanager' (alerts), 'kubernetes' (restarts). */
  source: string;
  /** Record attributes, plain values (the writer JSON-encodes each, as the schema says). */
  attributes: Record<string, string | number>;
}

/** Spans: one row per span. */
export const SPANS_TABLE: TableSpec = {
  table: 'spans',
  file: 'spans.parquet',
  sortBy: 'start_time'
};

/** Logs: one row per log record. */
export const LOGS_TABLE: TableSpec = { table: 'logs', file: 'logs.parquet', sortBy: 'time' };

/** Metrics: one point per service, metric and minute (the `metric_points` table). */
export const METRICS_TABLE: TableSpec = {
  table: 'metric_points',
  file: 'metrics.parquet',
  sortBy: 'time'
};

/** Events: deploys, rollbacks and alert state changes. */
export const EVENTS_TABLE: TableSpec = { table: 'events', file: 'events.parquet', sortBy: 'time' };

/** All Parquet outputs, in the order they are written and reported. */
export const TELEMETRY_TABLES: readonly TableSpec[] = [
  SPANS_TABLE,
  LOGS_TABLE,
  METRICS_TABLE,
  EVENTS_TABLE
];

/** File name of the incident ground truth written next to the Parquet files. */
export const INCIDENT_FILE = 'incident.json';

/** File name of the ground truth of the other scenarios (see scenarios/types.ts). */
export const GROUND_TRUTH_FILE = 'ground-truth.json';

/** Value of `deployment_environment` on every row. */
export const DEPLOYMENT_ENVIRONMENT = 'production';
