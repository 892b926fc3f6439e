/**
 * The narrow surface of DuckDB-WASM the engine uses. `AsyncDuckDB` (a Web Worker in the browser)
 * already has these methods; `directPort` adapts the blocking Node bindings to them. Pending-query
 * polling is what makes cancellation and time limits work in both: DuckDB runs a slice of the
 * query per poll, and between polls a cancel request gets its turn.
 */

/** Options DuckDB-WASM takes when inserting Arrow data. */
export interface ArrowInsertOptions {
  name: string;
  schema?: string;
  create?: boolean;
}

/** The DuckDB-WASM calls the engine makes, all asynchronous. */
export interface DuckDBPort {
  getVersion(): Promise<string>;
  /** Opens a connection and returns its handle. */
  connect(): Promise<number>;
  /** Runs a statement to completion; returns an Arrow IPC file. */
  runQuery(conn: number, sql: string): Promise<Uint8Array>;
  /** Starts a statement; returns the Arrow IPC stream header once done, or null while running. */
  startPendingQuery(conn: number, sql: string): Promise<Uint8Array | null>;
  pollPendingQuery(conn: number): Promise<Uint8Array | null>;
  cancelPendingQuery(conn: number): Promise<boolean>;
  /** Next Arrow IPC chunk of a finished statement; empty when there is no more, null if not ready. */
  fetchQueryResults(conn: number): Promise<Uint8Array | null>;
  insertArrowFromIPCStream(
    conn: number,
    ipc: Uint8Array,
    options: ArrowInsertOptions
  ): Promise<void>;
  /** The tables a statement references, from DuckDB's own parser. */
  getTableNames(conn: number, sql: string): Promise<string[]>;
  terminate(): Promise<void>;
}

/** The subset of the blocking bindings (`duckdb-node-blocking`) that `directPort` wraps. */
export interface BlockingBindings {
  getVersion(): string;
  connect(): { useUnsafe<R>(fn: (bindings: unknown, conn: number) => R): R };
  runQuery(conn: number, sql: string): Uint8Array;
  startPendingQuery(conn: number, sql: string, allowStreamResult?: boolean): Uint8Array | null;
  pollPendingQuery(conn: number): Uint8Array | null;
  cancelPendingQuery(conn: number): boolean;
  fetchQueryResults(conn: number): Uint8Array | null;
  insertArrowFromIPCStream(conn: number, ipc: Uint8Array, options?: ArrowInsertOptions): void;
  getTableNames(conn: number, sql: string): string[];
  reset(): void;
}

/** Yields to the event loop so timers and cancel requests run between two slices of work. */
const yieldToLoop = () => new Promise<void>(resolve => setTimeout(resolve, 0));

/** Adapts the blocking bindings to `DuckDBPort`, yielding between polls. */
export function directPort(bindings: BlockingBindings): DuckDBPort {
  return {
    getVersion: async () => bindings.getVersion(),
    connect: async () => bindings.connect().useUnsafe((_, conn) => conn),
    runQuery: async (conn, sql) => bindings.runQuery(conn, sql),
    startPendingQuery: async (conn, sql) => bindings.startPendingQuery(conn, sql, false),
    pollPendingQuery: async conn => {
      await yieldToLoop();
      return bindings.pollPendingQuery(conn);
    },
    cancelPendingQuery: async conn => bindings.cancelPendingQuery(conn),
    fetchQueryResults: async conn => bindings.fetchQueryResults(conn),
    insertArrowFromIPCStream: async (conn, ipc, options) =>
      bindings.insertArrowFromIPCStream(conn, ipc, options),
    getTableNames: async (conn, sql) => bindings.getTableNames(conn, sql),
    terminate: async () => bindings.reset()
  };
}
