/**
 * Datasets served by the Opsbook server: the listing at `GET <datasetsUrl>` and slices as Arrow IPC
 * streams at `GET <datasetsUrl>/<name>/arrow?columns=..&start=..&end=..[&snapshot=<id>]`, where the
 * server reads Parquet with native DuckDB and pushes the projection and the time filter into the
 * scan. The server names the snapshot it read in the `X-Opsbook-Snapshot` response header; every
 * slice carries it (`ServedSlice`), so scans record the snapshot of the bytes actually loaded.
 * `snapshot=<id>` pins a catalog table at an older snapshot (404 once that snapshot is gone).
 */
import type { ColumnInfo, DatasetSource, ServedSlice, SliceRequest } from './engine';
import { Messages, QueryError } from './errors';

/** One entry of the server's dataset listing. */
export interface DatasetListing {
  name: string;
  file: string;
  format: string;
  size: number;
  rowCount: number | null;
  columns: ColumnInfo[];
  timeColumn: string | null;
  timeRange: { start: string; end: string } | null;
  snapshotId?: string | null;
  error?: string;
}

/** How to reach the server: its datasets URL and a fetch that carries the credentials. */
export interface HttpSourceOptions {
  datasetsUrl: string;
  fetch?: typeof fetch;
  /** Extra headers, e.g. `Authorization: token ...` outside a browser session. */
  headers?: Record<string, string>;
}

/** The response header naming the snapshot a slice was read from. */
export const SNAPSHOT_HEADER = 'X-Opsbook-Snapshot';

/** Options of `httpDatasetSource`. */
export interface HttpDatasetSourceOptions extends HttpSourceOptions {
  /**
   * Read this snapshot of the table (`snapshot=<id>`) instead of the latest; a slice served from
   * any other snapshot is refused.
   */
  snapshot?: string;
}

/** Reads the server's dataset listing. */
export async function listDatasets(options: HttpSourceOptions): Promise<DatasetListing[]> {
  const doFetch = options.fetch ?? fetch;
  const get = () =>
    doFetch(options.datasetsUrl, { headers: options.headers, credentials: 'same-origin' });
  // The kernel lists before every run, often on a kept-alive connection the server may be closing
  // at that moment (a network error, not an answer): this GET is idempotent, so ask once more.
  const response = await get().catch(() => get());
  if (!response.ok) {
    throw new QueryError(Messages.datasetFetch('*', response.status, await response.text()), {
      kind: 'data'
    });
  }
  const body = (await response.json()) as { datasets: DatasetListing[] };
  return body.datasets;
}

/** A `DatasetSource` for one listed dataset. */
export function httpDatasetSource(
  listing: DatasetListing,
  options: HttpDatasetSourceOptions
): DatasetSource {
  const doFetch = options.fetch ?? fetch;
  const pin = options.snapshot;
  return {
    name: listing.name,
    columns: listing.columns,
    timeColumn: listing.timeColumn,
    // Pinned, the rows come from the pin; otherwise the listing's latest is the best guess
    // until a slice arrives with the server's header.
    rowCount: pin ? undefined : (listing.rowCount ?? undefined),
    snapshotId: pin ?? listing.snapshotId ?? null,
    async fetchSlice(request: SliceRequest): Promise<ServedSlice> {
      const params = new URLSearchParams({ columns: request.columns.join(',') });
      if (pin) {
        params.set('snapshot', pin);
      }
      if (request.start) {
        params.set('start', request.start);
      }
      if (request.end) {
        params.set('end', request.end);
      }
      const url = `${options.datasetsUrl.replace(/\/$/, '')}/${encodeURIComponent(listing.name)}/arrow?${params}`;
      let response: Response;
      try {
        response = await doFetch(url, {
          headers: options.headers,
          credentials: 'same-origin',
          signal: request.signal
        });
      } catch (error) {
        if (request.signal?.aborted) {
          throw new QueryError(Messages.cancelled(), { kind: 'cancelled' });
        }
        throw new QueryError(Messages.datasetFetch(listing.name, 0, (error as Error).message), {
          kind: 'data'
        });
      }
      if (!response.ok) {
        let detail = await response.text();
        try {
          detail = (JSON.parse(detail) as { message?: string }).message ?? detail;
        } catch {
          // Not JSON: keep the text.
        }
        if (pin && response.status === 404) {
          throw new QueryError(Messages.snapshotGone(pin, listing.name), { kind: 'data' });
        }
        if (pin && response.status === 400) {
          throw new QueryError(Messages.snapshotNotPinnable(pin, listing.name, detail), {
            kind: 'data'
          });
        }
        throw new QueryError(Messages.datasetFetch(listing.name, response.status, detail), {
          kind: 'data'
        });
      }
      const served = response.headers.get(SNAPSHOT_HEADER);
      if (pin && served !== pin) {
        await response.body?.cancel();
        throw new QueryError(Messages.snapshotMismatch(listing.name, pin, served), {
          kind: 'data'
        });
      }
      return { ipc: await readAll(response, request.onBytes), snapshotId: served };
    }
  };
}

/** Reads a response body to the end, reporting bytes as they arrive. */
async function readAll(response: Response, onBytes?: (bytes: number) => void): Promise<Uint8Array> {
  if (!response.body) {
    return new Uint8Array(await response.arrayBuffer());
  }
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    parts.push(value);
    total += value.length;
    onBytes?.(total);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
