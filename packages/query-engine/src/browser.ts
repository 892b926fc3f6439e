/**
 * The browser engine: DuckDB-WASM in a Web Worker, from bundles the app serves itself (never a
 * CDN). Import it as `@opsbook/query-engine/lib/browser`.
 */
import * as duckdb from '@duckdb/duckdb-wasm';
import { DuckDBEngine } from './duckdb-engine';
import type { EngineSettings } from './engine';
import type { DuckDBPort } from './port';

/** Where the self-hosted DuckDB-WASM files are. */
export interface BrowserBundle {
  mainModule: string;
  mainWorker: string;
}

/** Options of `createBrowserEngine`. */
export interface BrowserEngineOptions {
  bundle: BrowserBundle;
  settings?: Partial<EngineSettings>;
}

/** Starts DuckDB-WASM in a worker and returns a locked-down engine. */
export async function createBrowserEngine(options: BrowserEngineOptions): Promise<DuckDBEngine> {
  const worker = new Worker(options.bundle.mainWorker);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(options.bundle.mainModule);
  await db.open({ query: { castBigIntToDouble: false, castDecimalToDouble: true } });
  const port: DuckDBPort = {
    getVersion: () => db.getVersion(),
    connect: async () => (await db.connect()).useUnsafe((_, conn) => conn),
    runQuery: (conn, sql) => db.runQuery(conn, sql),
    startPendingQuery: (conn, sql) => db.startPendingQuery(conn, sql, false),
    pollPendingQuery: conn => db.pollPendingQuery(conn),
    cancelPendingQuery: conn => db.cancelPendingQuery(conn),
    fetchQueryResults: conn => db.fetchQueryResults(conn),
    insertArrowFromIPCStream: (conn, ipc, insert) => db.insertArrowFromIPCStream(conn, ipc, insert),
    getTableNames: (conn, sql) => db.getTableNames(conn, sql),
    terminate: () => db.terminate()
  };
  return DuckDBEngine.create({
    port,
    name: 'duckdb-wasm (browser, eh)',
    settings: options.settings
  });
}
