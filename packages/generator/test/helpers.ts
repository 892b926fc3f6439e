/**
 * Test helpers: temporary directories and SQL over the generated Parquet files.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/** Creates an empty temporary directory. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `opsbook-${prefix}-`));
}

/** SHA-256 of a file's bytes, hex. */
export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** An in-memory DuckDB with views `spans`, `logs`, `metrics`, `events` over a generated dir. */
export class ParquetQueries {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection
  ) {}

  /** Opens DuckDB and defines the views over the files in `dir`. */
  static async open(dir: string): Promise<ParquetQueries> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    for (const table of ['spans', 'logs', 'metrics', 'events']) {
      const file = path.join(dir, `${table}.parquet`).replace(/'/g, "''");
      await connection.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet('${file}')`);
    }
    return new ParquetQueries(instance, connection);
  }

  /** Runs a query and returns its rows as plain objects (BIGINT becomes number). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader
      .getRowObjectsJS()
      .map(row =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])
        )
      );
  }

  /** Runs a query returning one row with one column and returns that value. */
  async value(sql: string): Promise<unknown> {
    const [row] = await this.rows(sql);
    return Object.values(row)[0];
  }

  /** Closes DuckDB. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
