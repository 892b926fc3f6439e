/**
 * The staging area of one ingest: a DuckDB database on disk in the ingest's work directory, with
 * one table `stage_<table>` per canonical table that received rows. DuckDB spills beyond its
 * `memory_limit` to the work directory.
 *
 * Rows reach DuckDB as newline-delimited JSON: `append` turns each row into one line of
 * `{"c0": ..., "c1": ...}` (cell i of the staging columns as key `c<i>`, nulls left out), lines go
 * to `<work>/stage_<table>.<n>.ndjson` in small writes, and every `LOAD_BYTES` the file is loaded
 * with one `INSERT ... SELECT ... FROM read_json(...)`, in the background while the next file
 * fills, then deleted. So memory holds a few hundred KB of lines and disk at most two files besides
 * the database. DuckDB's JSON reader is native code; filling node-api data chunks cell by cell (one
 * N-API call per string) was a fifth of the ingest's time, all of it on the JavaScript thread.
 *
 * Cell encodings in a line (exact, the INSERT casts back): timestamps and int64 as decimal
 * strings; float64 as `String(value)` ("-0", "NaN", "Infinity" included); utf8, int32 and bool as
 * JSON; attribute maps and lists as JSON text inside a JSON string (see below).
 *
 * Staging columns: every canonical column, except that attribute maps and lists are staged as JSON
 * text (keys sorted) and cast back to MAP(VARCHAR, VARCHAR), BIGINT[] and DOUBLE[] by
 * `outputColumns`; plus `_seq` (arrival order), `_key` (the telemetry-schema idempotence key) and
 * `_rowhash` (see canonical.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
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

/** The staging column's SQL type of each kind. */
function stagingType(kind: ColumnKind): string {
  switch (kind) {
    case 'timestamp_ns':
      return 'TIMESTAMP_NS';
    case 'int32':
      return 'INTEGER';
    case 'int64':
      return 'BIGINT';
    case 'float64':
      return 'DOUBLE';
    case 'bool':
      return 'BOOLEAN';
    default:
      return 'VARCHAR';
  }
}

/** How `read_json` reads the line cell of each kind, and the SQL that turns it into the column. */
function lineColumn(kind: ColumnKind, key: string): { type: string; sql: string } {
  switch (kind) {
    case 'timestamp_ns':
      return { type: 'VARCHAR', sql: `make_timestamp_ns(CAST(${key} AS BIGINT))` };
    case 'int64':
      return { type: 'VARCHAR', sql: `CAST(${key} AS BIGINT)` };
    case 'float64':
      return { type: 'VARCHAR', sql: `CAST(${key} AS DOUBLE)` };
    case 'int32':
      return { type: 'INTEGER', sql: key };
    case 'bool':
      return { type: 'BOOLEAN', sql: key };
    default:
      return { type: 'VARCHAR', sql: key };
  }
}

/** A list item's JSON for DuckDB: `-0.0` keeps the sign JSON's `0` would lose; NaN as a string. */
function jsonFloat(value: number): string {
  if (Object.is(value, -0)) {
    return '-0.0';
  }
  return Number.isFinite(value) ? JSON.stringify(value) : `"${value}"`;
}

/**
 * The JSON text of a non-null cell in a staging line (see the module comment). `canonical` is the
 * cell's canonical text (canonical.ts), which is the staging text too for timestamps, integers,
 * booleans and strings, so those are encoded once per row, not twice.
 */
function lineCell(kind: ColumnKind, value: unknown, canonical: string): string {
  switch (kind) {
    case 'timestamp_ns':
    case 'int64':
    case 'utf8':
    case 'int32':
    case 'bool':
      return canonical;
    case 'float64':
      return Object.is(value, -0) ? '"-0"' : `"${value as number}"`;
    case 'attributes': {
      const map = value as Record<string, string>;
      const sorted: Record<string, string> = {};
      for (const key of Object.keys(map).sort()) {
        sorted[key] = map[key];
      }
      return JSON.stringify(JSON.stringify(sorted));
    }
    case 'list_int64':
      return `"[${(value as bigint[]).join(',')}]"`;
    case 'list_float64':
      return JSON.stringify(`[${(value as number[]).map(jsonFloat).join(',')}]`);
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

/**
 * Characters of lines kept in memory before they are written to the staging file: small, so the
 * lines die young (holding megabytes of them tripled the garbage collector's time).
 */
const WRITE_CHARS = 256 << 10;
/**
 * Bytes per staging file. A full file is loaded into DuckDB in the background (on the libuv pool)
 * while the adapter goes on parsing into the next one, so the load costs no wall time when a
 * second core is free; at most one load runs per table, so disk holds at most two files.
 */
const LOAD_BYTES = 32 << 20;

/** Appends rows of one canonical table to its staging table (see the module comment). */
export class StagingTable {
  /** The staging table's name. */
  readonly name: string;
  /** Rows appended. */
  rows = 0;
  private readonly kinds: ColumnKind[];
  private readonly names: string[];
  private readonly select: string;
  private readonly columns: string;
  private file = '';
  private files = 0;
  private fd = -1;
  private lines: string[] = [];
  private pendingChars = 0;
  private fileBytes = 0;
  private longestLine = 0;
  private loading: Promise<void> | null = null;
  private failure: unknown = null;
  private closed = false;

  private constructor(
    readonly table: TableName,
    private readonly connection: DuckDBConnection,
    private readonly workDir: string,
    private readonly loadBytes: number
  ) {
    this.name = `stage_${table}`;
    const columns = TABLES[table].columns;
    this.kinds = columns.map(c => c.kind);
    this.names = columns.map(c => c.name);
    const line = [
      ...columns.map((c, i) => lineColumn(c.kind, `c${i}`)),
      { type: 'BIGINT', sql: `c${columns.length}` },
      { type: 'VARCHAR', sql: `c${columns.length + 1}` },
      { type: 'VARCHAR', sql: `c${columns.length + 2}` }
    ];
    this.select = line.map(c => c.sql).join(', ');
    this.columns = `{${line.map((c, i) => `c${i}: ${lit(c.type)}`).join(', ')}}`;
    this.openFile();
  }

  /**
   * Creates `stage_<table>` and its staging files in `workDir`. Loads run on a connection of their
   * own, so they never overlap another statement on the caller's `connection`. `loadBytes` is the
   * size of a staging file (tests make it small).
   */
  static async create(
    instance: DuckDBInstance,
    connection: DuckDBConnection,
    table: TableName,
    workDir: string,
    loadBytes = LOAD_BYTES
  ): Promise<StagingTable> {
    const columns = TABLES[table].columns;
    const types = [...columns.map(c => stagingType(c.kind)), 'BIGINT', 'VARCHAR', 'VARCHAR'];
    const names = [...columns.map(c => c.name), '_seq', '_key', '_rowhash'];
    const ddl = names.map((name, i) => `${q(name)} ${types[i]}`).join(', ');
    await connection.run(`CREATE TABLE ${q(`stage_${table}`)} (${ddl})`);
    return new StagingTable(table, await instance.connect(), workDir, loadBytes);
  }

  /**
   * Appends one canonical row with its cells' canonical texts (`canonicalCells`), idempotence key
   * and row hash.
   */
  append(row: Record<string, unknown>, cells: readonly string[], key: string, hash: string): void {
    const kinds = this.kinds;
    let line = '{';
    for (let i = 0; i < kinds.length; i++) {
      const value = row[this.names[i]];
      if (value !== null && value !== undefined) {
        line += `"c${i}":${lineCell(kinds[i], value, cells[i])},`;
      }
    }
    const n = kinds.length;
    line += `"c${n}":${this.rows},"c${n + 1}":${JSON.stringify(key)},"c${n + 2}":"${hash}"}`;
    this.lines.push(line);
    this.pendingChars += line.length + 1;
    this.longestLine = Math.max(this.longestLine, line.length);
    this.rows++;
    if (this.pendingChars >= WRITE_CHARS) {
      this.write();
    }
  }

  /**
   * Starts loading the current staging file once it has `LOAD_BYTES` (waiting for the previous
   * load first); call between appends.
   */
  async loadIfFull(): Promise<void> {
    if (this.fileBytes >= this.loadBytes) {
      await this.startLoad();
    }
  }

  /** Loads what is left and waits for it; the table is complete afterwards. */
  async finish(): Promise<void> {
    await this.startLoad();
    await this.settle();
    this.close();
  }

  /**
   * Gives up (after a failure elsewhere): waits for a running load, ignoring its outcome, so the
   * database is never closed under it, then closes. Idempotent.
   */
  async abandon(): Promise<void> {
    await this.loading;
    this.loading = null;
    this.close();
  }

  private close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    // Not loaded: empty after `finish`, and of no use after a failure.
    fs.rmSync(this.file, { force: true });
    this.connection.closeSync();
  }

  private openFile(): void {
    this.file = path.join(this.workDir, `${this.name}.${this.files++}.ndjson`);
    this.fd = fs.openSync(this.file, 'w');
    this.fileBytes = 0;
  }

  private write(): void {
    if (this.lines.length === 0) {
      return;
    }
    const bytes = Buffer.from(`${this.lines.join('\n')}\n`, 'utf8');
    this.lines = [];
    this.pendingChars = 0;
    for (let done = 0; done < bytes.length;) {
      done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.fileBytes + done);
    }
    this.fileBytes += bytes.length;
  }

  /** Waits for the running load, if any, and rethrows its error. */
  private async settle(): Promise<void> {
    await this.loading;
    this.loading = null;
    if (this.failure) {
      throw this.failure;
    }
  }

  private async startLoad(): Promise<void> {
    this.write();
    await this.settle();
    if (this.fileBytes === 0) {
      return;
    }
    fs.closeSync(this.fd);
    this.fd = -1;
    const file = this.file;
    // Lines are bytes too: 4 bytes per UTF-16 unit bounds any line; 16 MB is DuckDB's default.
    const limit = Math.max(16 << 20, this.longestLine * 4 + 1024);
    const sql =
      `INSERT INTO ${q(this.name)} SELECT ${this.select} FROM read_json(${lit(file)}, ` +
      `format = 'newline_delimited', records = true, columns = ${this.columns}, ` +
      `maximum_object_size = ${limit})`;
    // Not awaited: the error, if any, is kept and rethrown by the next `settle`.
    this.loading = this.connection.run(sql).then(
      () => fs.rmSync(file, { force: true }),
      error => {
        this.failure = error;
      }
    );
    this.openFile();
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
