/**
 * What the DuckDB kernel plugin offers other extensions: observing every successful run (the
 * provenance recorder uses it) and fresh engines for pinned replays, reaching the server's
 * datasets with the page's credentials.
 */
import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { RunObserver } from '@opsbook/duckdb-kernel';
import type { HttpSourceOptions, QueryEngine } from '@opsbook/query-engine';

/** Hooks into the DuckDB kernels of the page. */
export interface IDuckDBKernelHooks {
  /** Adds an observer of every successful run of every DuckDB kernel; dispose to remove it. */
  addRunObserver(observer: RunObserver): IDisposable;
  /**
   * Starts a new DuckDB-WASM engine with no datasets registered (not a kernel's: pinned queries
   * replace its tables). The caller disposes it.
   */
  createEngine(): Promise<QueryEngine>;
  /** The server's datasets URL and an authorized fetch. */
  readonly http: HttpSourceOptions;
}

/** The token of `IDuckDBKernelHooks`. */
export const IDuckDBKernelHooks = new Token<IDuckDBKernelHooks>(
  '@opsbook/duckdb-kernel-extension:IDuckDBKernelHooks',
  'Observe DuckDB kernel runs and start engines for pinned replays.'
);
