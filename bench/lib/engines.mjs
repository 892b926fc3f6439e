/**
 * The engines the browser is compared with, all on this machine:
 * - DuckDB-WASM in Node (`createNodeEngine()`, the `eh` build, one thread) loading slices from the
 *   running server through `httpDatasetSource`, i.e. the browser's loading path without a browser;
 * - native DuckDB (`@duckdb/node-api`, same DuckDB v1.4.3), `SET threads` as asked, either on views
 *   over the Parquet files or on in-memory tables holding exactly the slice WASM loaded.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ROOT } from './util.mjs';

const require = createRequire(import.meta.url);

function queryEngineLib() {
  const lib = path.join(ROOT, 'packages', 'query-engine', 'lib');
  return { ...require(path.join(lib, 'index.js')), ...require(path.join(lib, 'node.js')) };
}

/** How the Node engine reaches the server. */
export function httpOptions(server) {
  return {
    datasetsUrl: `${server.url}/api/datasets`,
    headers: { Authorization: `token ${server.token}` }
  };
}

/**
 * A fresh DuckDB-WASM engine in Node with every dataset of the server registered (nothing
 * loaded yet). `fetches` collects `{ dataset, ms, bytes }` for each slice fetched, plus the
 * request and the IPC bytes themselves (`request`, `ipc`) when `keep` is set.
 */
export async function nodeWasmEngine(server, { keep = false } = {}) {
  const { createNodeEngine, httpDatasetSource, listDatasets } = queryEngineLib();
  const engine = await createNodeEngine();
  const options = httpOptions(server);
  const fetches = [];
  for (const listing of (await listDatasets(options)).filter(d => !d.error)) {
    const source = httpDatasetSource(listing, options);
    const fetchSlice = source.fetchSlice.bind(source);
    source.fetchSlice = async request => {
      const t0 = performance.now();
      const bytes = await fetchSlice(request);
      fetches.push({
        dataset: listing.name,
        ms: performance.now() - t0,
        bytes: bytes.length,
        ...(keep ? { request: { columns: request.columns, start: request.start, end: request.end }, ipc: bytes } : {})
      });
      return bytes;
    };
    await engine.registerDataset(source);
  }
  return { engine, fetches };
}

/** A fresh Node DuckDB-WASM engine with no datasets (for `loadArrow` then plain queries). */
export async function bareNodeWasmEngine() {
  const { createNodeEngine } = queryEngineLib();
  return createNodeEngine();
}

/**
 * Runs `sql` on a Node WASM engine and splits the time by the engine's progress phases:
 * `planMs` (EXPLAIN on the stubs) until loading starts, `fetchMs` (HTTP, measured around
 * `fetchSlice`), `insertMs` (rest of the loading phase: Arrow IPC into DuckDB), `execMs` (execute
 * and read the Arrow result). Returns those, `elapsedMs` as the engine reports it, rows, scans.
 */
export async function timedEngineQuery(engine, fetches, sql) {
  const marks = {};
  const before = fetches.length;
  const t0 = performance.now();
  const result = await engine.query(sql, {
    onProgress: p => {
      marks[p.phase] ??= performance.now() - t0;
    }
  });
  const total = performance.now() - t0;
  const fetched = fetches.slice(before);
  const fetchMs = fetched.reduce((s, f) => s + f.ms, 0);
  const bytes = fetched.reduce((s, f) => s + f.bytes, 0);
  const execStart = marks.executing ?? 0;
  const loadStart = marks.loading ?? execStart;
  return {
    elapsedMs: result.elapsedMs,
    totalMs: total,
    planMs: loadStart,
    fetchMs,
    insertMs: marks.loading !== undefined ? execStart - loadStart - fetchMs : 0,
    execMs: (marks.done ?? total) - execStart,
    bytes,
    rows: result.table.numRows,
    scans: result.scans
  };
}

/** A native DuckDB instance and connection with `threads` threads and the telemetry macros. */
export async function nativeConnection(threads) {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  // The macros the browser's engine defines (attr(attributes, 'http.route'), ...), so the
  // example queries mean the same here.
  for (const statement of queryEngineLib().TELEMETRY_MACROS) {
    await connection.run(statement);
  }
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    }
  };
}

const DATASETS = ['spans', 'logs', 'metrics', 'events'];
const sqlString = s => `'${s.replace(/'/g, "''")}'`;

/** Views named like the datasets over the Parquet files of `dataDir`. */
export async function createParquetViews(connection, dataDir) {
  for (const name of DATASETS) {
    await connection.run(
      `CREATE OR REPLACE VIEW ${name} AS SELECT * FROM read_parquet(${sqlString(path.join(dataDir, `${name}.parquet`))})`
    );
  }
}

/** The time column of each dataset (the canonical tables' time columns). */
export const TIME_COLUMN = { spans: 'start_time', logs: 'time', metrics: 'time', events: 'time' };

/** ISO-8601 (as the engine asks the server) -> a DuckDB TIMESTAMP literal (UTC, like the server). */
const isoToTimestamp = iso => `TIMESTAMP ${sqlString(iso.replace('T', ' ').replace(/Z$/, ''))}`;

/**
 * Creates (or replaces) in-memory tables by the slices a WASM engine loaded for its scans: same columns, same
 * inclusive time bounds, read from the Parquet files. Returns `{ table: rows }`.
 */
export async function createSliceTables(connection, dataDir, scans) {
  const rows = {};
  for (const scan of scans) {
    const time = TIME_COLUMN[scan.table];
    const where = [];
    if (scan.start) {
      where.push(`"${time}" >= ${isoToTimestamp(scan.start)}`);
    }
    if (scan.end) {
      where.push(`"${time}" <= ${isoToTimestamp(scan.end)}`);
    }
    const file = sqlString(path.join(dataDir, `${scan.table}.parquet`));
    await connection.run(
      `CREATE OR REPLACE TABLE ${scan.table} AS SELECT ${scan.columns.map(c => `"${c}"`).join(', ')} ` +
        `FROM read_parquet(${file})${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`
    );
    const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${scan.table}`);
    rows[scan.table] = reader.getRows()[0][0];
  }
  return rows;
}

/** Times `sql` on a native connection (run and read all rows); returns `{ ms, rows }`. */
export async function timedNative(connection, sql) {
  const t0 = performance.now();
  const reader = await connection.runAndReadAll(sql);
  const ms = performance.now() - t0;
  return { ms, rows: reader.currentRowCount };
}
