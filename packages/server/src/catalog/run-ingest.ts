/**
 * One ingest into a catalog, shared by the ingest worker (uploads and pulls) and `opsbook ingest`:
 * pick the adapter by kind, run `Catalog.ingest`, and turn the result into an `IngestOutcome` or
 * any error into an `IngestFailure` (code, message with position, HTTP status).
 *
 * Loads @opsbook/adapters and @opsbook/catalog, hence apache-arrow: only the worker and the CLI's
 * ingest command import this module, never the server's main thread.
 */
import * as fs from 'node:fs';

import {
  Adapter,
  adapterFor,
  ByteInput,
  IngestContext,
  IngestError,
  IngestReport,
  isAdapterKind,
  parquetFileFromBlob,
  ServiceCatalog
} from '@opsbook/adapters';
import { Catalog, CatalogError, IngestResult } from '@opsbook/catalog';
import type { TableName } from '@opsbook/telemetry-schema';

import {
  INGEST_KINDS,
  IngestFailure,
  IngestOutcome,
  IngestProgressView,
  OnError,
  QuarantineGroup,
  tableAlias
} from './protocol';
import { snapshotView } from './views';

/** What to ingest (besides the bytes). */
export interface IngestSpec {
  dataset: string;
  kind: string;
  table?: TableName;
  onError: OnError;
  source: string;
  user?: string;
  serviceCatalog?: string;
}

/** Calls `onProgress` at most every `intervalMs` (and not at all for a quick ingest). */
export function throttled(
  intervalMs: number,
  onProgress: (p: IngestProgressView) => void
): (p: IngestProgressView) => void {
  let last = Date.now();
  return p => {
    const now = Date.now();
    if (now - last >= intervalMs) {
      last = now;
      onProgress(p);
    }
  };
}

/**
 * An adapter that behaves like `inner` and reports the ingest context's counts each time the
 * inner adapter yields (after every parsed batch or so): `Catalog.ingest` has no progress hook.
 */
export function observed(inner: Adapter, tick: (report: IngestReport) => void): Adapter {
  return {
    name: inner.name,
    async *run(chunks: AsyncIterable<Uint8Array>, ctx: IngestContext): AsyncIterable<void> {
      for await (const step of inner.run(chunks, ctx)) {
        tick(ctx.report);
        yield step;
      }
      tick(ctx.report);
    }
  };
}

/** Builds the adapter of `spec.kind`; throws an `IngestError` for an unknown kind or option. */
export function adapterOf(spec: Pick<IngestSpec, 'kind' | 'table'>): Adapter {
  if (!isAdapterKind(spec.kind)) {
    throw new IngestError('adapter-unknown', { kind: spec.kind, known: INGEST_KINDS.join(', ') });
  }
  return adapterFor(spec.kind, { table: spec.table });
}

/** Runs one ingest of `input` (an adapter's bytes) into `catalog`. */
export async function ingestBytes(
  catalog: Catalog,
  spec: IngestSpec,
  input: ByteInput,
  onProgress?: (p: IngestProgressView) => void
): Promise<IngestOutcome> {
  const adapter = adapterOf(spec);
  return ingestWith(catalog, spec, adapter, input, onProgress);
}

/**
 * Ingests a file on disk. Parquet is read by random access (footer first, then one row group at
 * a time), so memory is bounded by a row group rather than the file; other kinds stream.
 */
export async function ingestPath(
  catalog: Catalog,
  spec: IngestSpec,
  file: string,
  onProgress?: (p: IngestProgressView) => void
): Promise<IngestOutcome> {
  if (spec.kind !== 'parquet') {
    return ingestBytes(catalog, spec, fs.createReadStream(file), onProgress);
  }
  const blob = await fs.openAsBlob(file);
  const adapter = adapterFor('parquet', { table: spec.table, file: parquetFileFromBlob(blob) });
  return ingestWith(catalog, spec, adapter, new Uint8Array(), onProgress);
}

/** Runs one ingest with a ready adapter (pulls build theirs from the connector). */
export async function ingestWith(
  catalog: Catalog,
  spec: Omit<IngestSpec, 'kind'>,
  adapter: Adapter,
  input: ByteInput,
  onProgress?: (p: IngestProgressView) => void
): Promise<IngestOutcome> {
  let bytesRead = 0;
  const serviceCatalog =
    spec.serviceCatalog === undefined ? undefined : ServiceCatalog.parse(spec.serviceCatalog);
  const result = await catalog.ingest({
    dataset: spec.dataset,
    table: spec.table,
    adapter: observed(adapter, report => {
      bytesRead = report.bytesRead;
      onProgress?.({ bytesRead: report.bytesRead, rowsRead: report.rowsRead });
    }),
    input,
    source: spec.source,
    user: spec.user,
    policy: { onError: spec.onError, serviceCatalog }
  });
  return outcomeOf(result, spec.source, bytesRead);
}

/** The JSON outcome of a catalog ingest. */
export function outcomeOf(result: IngestResult, source: string, bytesRead: number): IngestOutcome {
  const { report } = result;
  const tables: IngestOutcome['report']['tables'] = {};
  for (const [table, t] of Object.entries(report.tables)) {
    tables[tableAlias(table as TableName)] = t;
  }
  return {
    report: {
      dataset: report.dataset,
      source,
      adapter: report.adapter?.adapter ?? 'arrow-batches',
      bytesRead: report.adapter?.bytesRead ?? bytesRead,
      rowsIn: report.rowsRead,
      rowsStored: report.rowsStored,
      duplicatesDropped: report.duplicatesDropped,
      rowsQuarantined: report.rowsQuarantined,
      quarantine: quarantineGroups(result),
      unchanged: report.unchanged,
      tables,
      manifestId: result.manifest?.id ?? null,
      notes: report.adapter?.notes ?? []
    },
    snapshots: result.snapshots.map(snapshotView)
  };
}

/**
 * Quarantined rows grouped by reason. Every snapshot of an ingest carries the exact figures of
 * the whole ingest; when nothing was stored, the adapter's samples are all there is.
 */
function quarantineGroups(result: IngestResult): QuarantineGroup[] {
  const exact = result.snapshots[0]?.quality.quarantineReasons;
  if (exact) {
    return Object.entries(exact).map(([code, r]) => ({ code, rows: r.rows, example: r.example }));
  }
  const groups = new Map<string, QuarantineGroup>();
  for (const q of result.report.adapter?.quarantined ?? []) {
    const g = groups.get(q.code) ?? { code: q.code, rows: 0, example: q.reason };
    g.rows += q.rows;
    groups.set(q.code, g);
  }
  return [...groups.values()];
}

/** Error codes of the request rather than of the data (answered 400). */
const REQUEST_CODES = new Set([
  'adapter-unknown',
  'adapter-option-missing',
  'catalog-invalid',
  'bad-dataset-name',
  'bad-option',
  'mapping-unknown-target'
]);

/** Turns anything an ingest threw into an `IngestFailure`. */
export function failureOf(error: unknown): IngestFailure {
  if (error instanceof IngestError) {
    const code = String(error.code);
    const status = REQUEST_CODES.has(code) ? 400 : code === 'adapter-unavailable' ? 501 : 422;
    return { code, message: error.message, position: { ...error.position }, status };
  }
  if (error instanceof CatalogError) {
    const status = REQUEST_CODES.has(error.code)
      ? 400
      : error.code === 'concurrent-ingest'
        ? 409
        : error.code === 'unexpected-table' || error.code === 'schema-mismatch'
          ? 422
          : 500;
    return { code: error.code, message: error.message, position: null, status };
  }
  const carried = (error as { failure?: IngestFailure } | null)?.failure;
  if (carried) {
    return carried;
  }
  return {
    code: 'internal',
    message: error instanceof Error ? error.message : String(error),
    position: null,
    status: 500
  };
}

/** An error that carries a ready `IngestFailure` (aborts, limits). */
export class FailureError extends Error {
  constructor(readonly failure: IngestFailure) {
    super(failure.message);
    this.name = 'FailureError';
  }
}
