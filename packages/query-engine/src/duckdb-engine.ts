/**
 * `DuckDBEngine`: the one `QueryEngine` implementation, over any `DuckDBPort` (a Web Worker in the
 * browser, the blocking bindings in Node). See engine.ts for the pipeline.
 *
 * Lockdown: no extension is installed or autoloaded, external access (files, URLs) is disabled, and
 * the configuration is locked, so SQL in a notebook can only read the datasets the engine loads.
 * The telemetry macros (`attr(attributes, 'http.route')`, see macros.ts) are created first.
 *
 * Result tables (`registerResult`): a cell's full result kept as a plain in-memory table so later
 * cells can read it by name. They are planned like datasets (so a scan of one is reported with
 * its columns, kind 'result') but never fetched: their rows are already in DuckDB.
 */
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import {
  DEFAULT_ENGINE_SETTINGS,
  type DatasetDescriptor,
  type DatasetSource,
  type EngineInfo,
  type EngineSettings,
  type QueryEngine,
  type QueryOptions,
  type QueryProgress,
  type QueryResult,
  type ScanRecord
} from './engine';
import { Messages, QueryError } from './errors';
import { TELEMETRY_MACROS } from './macros';
import { hasEmptyResult, scansFromPlan, STUB_SCHEMA, stubRowsSql, type ScanNeed } from './planner';
import type { DuckDBPort } from './port';
import { isExplainable, quoteIdent, quoteLiteral, splitStatements, stripComments } from './sql';

const NAME_RE = /^[a-z_][a-z0-9_]*$/;

/** What is in memory for one dataset. */
interface Loaded {
  columns: Set<string>;
  start?: string;
  end?: string;
  /** The snapshot the server served these rows from, when it said. */
  snapshotId?: string | null;
}

interface DatasetState {
  source: DatasetSource;
  loaded: Loaded | null;
}

/** Cancellation state of the running query. */
interface RunControl {
  stop: 'cancelled' | 'timeout' | null;
  abort: AbortController;
  started: number;
  timeoutMs: number;
}

/** Options of `DuckDBEngine.create`. */
export interface DuckDBEngineOptions {
  port: DuckDBPort;
  /** Engine name for provenance, e.g. 'duckdb-wasm (browser, eh)'. */
  name: string;
  settings?: Partial<EngineSettings>;
}

/** A `QueryEngine` over DuckDB-WASM. Create with `DuckDBEngine.create`. */
export class DuckDBEngine implements QueryEngine {
  private readonly _datasets = new Map<string, DatasetState>();
  /** Result tables by name, with their column names. */
  private readonly _results = new Map<string, string[]>();
  private _run: RunControl | null = null;
  private _queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly _port: DuckDBPort,
    private readonly _conn: number,
    private readonly _planConn: number,
    private readonly _settings: EngineSettings,
    readonly info: EngineInfo
  ) {}

  /** Opens connections, locks the configuration down and returns a ready engine. */
  static async create(options: DuckDBEngineOptions): Promise<DuckDBEngine> {
    const settings = { ...DEFAULT_ENGINE_SETTINGS, ...options.settings };
    const port = options.port;
    const conn = await port.connect();
    const planConn = await port.connect();
    await port.runQuery(conn, `CREATE SCHEMA IF NOT EXISTS ${STUB_SCHEMA}`);
    const setup = [
      'SET autoinstall_known_extensions = false',
      'SET autoload_known_extensions = false',
      `SET memory_limit = ${quoteLiteral(settings.memoryLimit)}`,
      'SET enable_external_access = false',
      'SET lock_configuration = true'
    ];
    // The planning connection resolves dataset names to their stubs first.
    await port.runQuery(planConn, `SET search_path = '${STUB_SCHEMA},main'`);
    // The macros live in the in-memory database, so the planning connection sees them too.
    for (const statement of [...TELEMETRY_MACROS, ...setup]) {
      await port.runQuery(conn, statement);
    }
    const version = await port.getVersion();
    const info: EngineInfo = {
      name: options.name,
      version,
      settings: {
        memory_limit: settings.memoryLimit,
        query_timeout_ms: String(settings.queryTimeoutMs),
        enable_external_access: 'false',
        autoload_known_extensions: 'false'
      }
    };
    return new DuckDBEngine(port, conn, planConn, settings, info);
  }

  datasets(): DatasetDescriptor[] {
    return [...this._datasets.values()].map(({ source }) => ({
      name: source.name,
      columns: source.columns,
      timeColumn: source.timeColumn,
      rowCount: source.rowCount,
      snapshotId: source.snapshotId
    }));
  }

  async registerDataset(source: DatasetSource): Promise<void> {
    if (!NAME_RE.test(source.name)) {
      throw new QueryError(Messages.badDatasetName(source.name), { kind: 'data' });
    }
    const columns = source.columns.map(c => `${quoteIdent(c.name)} ${c.type}`).join(', ');
    await this._exclusive(async () => {
      const stub = `${STUB_SCHEMA}.${quoteIdent(source.name)}`;
      await this._port.runQuery(this._conn, `CREATE OR REPLACE TABLE ${stub} (${columns})`);
      await this._port.runQuery(this._conn, stubRowsSql(stub, source.columns));
      await this._port.runQuery(this._conn, `DROP TABLE IF EXISTS main.${quoteIdent(source.name)}`);
      // A dataset ingested under a result's name wins: the result table was just dropped.
      this._results.delete(source.name);
      this._datasets.set(source.name, { source, loaded: null });
    });
  }

  async loadArrow(name: string, ipc: Uint8Array): Promise<void> {
    if (!NAME_RE.test(name)) {
      throw new QueryError(Messages.badDatasetName(name), { kind: 'data' });
    }
    await this._exclusive(() => this._replaceTable(name, ipc));
  }

  async registerResult(name: string, table: Table): Promise<void> {
    if (!NAME_RE.test(name)) {
      throw new QueryError(Messages.badDatasetName(name), { kind: 'data' });
    }
    if (this._datasets.has(name)) {
      throw new QueryError(Messages.resultShadowsDataset(name), { kind: 'data' });
    }
    const ipc = tableToIPC(table, 'stream');
    await this._exclusive(async () => {
      this._results.delete(name);
      await this._replaceTable(name, ipc);
      this._results.set(
        name,
        table.schema.fields.map(f => f.name)
      );
    });
  }

  results(): string[] {
    return [...this._results.keys()].sort();
  }

  query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    return this._exclusive(() => this._query(sql, options));
  }

  async cancel(): Promise<void> {
    const run = this._run;
    if (run && !run.stop) {
      run.stop = 'cancelled';
      run.abort.abort();
      await this._port.cancelPendingQuery(this._conn);
    }
  }

  async dispose(): Promise<void> {
    await this.cancel();
    await this._port.terminate();
  }

  /** Runs one task at a time: DuckDB connections are not re-entrant. */
  private _exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this._queue.then(task, task);
    this._queue = next.catch(() => undefined);
    return next;
  }

  private async _query(sql: string, options: QueryOptions): Promise<QueryResult> {
    const statements = splitStatements(sql);
    if (statements.length === 0) {
      throw new QueryError(Messages.emptyQuery(), { kind: 'sql' });
    }
    const run: RunControl = {
      stop: null,
      abort: new AbortController(),
      started: Date.now(),
      timeoutMs: options.timeoutMs ?? this._settings.queryTimeoutMs
    };
    this._run = run;
    const onAbort = () => void this.cancel();
    options.signal?.addEventListener('abort', onAbort);
    const timer =
      run.timeoutMs > 0
        ? setTimeout(() => {
            if (!run.stop) {
              run.stop = 'timeout';
              run.abort.abort();
              void this._port.cancelPendingQuery(this._conn);
            }
          }, run.timeoutMs)
        : null;
    const progress = (p: Omit<QueryProgress, 'elapsedMs'>) =>
      options.onProgress?.({ ...p, elapsedMs: Date.now() - run.started });
    const scans: ScanRecord[] = [];
    try {
      if (options.signal?.aborted) {
        run.stop = 'cancelled';
      }
      let table: Table | null = null;
      for (const statement of statements) {
        this._check(run);
        progress({ phase: 'planning' });
        const needs = await this._plan(statement.text);
        for (const need of needs) {
          if (this._results.has(need.need.table)) {
            // Already in DuckDB; its provenance is the run that made it (the caller's to say).
            scans.push({
              table: need.need.table,
              kind: 'result',
              columns: [...need.need.columns].sort(),
              snapshotId: null,
              fullLoad: need.full
            });
          } else {
            scans.push(await this._ensureLoaded(need.need, need.full, run, progress));
          }
        }
        this._check(run);
        progress({ phase: 'executing' });
        try {
          table = await this._execute(statement.text, run);
        } catch (error) {
          this._check(run);
          throw QueryError.fromDuckDB(error, sql, statement.offset);
        }
      }
      progress({ phase: 'done' });
      return {
        table: table as Table,
        elapsedMs: Date.now() - run.started,
        statements: statements.map(s => s.text),
        scans
      };
    } catch (error) {
      this._check(run);
      throw error;
    } finally {
      if (timer) {
        clearTimeout(timer);
      }
      options.signal?.removeEventListener('abort', onAbort);
      this._run = null;
    }
  }

  /** Throws the cancellation or timeout error if the run was stopped. */
  private _check(run: RunControl): void {
    if (run.stop === 'cancelled') {
      throw new QueryError(Messages.cancelled(), { kind: 'cancelled' });
    }
    if (run.stop === 'timeout') {
      throw new QueryError(Messages.timeout(run.timeoutMs), { kind: 'timeout' });
    }
  }

  /**
   * The dataset and result-table scans of one statement; falls back to whole tables when the plan
   * is unknown.
   */
  private async _plan(statement: string): Promise<{ need: ScanNeed; full: boolean }[]> {
    if (this._datasets.size === 0 && this._results.size === 0) {
      return [];
    }
    const shapes = new Map<string, { columns: string[]; timeColumn?: string | null }>(
      [...this._datasets.values()].map(({ source }) => [
        source.name,
        { columns: source.columns.map(c => c.name), timeColumn: source.timeColumn }
      ])
    );
    for (const [name, columns] of this._results) {
      shapes.set(name, { columns, timeColumn: null });
    }
    if (isExplainable(statement)) {
      try {
        const ipc = await this._port.runQuery(this._planConn, `EXPLAIN (FORMAT json) ${statement}`);
        const rows = tableFromIPC(ipc).toArray() as { explain_value: string }[];
        const plan = rows.map(r => r.explain_value).join('');
        if (!hasEmptyResult(plan)) {
          return scansFromPlan(plan, shapes).map(need => ({ need, full: false }));
        }
      } catch {
        // Not plannable on the stubs (e.g. it reads a view made by an earlier statement).
      }
    }
    // Unknown plan: load every dataset the statement names, whole. This only decides what to fetch
    // (over-fetching is safe); the scans actually run are what DuckDB reads from those tables.
    let names: string[] = [];
    try {
      names = (await this._port.getTableNames(this._conn, statement)).map(n =>
        n.replace(/^.*\./, '').replace(/"/g, '')
      );
    } catch {
      // A statement DuckDB cannot parse: executing it reports the error with its position.
    }
    const words = new Set(
      stripComments(statement)
        .toLowerCase()
        .match(/[a-z_][a-z0-9_]*/g) ?? []
    );
    return [...shapes.keys()]
      .filter(n => names.includes(n) || words.has(n))
      .map(table => ({
        need: { table, columns: new Set(shapes.get(table)!.columns) },
        full: true
      }));
  }

  /** Makes sure the rows and columns a scan needs are in DuckDB, fetching a wider slice if not. */
  private async _ensureLoaded(
    need: ScanNeed,
    full: boolean,
    run: RunControl,
    progress: (p: Omit<QueryProgress, 'elapsedMs'>) => void
  ): Promise<ScanRecord> {
    const state = this._datasets.get(need.table)!;
    const { source } = state;
    if (need.columns.size === 0) {
      // `count(*)` projects nothing; one narrow column still carries the row count.
      need.columns.add(source.timeColumn ?? source.columns[0].name);
    }
    const record: ScanRecord = {
      table: need.table,
      columns: [...need.columns].sort(),
      start: need.start,
      end: need.end,
      snapshotId: source.snapshotId ?? null,
      fullLoad: full
    };
    const loaded = state.loaded;
    if (loaded && covers(loaded, need)) {
      return { ...record, snapshotId: loaded.snapshotId ?? record.snapshotId };
    }
    const slice: Loaded = loaded
      ? {
          columns: new Set([...loaded.columns, ...need.columns]),
          start:
            loaded.start && need.start
              ? loaded.start < need.start
                ? loaded.start
                : need.start
              : undefined,
          end: loaded.end && need.end ? (loaded.end > need.end ? loaded.end : need.end) : undefined
        }
      : { columns: new Set(need.columns), start: need.start, end: need.end };
    // Keep the dataset's column order so `SELECT *` on a full load matches the file.
    const columns = source.columns.map(c => c.name).filter(c => slice.columns.has(c));
    progress({ phase: 'loading', dataset: source.name, bytesLoaded: 0 });
    const served = await source.fetchSlice({
      columns,
      start: slice.start,
      end: slice.end,
      signal: run.abort.signal,
      onBytes: bytes => progress({ phase: 'loading', dataset: source.name, bytesLoaded: bytes })
    });
    this._check(run);
    // A source that names the snapshot it served (`ServedSlice`) wins over the listing's id.
    const ipc = served instanceof Uint8Array ? served : served.ipc;
    slice.snapshotId = served instanceof Uint8Array ? null : served.snapshotId;
    await this._replaceTable(source.name, ipc);
    state.loaded = slice;
    return { ...record, snapshotId: slice.snapshotId ?? record.snapshotId };
  }

  private async _replaceTable(name: string, ipc: Uint8Array): Promise<void> {
    if (!isArrowStream(ipc)) {
      throw new QueryError(
        Messages.datasetFormat(name, `it starts with ${JSON.stringify(preview(ipc))}`),
        { kind: 'data' }
      );
    }
    await this._port.runQuery(this._conn, `DROP TABLE IF EXISTS main.${quoteIdent(name)}`);
    try {
      await this._port.insertArrowFromIPCStream(this._conn, ipc, {
        name,
        schema: 'main',
        create: true
      });
    } catch (error) {
      throw new QueryError(Messages.datasetFormat(name, (error as Error).message), {
        kind: 'data'
      });
    }
  }

  /** Runs one statement with pending-query polling, so cancel and the time limit can interrupt it. */
  private async _execute(statement: string, run: RunControl): Promise<Table> {
    const port = this._port;
    let header = await port.startPendingQuery(this._conn, statement);
    while (header === null) {
      if (run.stop) {
        await port.cancelPendingQuery(this._conn);
        this._check(run);
      }
      header = await port.pollPendingQuery(this._conn);
    }
    const chunks: Uint8Array[] = [header];
    for (;;) {
      const chunk = await port.fetchQueryResults(this._conn);
      if (chunk === null) {
        continue;
      }
      if (chunk.length === 0) {
        break;
      }
      chunks.push(chunk);
    }
    return tableFromIPC(chunks);
  }
}

/** True when `loaded` already holds every column and the whole time range `need` asks for. */
function covers(loaded: Loaded, need: ScanNeed): boolean {
  for (const c of need.columns) {
    if (!loaded.columns.has(c)) {
      return false;
    }
  }
  const startOk =
    loaded.start === undefined || (need.start !== undefined && need.start >= loaded.start);
  const endOk = loaded.end === undefined || (need.end !== undefined && need.end <= loaded.end);
  return startOk && endOk;
}

/** An Arrow IPC stream starts with a continuation marker (0xFFFFFFFF) and a metadata length. */
function isArrowStream(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 &&
    bytes[0] === 0xff &&
    bytes[1] === 0xff &&
    bytes[2] === 0xff &&
    bytes[3] === 0xff
  );
}

function preview(bytes: Uint8Array): string {
  return Array.from(bytes.slice(0, 12), b =>
    b >= 32 && b < 127 ? String.fromCharCode(b) : '.'
  ).join('');
}
