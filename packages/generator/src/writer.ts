/**
 * Streams rows into DuckDB and writes them out as sorted Parquet files.
 *
 * Rows are appended (Appender API, a data chunk at a time) to compact work tables in a DuckDB
 * database on disk, so that tens of millions of spans need not fit in memory; DuckDB also spills
 * its sort there. Spans and logs store dictionary ids for their repetitive strings (see
 * dictionaries.ts). Each output is then written by one query of the form
 *
 *   COPY (SELECT <output columns, dictionaries joined back> FROM <work table> ...
 *         ORDER BY <time>, rowid) TO '<file>' (FORMAT parquet, COMPRESSION zstd, ...)
 *
 * whose column names and types come from schema.ts. `rowid` is the insertion order, so ties on
 * time break the same way on every run; with one thread and preserved insertion order, the same
 * rows give byte-identical files.
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
import { ChunkAppender } from './chunk-appender';
import { OperationDictionary, ResourceDictionary } from './dictionaries';
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

/** Codes of span statuses and severities in the work tables. */
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
    ['duration_ms', DOUBLE],
    ['http_status_code', INTEGER]
  ]
};

const LOG_ROWS: WorkTable = {
  name: 'log_rows',
  columns: [
    ['timestamp', TIMESTAMP],
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

/** Metrics and events are small and written as they are. */
function plainWorkTable(spec: TableSpec): WorkTable {
  const types: Record<string, DuckDBType> = { VARCHAR, TIMESTAMP, DOUBLE, INTEGER };
  return { name: `${spec.table}_rows`, columns: spec.columns.map(c => [c.name, types[c.type]]) };
}
const METRIC_ROWS = plainWorkTable(METRICS_TABLE);
const EVENT_ROWS = plainWorkTable(EVENTS_TABLE);

/** How one output file is computed from the work tables. */
interface OutputQuery {
  readonly spec: TableSpec;
  readonly from: string;
  readonly orderBy: string;
  /** SQL expression for each output column. */
  readonly select: Readonly<Record<string, string>>;
}

/** Quotes a string as a SQL literal. */
function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A CASE expression mapping codes 0..n-1 of `column` to `values`. */
function decode(column: string, values: readonly (string | number)[]): string {
  const arms = values.map(
    (v, i) => `WHEN ${i} THEN ${typeof v === 'string' ? sqlString(v) : String(v)}`
  );
  return `CASE ${column} ${arms.join(' ')} END`;
}

/** Selects every column of `spec` unchanged from alias `a`. */
function passThrough(spec: TableSpec, alias: string): Record<string, string> {
  return Object.fromEntries(spec.columns.map(c => [c.name, `${alias}.${c.name}`]));
}

const OUTPUTS: readonly OutputQuery[] = [
  {
    spec: SPANS_TABLE,
    from: 'span_rows s JOIN resources r ON r.id = s.resource JOIN operations o ON o.id = s.operation',
    orderBy: 's.start_time, s.rowid',
    select: {
      trace_id: 's.trace_id',
      span_id: 's.span_id',
      parent_span_id: 's.parent_span_id',
      service_name: 'r.service_name',
      service_version: 'r.service_version',
      deployment_environment: sqlString(DEPLOYMENT_ENVIRONMENT),
      host_name: 'r.host_name',
      span_name: 'o.span_name',
      span_kind: 'o.span_kind',
      start_time: 's.start_time',
      end_time: 's.end_time',
      duration_ms: 's.duration_ms',
      status_code: decode('s.status', STATUS_CODES),
      http_method: 'o.http_method',
      http_route: 'o.http_route',
      http_status_code: 's.http_status_code'
    }
  },
  {
    spec: LOGS_TABLE,
    from: 'log_rows l JOIN resources r ON r.id = l.resource',
    orderBy: 'l.timestamp, l.rowid',
    select: {
      timestamp: 'l.timestamp',
      service_name: 'r.service_name',
      service_version: 'r.service_version',
      host_name: 'r.host_name',
      severity_text: decode('l.severity', SEVERITIES),
      severity_number: decode(
        'l.severity',
        SEVERITIES.map(s => SEVERITY_NUMBER[s])
      ),
      body: 'l.body',
      trace_id: 'l.trace_id',
      span_id: 'l.span_id'
    }
  },
  {
    spec: METRICS_TABLE,
    from: `${METRIC_ROWS.name} m`,
    orderBy: 'm.timestamp, m.rowid',
    select: passThrough(METRICS_TABLE, 'm')
  },
  {
    spec: EVENTS_TABLE,
    from: `${EVENT_ROWS.name} e`,
    orderBy: 'e.timestamp, e.rowid',
    select: passThrough(EVENTS_TABLE, 'e')
  }
];

/** The COPY statement writing `output` to `file`, casting every column to its schema type. */
function copyStatement(output: OutputQuery, file: string): string {
  const columns = output.spec.columns.map(c => {
    const expression = output.select[c.name];
    if (expression === undefined) {
      throw new Error(`Internal error: no expression for ${output.spec.table}.${c.name}.`);
    }
    return `CAST(${expression} AS ${c.type}) AS ${c.name}`;
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
    a.set(8, (row.endUs - row.startUs) / 1000);
    a.set(9, row.httpStatusCode);
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

  /** Appends one metric point; columns as in `METRICS_TABLE`. */
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

  /** Appends one event; columns as in `EVENTS_TABLE`. */
  appendEvent(row: EventRow): void {
    const a = this.events;
    a.set(0, timestamp(row.timestampUs));
    a.set(1, row.serviceName);
    a.set(2, row.kind);
    a.set(3, row.title);
    a.set(4, row.severity);
    a.set(5, row.attributes);
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
