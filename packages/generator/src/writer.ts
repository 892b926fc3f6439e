/**
 * Streams rows into DuckDB and writes them out as sorted Parquet files of the canonical tables.
 *
 * Rows are appended (Appender API, a data chunk at a time) to compact work tables in a DuckDB
 * database on disk, so that tens of millions of spans need not fit in memory; DuckDB also spills
 * its sort there. Spans and logs store dictionary ids for their repetitive strings (see
 * dictionaries.ts). Each output is then written by one query of the form
 *
 *   COPY (SELECT CAST(<expression> AS <type>) AS <column>, ... FROM <work tables>
 *         ORDER BY <time>, rowid) TO '<file>' (FORMAT parquet, COMPRESSION zstd, ...)
 *
 * whose column list, order and types come from `@opsbook/telemetry-schema` (TABLES): the
 * `OUTPUTS` below only say which expression fills each column the generator knows; every other
 * column is NULL, or an empty map for the attribute columns. Attribute values are JSON text
 * (`"POST"`, `504`) as the schema requires. `rowid` is the insertion order, so ties on time break
 * the same way on every run; with one thread and preserved insertion order, the same rows give
 * byte-identical files.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  DOUBLE,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampValue,
  DuckDBType,
  INTEGER,
  TIMESTAMP,
  VARCHAR
} from '@duckdb/node-api';
import type { ColumnName } from '@opsbook/telemetry-schema/lib/rows';
import { ColumnKind, TableName, TABLES } from '@opsbook/telemetry-schema/lib/tables';
import { ChunkAppender } from './chunk-appender';
import { OperationDictionary, ResourceDictionary } from './dictionaries';
import { writeOtlpJson } from './otlp-json';
import {
  DEPLOYMENT_ENVIRONMENT,
  EVENTS_TABLE,
  EventRow,
  LOGS_TABLE,
  LogRow,
  METRICS_TABLE,
  MetricRow,
  SEVERITY_NUMBER,
  Severity,
  SPANS_TABLE,
  SpanRow,
  SpanStatus,
  TableSpec
} from './schema';

/** Parquet options of every output file; 122,880 rows is DuckDB's default row group size. */
const PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880';

/**
 * The DuckDB type of each canonical column kind: the types the catalog's snapshots are written
 * with, so a generated file and a snapshot of it have the same Parquet schema. (The telemetry
 * schema declares Arrow types only; this map belongs there once it has a DuckDB one.)
 */
const DUCKDB_TYPE: Record<ColumnKind, string> = {
  timestamp_ns: 'TIMESTAMP_NS',
  utf8: 'VARCHAR',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  attributes: 'MAP(VARCHAR, VARCHAR)',
  list_int64: 'BIGINT[]',
  list_float64: 'DOUBLE[]'
};

/** Codes of span statuses and severities in the work tables, and their canonical spelling. */
const STATUS_CODES: readonly SpanStatus[] = ['OK', 'ERROR', 'UNSET'];
const SEVERITIES = Object.keys(SEVERITY_NUMBER) as Severity[];
const STATUS_ID: Record<SpanStatus, number> = { OK: 0, ERROR: 1, UNSET: 2 };
const SEVERITY_ID = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<
  Severity,
  number
>;

/** A work table: its name and columns with types. */
interface WorkTable {
  readonly name: string;
  readonly columns: readonly (readonly [string, DuckDBType])[];
}

const SPAN_ROWS: WorkTable = {
  name: 'span_rows',
  columns: [
    ['trace_id', VARCHAR],
    ['span_id', VARCHAR],
    ['parent_span_id', VARCHAR],
    ['resource', INTEGER],
    ['operation', INTEGER],
    ['status', INTEGER],
    ['start_time', TIMESTAMP],
    ['end_time', TIMESTAMP],
    ['http_status_code', INTEGER]
  ]
};

const LOG_ROWS: WorkTable = {
  name: 'log_rows',
  columns: [
    ['time', TIMESTAMP],
    ['resource', INTEGER],
    ['severity', INTEGER],
    ['body', VARCHAR],
    ['trace_id', VARCHAR],
    ['span_id', VARCHAR]
  ]
};

const RESOURCES: WorkTable = {
  name: 'resources',
  columns: [
    ['id', INTEGER],
    ['service_name', VARCHAR],
    ['service_version', VARCHAR],
    ['host_name', VARCHAR]
  ]
};

const OPERATIONS: WorkTable = {
  name: 'operations',
  columns: [
    ['id', INTEGER],
    ['span_name', VARCHAR],
    ['span_kind', VARCHAR],
    ['http_method', VARCHAR],
    ['http_route', VARCHAR]
  ]
};

/** Metrics and events are small and stored as they come. */
const METRIC_ROWS: WorkTable = {
  name: 'metric_rows',
  columns: [
    ['time', TIMESTAMP],
    ['service_name', VARCHAR],
    ['host_name', VARCHAR],
    ['metric_name', VARCHAR],
    ['metric_type', VARCHAR],
    ['unit', VARCHAR],
    ['value', DOUBLE]
  ]
};

const EVENT_ROWS: WorkTable = {
  name: 'event_rows',
  columns: [
    ['time', TIMESTAMP],
    ['service_name', VARCHAR],
    ['event_type', VARCHAR],
    ['event_id', VARCHAR],
    ['name', VARCHAR],
    ['status', VARCHAR],
    ['severity', VARCHAR],
    ['summary', VARCHAR],
    ['source', VARCHAR],
    // A JSON object whose values are JSON text, cast to the attribute map when written.
    ['attributes', VARCHAR]
  ]
};

/** SQL expressions for the canonical columns of table `T` the generator fills. */
type Select<T extends TableName> = Partial<Record<ColumnName<T>, string>>;

/** How one output file is computed from the work tables. */
interface OutputQuery {
  readonly spec: TableSpec;
  readonly from: string;
  readonly orderBy: string;
  /** SQL expression for each canonical column the generator has a value for. */
  readonly select: Readonly<Record<string, string>>;
}

/** Quotes a string as a SQL literal. */
function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Quotes a SQL identifier (canonical columns include `name`, `count`, `min`, ...). */
function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A CASE expression mapping codes 0..n-1 of `column` to `values`. */
function decode(column: string, values: readonly (string | number)[]): string {
  const arms = values.map(
    (v, i) => `WHEN ${i} THEN ${typeof v === 'string' ? sqlString(v) : String(v)}`
  );
  return `CASE ${column} ${arms.join(' ')} END`;
}

/**
 * An attribute map from `[key, SQL expression of the JSON text]` pairs, leaving out the pairs
 * whose value is NULL. Keys in sorted order, as the catalog stores them.
 */
function attributeMap(entries: readonly (readonly [string, string])[]): string {
  const structs = [...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `{'key': ${sqlString(key)}, 'value': ${value}}`);
  return `map_from_entries(list_filter([${structs.join(', ')}], lambda e: e.value IS NOT NULL))`;
}

/** Microseconds in a work table -> the canonical nanosecond timestamp. */
const ns = (column: string) => `CAST(${column} AS TIMESTAMP_NS)`;

const SPANS_SELECT: Select<'spans'> = {
  trace_id: 's.trace_id',
  span_id: 's.span_id',
  parent_span_id: 's.parent_span_id',
  name: 'o.span_name',
  kind: 'lower(o.span_kind)',
  start_time: ns('s.start_time'),
  end_time: ns('s.end_time'),
  duration_ns: '(epoch_us(s.end_time) - epoch_us(s.start_time)) * 1000',
  status_code: decode(
    's.status',
    STATUS_CODES.map(s => s.toLowerCase())
  ),
  service_name: 'r.service_name',
  service_version: 'r.service_version',
  deployment_environment: sqlString(DEPLOYMENT_ENVIRONMENT),
  host_name: 'r.host_name',
  attributes: attributeMap([
    ['http.request.method', 'CAST(to_json(o.http_method) AS VARCHAR)'],
    ['http.route', 'CAST(to_json(o.http_route) AS VARCHAR)'],
    ['http.response.status_code', 'CAST(s.http_status_code AS VARCHAR)']
  ])
};

const LOGS_SELECT: Select<'logs'> = {
  time: ns('l.time'),
  severity_number: decode(
    'l.severity',
    SEVERITIES.map(s => SEVERITY_NUMBER[s])
  ),
  severity_text: decode('l.severity', SEVERITIES),
  body: 'l.body',
  trace_id: 'l.trace_id',
  span_id: 'l.span_id',
  service_name: 'r.service_name',
  service_version: 'r.service_version',
  deployment_environment: sqlString(DEPLOYMENT_ENVIRONMENT),
  host_name: 'r.host_name'
};

const METRICS_SELECT: Select<'metric_points'> = {
  time: ns('m.time'),
  metric_name: 'm.metric_name',
  metric_type: 'm.metric_type',
  unit: 'm.unit',
  temporality: "CASE m.metric_type WHEN 'sum' THEN 'delta' END",
  is_monotonic: "CASE m.metric_type WHEN 'sum' THEN true END",
  value: 'm.value',
  service_name: 'm.service_name',
  deployment_environment: sqlString(DEPLOYMENT_ENVIRONMENT),
  host_name: 'm.host_name'
};

const EVENTS_SELECT: Select<'events'> = {
  time: ns('e.time'),
  event_type: 'e.event_type',
  event_id: 'e.event_id',
  name: 'e.name',
  status: 'e.status',
  severity: 'e.severity',
  summary: 'e.summary',
  source: 'e.source',
  service_name: 'e.service_name',
  deployment_environment: sqlString(DEPLOYMENT_ENVIRONMENT),
  attributes: 'CAST(CAST(e.attributes AS JSON) AS MAP(VARCHAR, VARCHAR))'
};

const OUTPUTS: readonly OutputQuery[] = [
  {
    spec: SPANS_TABLE,
    from: 'span_rows s JOIN resources r ON r.id = s.resource JOIN operations o ON o.id = s.operation',
    orderBy: 's.start_time, s.rowid',
    select: SPANS_SELECT
  },
  {
    spec: LOGS_TABLE,
    from: 'log_rows l JOIN resources r ON r.id = l.resource',
    orderBy: 'l.time, l.rowid',
    select: LOGS_SELECT
  },
  {
    spec: METRICS_TABLE,
    from: `${METRIC_ROWS.name} m`,
    orderBy: 'm.time, m.rowid',
    select: METRICS_SELECT
  },
  {
    spec: EVENTS_TABLE,
    from: `${EVENT_ROWS.name} e`,
    orderBy: 'e.time, e.rowid',
    select: EVENTS_SELECT
  }
];

/**
 * The COPY statement writing `output` to `file`: every column of the canonical table, in schema
 * order, cast to its type.
 */
function copyStatement(output: OutputQuery, file: string): string {
  const columns = TABLES[output.spec.table].columns.map(c => {
    const expression = output.select[c.name] ?? (c.kind === 'attributes' ? 'MAP {}' : 'NULL');
    return `CAST(${expression} AS ${DUCKDB_TYPE[c.kind]}) AS ${sqlIdentifier(c.name)}`;
  });
  return (
    `COPY (SELECT ${columns.join(', ')} FROM ${output.from} ORDER BY ${output.orderBy}) ` +
    `TO ${sqlString(file)} (${PARQUET_OPTIONS})`
  );
}

/** Wraps microseconds since the epoch as a DuckDB timestamp. */
function timestamp(us: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(us));
}

/** One written Parquet file. */
export interface WrittenFile {
  readonly table: TableSpec;
  readonly path: string;
  readonly rows: number;
}

/**
 * A DuckDB work database with one appender per work table. Append rows with the `append*` methods
 * in any order, then call `writeParquet` once, then `close`.
 */
export class TelemetryWriter {
  private readonly resources = new ResourceDictionary();
  private readonly operations = new OperationDictionary();
  private readonly appenders: ChunkAppender[];
  private appendersOpen = true;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly spans: ChunkAppender,
    private readonly logs: ChunkAppender,
    private readonly metrics: ChunkAppender,
    private readonly events: ChunkAppender
  ) {
    this.appenders = [spans, logs, metrics, events];
  }

  /**
   * Creates the work database in `workDir` (which must exist; the caller removes it) with its
   * tables and appenders. `memoryLimit` is DuckDB's `memory_limit`, e.g. '1GB'.
   */
  static async open(workDir: string, memoryLimit: string): Promise<TelemetryWriter> {
    const instance = await DuckDBInstance.create(path.join(workDir, 'work.duckdb'), {
      threads: '1',
      preserve_insertion_order: 'true',
      memory_limit: memoryLimit,
      temp_directory: path.join(workDir, 'spill')
    });
    try {
      const connection = await instance.connect();
      const appenders: ChunkAppender[] = [];
      for (const table of [SPAN_ROWS, LOG_ROWS, METRIC_ROWS, EVENT_ROWS]) {
        appenders.push(await createTable(connection, table));
      }
      const [spans, logs, metrics, events] = appenders;
      return new TelemetryWriter(instance, connection, spans, logs, metrics, events);
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  /** Appends one span. */
  appendSpan(row: SpanRow): void {
    const a = this.spans;
    a.set(0, row.traceId);
    a.set(1, row.spanId);
    a.set(2, row.parentSpanId);
    a.set(3, this.resources.id(row.serviceName, row.serviceVersion, row.hostName));
    a.set(4, this.operations.id(row.spanName, row.spanKind, row.httpMethod, row.httpRoute));
    a.set(5, STATUS_ID[row.status]);
    a.set(6, timestamp(row.startUs));
    a.set(7, timestamp(row.endUs));
    a.set(8, row.httpStatusCode);
    a.endRow();
  }

  /** Appends one log record. */
  appendLog(row: LogRow): void {
    const a = this.logs;
    a.set(0, timestamp(row.timestampUs));
    a.set(1, this.resources.id(row.serviceName, row.serviceVersion, row.hostName));
    a.set(2, SEVERITY_ID[row.severity]);
    a.set(3, row.body);
    a.set(4, row.traceId);
    a.set(5, row.spanId);
    a.endRow();
  }

  /** Appends one metric point; columns as in `METRIC_ROWS`. */
  appendMetric(row: MetricRow): void {
    const a = this.metrics;
    a.set(0, timestamp(row.timestampUs));
    a.set(1, row.serviceName);
    a.set(2, row.hostName);
    a.set(3, row.metricName);
    a.set(4, row.metricType);
    a.set(5, row.unit);
    a.set(6, row.value);
    a.endRow();
  }

  /** Appends one event; columns as in `EVENT_ROWS`. */
  appendEvent(row: EventRow): void {
    const a = this.events;
    const attributes = Object.fromEntries(
      Object.entries(row.attributes).map(([key, value]) => [key, JSON.stringify(value)])
    );
    [
      timestamp(row.timestampUs),
      row.serviceName,
      row.kind,
      row.eventId,
      row.name,
      row.status,
      row.severity,
      row.summary,
      row.source,
      JSON.stringify(attributes)
    ].forEach((value, i) => a.set(i, value));
    a.endRow();
  }

  /**
   * Flushes the appenders, stores the dictionaries, and writes every output to
   * `<outDir>/<file>` sorted by time, replacing existing files.
   */
  async writeParquet(outDir: string): Promise<WrittenFile[]> {
    this.closeAppenders();
    await this.writeDictionaries();
    const written: WrittenFile[] = [];
    for (const output of OUTPUTS) {
      const file = path.join(outDir, output.spec.file);
      fs.rmSync(file, { force: true });
      const result = await this.connection.run(copyStatement(output, file));
      written.push({ table: output.spec, path: file, rows: result.rowsChanged });
    }
    return written;
  }

  /** Writes the OTLP/JSON form of a Parquet file `writeParquet` wrote (see otlp-json.ts). */
  writeOtlpJson(parquet: string, outDir: string): Promise<{ path: string; rows: number }> {
    return writeOtlpJson(this.connection, parquet, outDir);
  }

  /** Closes the connection and database. */
  close(): void {
    try {
      this.closeAppenders();
    } catch {
      // Closing after a failure: the data is being discarded, so a failed flush does not matter.
    }
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private closeAppenders(): void {
    if (this.appendersOpen) {
      this.appendersOpen = false;
      for (const appender of this.appenders) {
        appender.close();
      }
    }
  }

  private async writeDictionaries(): Promise<void> {
    const resources = await createTable(this.connection, RESOURCES);
    for (const r of this.resources.entries) {
      [r.id, r.serviceName, r.serviceVersion, r.hostName].forEach((v, i) => resources.set(i, v));
      resources.endRow();
    }
    resources.close();
    const operations = await createTable(this.connection, OPERATIONS);
    for (const o of this.operations.entries) {
      [o.id, o.spanName, o.spanKind, o.httpMethod, o.httpRoute].forEach((v, i) =>
        operations.set(i, v)
      );
      operations.endRow();
    }
    operations.close();
  }
}

/** Creates a work table and returns a chunk appender for it. */
async function createTable(connection: DuckDBConnection, table: WorkTable): Promise<ChunkAppender> {
  const columns = table.columns.map(([name, type]) => `${name} ${type.toString()}`).join(', ');
  await connection.run(`CREATE TABLE ${table.name} (${columns})`);
  const appender = await connection.createAppender(table.name);
  return new ChunkAppender(
    appender,
    table.columns.map(([, type]) => type)
  );
}
