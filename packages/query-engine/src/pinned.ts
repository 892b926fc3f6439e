/**
 * Pinned queries: run SQL with every table read at a given snapshot, as a recorded run read it, so
 * a replay is compared on the same bytes and not on whatever the catalog holds today.
 *
 * Every dataset of the server's listing is registered on the engine: a pinned table as a source
 * that asks for `snapshot=<id>` and refuses a slice the server says came from another snapshot
 * (unless the engine has it at that snapshot already, with what it loaded); any other table the
 * SQL names as a source that refuses to load (the run did not record it, so its rows would be
 * today's); tables the SQL does not name keep what the engine has. After the query, every dataset scan must name its pin (a scan of a
 * result table the caller registered, kind 'result', is the caller's to account for).
 * Registering replaces the engine's tables, so use an engine dedicated to pinned queries, not a
 * kernel's.
 *
 * The result hash is computed by the caller's `hash` (the canonical hash lives in
 * `@opsbook/provenance`, which depends on this package, not the other way round).
 */
import type { Table } from 'apache-arrow';
import type { DatasetSource, QueryEngine, QueryOptions, QueryResult } from './engine';
import { Messages, QueryError } from './errors';
import { stripComments } from './sql';
import {
  httpDatasetSource,
  listDatasets,
  type DatasetListing,
  type HttpSourceOptions
} from './http-source';

/** Options of `queryPinned`. */
export interface PinnedQueryOptions<H> extends QueryOptions {
  /** An engine for pinned queries only: its datasets are replaced. */
  engine: QueryEngine;
  /** How to reach the server's datasets. */
  http: HttpSourceOptions;
  /** The snapshot id to read, per table name. */
  pins: Record<string, string>;
  /** Hashes the whole result (e.g. `hashArrowTable` of `@opsbook/provenance`). */
  hash: (table: Table) => H | Promise<H>;
}

/** The result of a pinned query, with its hash. */
export interface PinnedQueryResult<H> {
  result: QueryResult;
  hash: H;
}

/** Runs `sql` with every table it reads pinned to `options.pins` (see the module comment). */
export async function queryPinned<H>(
  sql: string,
  options: PinnedQueryOptions<H>
): Promise<PinnedQueryResult<H>> {
  const { engine, http, pins } = options;
  const listing = (await listDatasets(http)).filter(d => !d.error);
  const listed = new Set(listing.map(d => d.name));
  for (const [table, id] of Object.entries(pins)) {
    if (!listed.has(table)) {
      throw new QueryError(Messages.snapshotGone(id, table), { kind: 'data' });
    }
  }
  // A table already registered at the same pinned snapshot keeps what it loaded (a notebook
  // replay reads the same snapshots cell after cell), and so does a table this query does not pin
  // and does not name (a table must be named to be read; the scan check below backs this up).
  const registered = new Map(engine.datasets().map(d => [d.name, d.snapshotId ?? null]));
  const words = new Set(
    stripComments(sql)
      .toLowerCase()
      .match(/[a-z_][a-z0-9_]*/g) ?? []
  );
  for (const entry of listing) {
    const pin = pins[entry.name];
    const keep = pin
      ? registered.get(entry.name) === pin
      : registered.has(entry.name) &&
        (registered.get(entry.name) === null || !words.has(entry.name));
    if (keep) {
      continue;
    }
    await engine.registerDataset(
      pin ? httpDatasetSource(entry, { ...http, snapshot: pin }) : unpinnedSource(entry)
    );
  }
  const result = await engine.query(sql, {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    onProgress: options.onProgress
  });
  for (const scan of result.scans) {
    if (scan.kind === 'result') {
      // A result table the caller registered (a parent run's replayed result): not a dataset.
      continue;
    }
    const pin = pins[scan.table];
    if (!pin) {
      throw new QueryError(Messages.notPinned(scan.table), { kind: 'data' });
    }
    if (scan.snapshotId !== pin) {
      throw new QueryError(Messages.snapshotMismatch(scan.table, pin, scan.snapshotId ?? null), {
        kind: 'data'
      });
    }
  }
  return { result, hash: await options.hash(result.table) };
}

/** A dataset the pinned query may plan against but never load. */
function unpinnedSource(entry: DatasetListing): DatasetSource {
  return {
    name: entry.name,
    columns: entry.columns,
    timeColumn: entry.timeColumn,
    snapshotId: null,
    fetchSlice: async () => {
      throw new QueryError(Messages.notPinned(entry.name), { kind: 'data' });
    }
  };
}
