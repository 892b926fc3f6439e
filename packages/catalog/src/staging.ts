/**
 * The staging area of one ingest: a DuckDB database on disk in the ingest's work directory, with
 * one table `stage_<table>` per canonical table that received rows. Rows are appended a data chunk
 * (2,048 rows) at a time, so memory holds one chunk per table; DuckDB spills beyond its
 * `memory_limit` to the work directory.
 *
 * Staging columns: every canonical column, except that attribute maps and lists are staged as JSON
 * text (node-api's data-chunk vectors cannot yet be filled with nested values) and cast back to
 * MAP(VARCHAR, VARCHAR), BIGINT[] and DOUBLE[] by `outputColumns`; plus `_seq` (arrival order),
 * `_key` (the telemetry-schema idempotence key) and `_rowhash` (see canonical.ts).
 */
import * as path from 'path';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBAppender,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTimestampNanosecondsValue,
  DuckDBType,
  DuckDBValue,
  DuckDBVector,
  INTEGER,
  TIMESTAMP_NS,
  VARCHAR
} from '@duckdb/node-api';
import { ColumnKind, TableName, TABLES } from '@opsbook/telemetry-schema';

/** A SQL identifier, quoted (canonical columns include `name`, `count`, `min`, ...). */
export function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** A SQL string literal. */
export function lit(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const NESTED_SQL: Partial<Record<ColumnKind, string>> = {
  attributes: 'MAP(VARCHAR, VARCHAR)',
  list_int64: 'BIGINT[]',
  list_float64: 'DOUBLE[]'
};

function stagingType(kind: ColumnKind): DuckDBType {
  switch (kind) {
    case 'timestamp_ns':
      return TIMESTAMP_NS;
    case 'int32':
      return INTEGER;
    case 'int64':
      return BIGINT;
    case 'float64':
      return DOUBLE;
    case 'bool':
      return BOOLEAN;
    default:
      return VARCHAR;
  }
}

function jsonFloat(value: number): string {
  return Number.isFinite(value) ? JSON.stringify(value) : `"${value}"`;
}

function stagingValue(kind: ColumnKind, value: unknown): DuckDBValue {
  if (value === null || value === undefined) {
    return null;
  }
  switch (kind) {
    case 'timestamp_ns':
      return new DuckDBTimestampNanosecondsValue(value as bigint);
    case 'attributes': {
      const map = value as Record<string, string>;
      const sorted: Record<string, string> = {};
      for (const key of Object.keys(map).sort()) {
        sorted[key] = map[key];
      }
      return JSON.stringify(sorted);
    }
    case 'list_int64':
      return `[${(value as bigint[]).join(',')}]`;
    case 'list_float64':
      return `[${(value as number[]).map(jsonFloat).join(',')}]`;
    default:
      return value as DuckDBValue;
  }
}

/** The SELECT list turning a staging table back into canonical columns, in schema order. */
export function outputColumns(table: TableName): string {
  return TABLES[table].columns
    .map(c => {
      const nested = NESTED_SQL[c.kind];
      return nested ? `CAST(CAST(${q(c.name)} AS JSON) AS ${nested}) AS ${q(c.name)}` : q(c.name);
    })
    .join(', ');
}

const CHUNK_ROWS = DuckDBVector.standardSize();

/** Appends rows of one canonical table to its staging table, a data chunk at a time. */
export class StagingTable {
  /** The staging table's name. */
  readonly name: string;
  /** Rows appended. */
  rows = 0;
  private chunk!: DuckDBDataChunk;
  private vectors!: DuckDBVector[];
  private row = 0;
  private open = true;

  private constructor(
    readonly table: TableName,
    private readonly appender: DuckDBAppender,
    private readonly types: DuckDBType[]
  ) {
    this.name = `stage_${table}`;
    this.startChunk();
  }

  /** Creates `stage_<table>` and its appender. */
  static async create(connection: DuckDBConnection, table: TableName): Promise<StagingTable> {
    const columns = TABLES[table].columns;
    const types = [...columns.map(c => stagingType(c.kind)), BIGINT, VARCHAR, VARCHAR];
    const names = [...columns.map(c => c.name), '_seq', '_key', '_rowhash'];
    const ddl = names.map((name, i) => `${q(name)} ${types[i].toString()}`).join(', ');
    await connection.run(`CREATE TABLE ${q(`stage_${table}`)} (${ddl})`);
    const appender = await connection.createAppender(`stage_${table}`);
    return new StagingTable(table, appender, types);
  }

  /** Appends one canonical row with its idempotence key and row hash. */
  append(row: Record<string, unknown>, key: string, hash: string): void {
    const columns = TABLES[this.table].columns;
    for (let i = 0; i < columns.length; i++) {
      this.vectors[i].setItem(this.row, stagingValue(columns[i].kind, row[columns[i].name]));
    }
    this.vectors[columns.length].setItem(this.row, BigInt(this.rows));
    this.vectors[columns.length + 1].setItem(this.row, key);
    this.vectors[columns.length + 2].setItem(this.row, hash);
    this.rows++;
    if (++this.row === CHUNK_ROWS) {
      this.flush();
    }
  }

  /** Appends the last partial chunk and closes the appender (idempotent). */
  close(): void {
    if (!this.open) {
      return;
    }
    this.open = false;
    if (this.row > 0) {
      this.flush();
    }
    this.appender.closeSync();
  }

  private startChunk(): void {
    // A fresh chunk each time: vectors cache their items in JavaScript.
    this.chunk = DuckDBDataChunk.create(this.types, CHUNK_ROWS);
    this.vectors = this.types.map((_, i) => this.chunk.getColumnVector(i));
    this.row = 0;
  }

  private flush(): void {
    for (const vector of this.vectors) {
      vector.flush();
    }
    this.chunk.rowCount = this.row;
    this.appender.appendDataChunk(this.chunk);
    this.startChunk();
  }
}

/** Opens the staging database of one ingest in `workDir` (which must exist). */
export async function openStaging(
  workDir: string,
  memoryLimit: string
): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  // One thread: the sorted COPY then writes row groups of exactly the configured size, in order.
  const instance = await DuckDBInstance.create(path.join(workDir, 'stage.duckdb'), {
    threads: '1',
    preserve_insertion_order: 'true',
    memory_limit: memoryLimit,
    temp_directory: path.join(workDir, 'spill')
  });
  try {
    return { instance, connection: await instance.connect() };
  } catch (error) {
    instance.closeSync();
    throw error;
  }
}

/** Runs a query and returns its single row as plain JS values (bigints kept). */
export async function queryRows(
  connection: DuckDBConnection,
  sql: string
): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}
