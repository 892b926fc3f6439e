/**
 * `/api/datasets` routes:
 * - `GET /api/datasets`: the catalog `{datasets, skipped}`;
 * - `GET /api/datasets/<file>`: the raw file, with byte ranges (DuckDB-WASM reads Parquet by range);
 * - `GET /api/datasets/<name>/arrow?columns=a,b&start=ISO&end=ISO&limit=N`: just those columns of
 *   the rows whose time column is in [start, end], as an Arrow IPC stream (chunked; the row count
 *   is not known before streaming). For Parquet, DuckDB pushes the projection and the time filter
 *   into the scan, skipping row groups by their min/max statistics.
 *
 * Besides the files of `--data DIR`, the tables of the telemetry catalog are listed (see
 * snapshots.ts); their `/arrow` accepts `snapshot=<id>` to pin an older snapshot and answers with
 * the snapshot served in `X-Opsbook-Snapshot`. A file whose name collides with a catalog table is
 * listed in `skipped` (the catalog wins).
 */
// Slices are streamed by the Arrow worker (arrow-worker.ts): apache-arrow must never load in this
// thread, where it would slow every collaboration room (see that file).

import { Errors, OpsbookError } from '../errors';
import { BASE_HEADERS, RequestContext, Router, sendJson } from '../http/router';
import type { FileSender } from '../http/static';
import type { StreamJob } from './arrow-protocol';
import type { ArrowStreams } from './arrow-streams';
import { Catalog, cleanMessage } from './catalog';
import type { CatalogItem, SkippedFile } from './model';
import type { ArrowQuery } from './select';
import type { SnapshotDatasets } from './snapshots';

export { buildSelect, type ArrowQuery } from './select';

/** Options of the dataset routes. */
export interface DatasetRoutesOptions {
  /** Files of the data directory; null when none is configured. */
  catalog: Catalog | null;
  /** Tables of the telemetry catalog; null to list none. */
  snapshots: SnapshotDatasets | null;
  /** Streams `/arrow` slices (the Arrow worker). */
  arrow: ArrowStreams;
  sender: FileSender;
  queryTimeoutMs: number;
  arrowBatchRows: number;
}

const MIME: Record<string, string> = {
  parquet: 'application/vnd.apache.parquet',
  csv: 'text/csv; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.file',
  arrows: 'application/vnd.apache.arrow.stream'
};

/** Registers the dataset routes. */
export function addDatasetRoutes(router: Router, options: DatasetRoutesOptions): void {
  const files = (): Catalog => {
    if (!options.catalog) {
      throw new OpsbookError(Errors.datasetsDisabled());
    }
    return options.catalog;
  };

  router
    .add('GET', /^\/api\/datasets\/?$/, async ctx => {
      const { items, skipped } = await listAll(options);
      if (!options.catalog && items.length === 0) {
        // Nothing can ever be listed until data arrives: say how to add some.
        throw new OpsbookError(Errors.datasetsDisabled());
      }
      sendJson(ctx.res, 200, { datasets: items.map(i => i.entry), skipped });
    })
    .add('GET', /^\/api\/datasets\/(?<name>[^/]+)\/arrow\/?$/, async ctx => {
      const name = decodeParam(ctx.params.name);
      const { items } = await listAll(options);
      let item = items.find(i => i.entry.name === name);
      if (!item) {
        throw new OpsbookError(
          Errors.datasetNotFound(
            name,
            items.map(i => i.entry.name)
          )
        );
      }
      const pin = ctx.query.get('snapshot');
      if (pin !== null && pin !== '') {
        if (!options.snapshots || !item.entry.snapshot) {
          throw new OpsbookError(
            Errors.badQueryParam('snapshot', pin, `no snapshot: '${name}' is a plain file`)
          );
        }
        item = options.snapshots.pinned(item, pin);
      }
      await sendArrow(ctx, item, parseArrowQuery(ctx.query, item), options);
    })
    .add('GET', /^\/api\/datasets\/(?<file>[^/]+)$/, async ctx => {
      const item = await files().byFile(decodeParam(ctx.params.file));
      await options.sender.send(ctx.req, ctx.res, item.path, {
        cacheControl: 'no-cache',
        contentType: MIME[item.entry.format],
        ranges: true
      });
    });
}

/** Catalog tables, then the data directory's files whose names are still free. */
async function listAll(
  options: DatasetRoutesOptions
): Promise<{ items: CatalogItem[]; skipped: SkippedFile[] }> {
  const tables = options.snapshots?.list() ?? [];
  const { items, skipped } = options.catalog
    ? await options.catalog.list()
    : { items: [], skipped: [] };
  const taken = new Map(tables.map(t => [t.entry.name, t.entry.snapshot!]));
  const out = [...tables];
  for (const item of items) {
    const owner = taken.get(item.entry.name);
    if (owner) {
      skipped.push({
        file: item.entry.file,
        reason: `dataset name '${item.entry.name}' is also table '${owner.table}' of catalog dataset '${owner.dataset}', which wins; rename the file to query it`
      });
    } else {
      out.push(item);
    }
  }
  return { items: out, skipped };
}

/** Validates `columns`, `start`, `end` and `limit` against the dataset. */
export function parseArrowQuery(query: URLSearchParams, item: CatalogItem): ArrowQuery {
  const { entry } = item;
  if (entry.error) {
    throw new OpsbookError({ ...Errors.datasetUnreadable(entry.file, ''), message: entry.error });
  }
  const valid = entry.columns.map(c => c.name);
  const asked = (query.get('columns') ?? '')
    .split(',')
    .map(c => c.trim())
    .filter(Boolean);
  for (const column of asked) {
    if (!valid.includes(column)) {
      throw new OpsbookError(Errors.unknownColumn(column, entry.name, valid));
    }
  }
  const columns = asked.length > 0 ? [...new Set(asked)] : valid;
  const start = parseTime(query, 'start');
  const end = parseTime(query, 'end');
  if ((start !== null || end !== null) && entry.timeColumn === null) {
    throw new OpsbookError(Errors.noTimeColumn(entry.name));
  }
  const limitText = query.get('limit');
  let limit: number | null = null;
  if (limitText !== null && limitText !== '') {
    limit = /^\d{1,15}$/.test(limitText) ? Number(limitText) : NaN;
    if (!Number.isSafeInteger(limit)) {
      throw new OpsbookError(Errors.badQueryParam('limit', limitText, 'a non-negative integer'));
    }
  }
  return { columns, start, end, limit };
}

/**
 * ISO 8601 -> epoch microseconds, keeping sub-millisecond digits. A time without an offset is
 * UTC (telemetry timestamps are), not the server's local time as `Date.parse` would assume.
 */
export function parseIsoMicros(text: string): bigint | null {
  const m =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      text.trim()
    );
  if (!m) {
    return null;
  }
  const [, date, hhmm = '00:00', ss = ':00', digits = '', zone = 'Z'] = m;
  const fraction = digits.padEnd(6, '0').slice(0, 6);
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${date}T${hhmm}${ss}.${fraction.slice(0, 3)}${offset}`);
  if (!Number.isFinite(ms)) {
    return null;
  }
  return BigInt(ms) * 1000n + BigInt(Number(fraction.slice(3)));
}

function parseTime(query: URLSearchParams, name: 'start' | 'end'): bigint | null {
  const text = query.get(name);
  if (text === null || text === '') {
    return null;
  }
  const micros = parseIsoMicros(text);
  if (micros === null) {
    throw new OpsbookError(
      Errors.badQueryParam(name, text, 'an ISO 8601 time like 2024-01-01T00:00:00Z')
    );
  }
  return micros;
}

async function sendArrow(
  ctx: RequestContext,
  item: CatalogItem,
  query: ArrowQuery,
  options: DatasetRoutesOptions
): Promise<void> {
  const { entry } = item;
  const writeHead = (): void => {
    ctx.res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': 'application/vnd.apache.arrow.stream',
      'Cache-Control': 'no-store',
      ...(entry.snapshotId ? { 'X-Opsbook-Snapshot': entry.snapshotId } : {})
    });
  };
  let rows: number;
  const ms = (us: bigint | null): number | null => (us === null ? null : Number(us) / 1000);
  const job: StreamJob =
    entry.format === 'arrow' || entry.format === 'arrows'
      ? {
          kind: 'ipc',
          file: item.path,
          query: {
            columns: query.columns,
            timeColumn: entry.timeColumn,
            startMs: ms(query.start),
            endMs: ms(query.end),
            limit: query.limit
          }
        }
      : {
          kind: 'duckdb',
          item,
          query,
          batchRows: options.arrowBatchRows,
          timeoutMs: options.queryTimeoutMs
        };
  try {
    rows = await options.arrow.stream(job, ctx.res, writeHead);
  } catch (err) {
    if (ctx.res.destroyed && !ctx.res.writableFinished) {
      // The client went away and we interrupted its query: nothing to report to anyone.
      ctx.log.debug(`Query on ${entry.file} interrupted: the client disconnected`);
      return;
    }
    // DuckDB errors before the first byte (the file changed since it was listed, say) are the
    // file's fault: 422 naming it. Later ones can only cut the stream.
    if (
      job.kind === 'ipc' ||
      err instanceof OpsbookError ||
      ctx.res.headersSent ||
      !/Error: /.test(String(err))
    ) {
      throw err;
    }
    throw new OpsbookError(
      Errors.datasetUnreadable(entry.file, cleanMessage(err, item.path, entry.file))
    );
  }
  ctx.log.debug(`Streamed ${rows} rows of ${query.columns.length} columns from ${entry.file}`);
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
