/**
 * The server's one DuckDB instance, sandboxed to the data directory and the telemetry catalog's
 * snapshots. After start-up it can read files only under those (`allowed_directories` + `enable_external_access=false`), cannot
 * install or load extensions, and its configuration is locked, so even a mistake in our SQL
 * building could not reach other files. Our SQL is built only from validated column names and
 * bound parameters anyway.
 */
import { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';

import { Errors, OpsbookError } from '../errors';

/** Options of `Engine.create`. */
export interface EngineOptions {
  /** Real path of the data directory (null: none); with `extraDirs`, the only places DuckDB may read. */
  dataDir: string | null;
  /** Other readable directories: the catalog's snapshot directory. */
  extraDirs?: string[];
  threads: number;
  memoryLimit: string;
}

/** A shared, sandboxed DuckDB instance handing out short-lived connections. */
export class Engine {
  private closed = false;

  private constructor(private readonly instance: DuckDBInstance) {}

  /** Creates the instance and locks it down to `dataDir`. */
  static async create(options: EngineOptions): Promise<Engine> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(options.threads),
      memory_limit: options.memoryLimit,
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false'
    });
    const connection = await instance.connect();
    try {
      const dirs = [options.dataDir, ...(options.extraDirs ?? [])]
        .filter((d): d is string => d !== null)
        .map(d => (d.endsWith('/') ? d : d + '/'));
      // SET takes no bound parameters, so the (server-chosen) directories are quoted as literals.
      await connection.run(`SET allowed_directories = [${dirs.map(sqlString).join(', ')}]`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
    } finally {
      connection.closeSync();
    }
    return new Engine(instance);
  }

  /**
   * Runs `fn` on a fresh connection, interrupting it after `timeoutMs` (or when `signal` aborts,
   * e.g. the client went away). Timeouts become a 504 naming `what`.
   */
  async withConnection<T>(
    what: string,
    timeoutMs: number,
    signal: AbortSignal | null,
    fn: (connection: DuckDBConnection) => Promise<T>
  ): Promise<T> {
    if (this.closed) {
      throw new OpsbookError(Errors.internal());
    }
    const connection = await this.instance.connect();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      connection.interrupt();
    }, timeoutMs);
    const onAbort = (): void => connection.interrupt();
    signal?.addEventListener('abort', onAbort);
    try {
      return await fn(connection);
    } catch (err) {
      if (timedOut) {
        throw new OpsbookError(Errors.queryTimeout(what, timeoutMs));
      }
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      connection.closeSync();
    }
  }

  /** Runs a query and returns all rows (small metadata queries only). */
  async rows(
    connection: DuckDBConnection,
    sql: string,
    values: DuckDBValue[]
  ): Promise<DuckDBValue[][]> {
    const reader = await connection.runAndReadAll(sql, values);
    return reader.getRows();
  }

  /** Releases the instance; later calls fail. */
  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.instance.closeSync();
    }
  }
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A SQL identifier, for names already validated against the dataset's columns. */
export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
