/**
 * The telemetry catalog API:
 *
 *   GET  /api/opsbook/catalog              {datasets: DatasetView[]}
 *   GET  /api/opsbook/catalog/<dataset>    {dataset, snapshots: SnapshotView[], lineage}
 *   POST /api/opsbook/ingest?dataset=NAME&as=KIND&filename=NAME[&table=T][&onError=quarantine]
 *        body: the raw file, streamed (up to maxIngestBytes) -> NDJSON answer (answer.ts)
 *   GET  /api/opsbook/pull/sources         {sources: [{name, kind, url}]}
 *   POST /api/opsbook/pull                 {source, name, dataset, query?, start?, end?, step?}
 *        -> NDJSON answer
 *
 * Ingests and pulls need the editor or owner role and are recorded under the authenticated
 * user's name. They run in the ingest worker (runner.ts); reading the catalog is SQLite only and
 * stays on the main thread.
 */
import type { PullSource } from '../config';
import { Errors, OpsbookError } from '../errors';
import { isObject, readJson, RequestContext, Router, sendJson } from '../http/router';
import { canWrite } from '../users';
import { NdjsonAnswer } from './answer';
import {
  INGEST_KINDS,
  IngestKind,
  OnError,
  TABLE_ALIASES,
  TableAlias,
  WorkerJob
} from './protocol';
import type { CatalogReader } from './reader';
import { IngestFailed, IngestRunner, tooLarge } from './runner';

/** Options of the catalog routes. */
export interface CatalogRoutesOptions {
  /** The store's reader (opened on first use). */
  reader: () => CatalogReader;
  /** The ingest runner (created on first use). */
  runner: () => IngestRunner;
  storeDir: string;
  defaultDataset: string;
  maxIngestBytes: number;
  /** Limit of the pull request's JSON body. */
  maxBodyBytes: number;
  progressIntervalMs: number;
  pullSources: PullSource[];
}

/** Valid dataset names (as in @opsbook/catalog, which the main thread does not import). */
const DATASET_NAME = /^[a-z_][a-z0-9_]*$/;

/** Registers the catalog, ingest and pull routes. */
export function addCatalogRoutes(router: Router, options: CatalogRoutesOptions): void {
  router
    .add('GET', /^\/api\/opsbook\/catalog\/?$/, ctx => {
      sendJson(ctx.res, 200, { datasets: options.reader().list() });
    })
    .add('GET', /^\/api\/opsbook\/catalog\/(?<dataset>[^/]+)\/?$/, ctx => {
      const details = options.reader().show(decode(ctx.params.dataset));
      sendJson(ctx.res, 200, details);
    })
    .add('POST', /^\/api\/opsbook\/ingest\/?$/, ctx => upload(ctx, options))
    .add('GET', /^\/api\/opsbook\/pull\/sources\/?$/, ctx => {
      sendJson(ctx.res, 200, {
        sources: options.pullSources.map(({ name, kind, url }) => ({ name, kind, url }))
      });
    })
    .add('POST', /^\/api\/opsbook\/pull\/?$/, ctx => pull(ctx, options));
}

async function upload(ctx: RequestContext, options: CatalogRoutesOptions): Promise<void> {
  requireEditor(ctx);
  const { query } = ctx;
  const dataset = datasetParam(query.get('dataset') ?? options.defaultDataset);
  const kind = query.get('as');
  if (!kind) {
    throw new OpsbookError(
      Errors.ingestParamMissing(
        'as',
        '/api/opsbook/ingest?dataset=checkout&as=otlp&filename=trace.json'
      )
    );
  }
  if (!(INGEST_KINDS as readonly string[]).includes(kind)) {
    throw new OpsbookError(Errors.ingestBadKind(kind, INGEST_KINDS));
  }
  const tableText = query.get('table');
  if (tableText !== null && !(tableText in TABLE_ALIASES)) {
    throw new OpsbookError(Errors.ingestBadTable(tableText, Object.keys(TABLE_ALIASES)));
  }
  const onError = onErrorParam(query.get('onError'));
  const declared = Number(ctx.req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxIngestBytes) {
    // Refused before reading a byte; close the connection rather than drain a huge body.
    ctx.res.setHeader('Connection', 'close');
    throw new OpsbookError(Errors.ingestTooLarge(options.maxIngestBytes));
  }
  const filename = (query.get('filename') ?? '').trim() || 'upload';
  await runJob(ctx, options, {
    type: 'ingest',
    storeDir: options.storeDir,
    dataset,
    kind: kind as IngestKind,
    table: tableText === null ? undefined : TABLE_ALIASES[tableText as TableAlias],
    onError,
    source: filename,
    user: ctx.user.username,
    progressIntervalMs: options.progressIntervalMs
  });
}

async function pull(ctx: RequestContext, options: CatalogRoutesOptions): Promise<void> {
  requireEditor(ctx);
  const body = await readJson(ctx.req, options.maxBodyBytes);
  if (!isObject(body)) {
    throw new OpsbookError(Errors.pullBadRequest('the body is not a JSON object'));
  }
  const source = body.source;
  if (source !== 'prometheus' && source !== 'alertmanager') {
    throw new OpsbookError(
      Errors.pullBadRequest(
        `'source' must be "prometheus" or "alertmanager", not ${JSON.stringify(source)}`
      )
    );
  }
  const text = (key: string): string | undefined => {
    const value = body[key];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw new OpsbookError(Errors.pullBadRequest(`'${key}' must be a string`));
    }
    return value ?? undefined;
  };
  const name = text('name');
  if (!name) {
    throw new OpsbookError(Errors.pullBadRequest("'name' (a configured source) is missing"));
  }
  const configured = options.pullSources.find(s => s.kind === source && s.name === name);
  if (!configured) {
    throw new OpsbookError(
      Errors.pullUnknownSource(
        source,
        name,
        options.pullSources.filter(s => s.kind === source).map(s => s.name)
      )
    );
  }
  await runJob(ctx, options, {
    type: 'pull',
    storeDir: options.storeDir,
    dataset: datasetParam(text('dataset') ?? options.defaultDataset),
    source,
    baseUrl: configured.url,
    query: text('query'),
    start: text('start'),
    end: text('end'),
    step: text('step'),
    onError: onErrorParam(text('onError') ?? null),
    user: ctx.user.username,
    progressIntervalMs: options.progressIntervalMs
  });
}

/** Runs a job in the worker and answers with its NDJSON lines. */
async function runJob(
  ctx: RequestContext,
  options: CatalogRoutesOptions,
  job: WorkerJob
): Promise<void> {
  const { req, res } = ctx;
  const client = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) {
      client.abort();
    }
  });
  const answer = new NdjsonAnswer(res, options.progressIntervalMs);
  try {
    const outcome = await options.runner().run(job, {
      body: job.type === 'ingest' ? req : undefined,
      maxBytes: options.maxIngestBytes,
      signal: client.signal,
      onProgress: p => answer.progress(p)
    });
    ctx.log.info(
      `${job.type} into '${job.dataset}' by ${job.user}: ${outcome.report.rowsStored} rows stored, ` +
        `${outcome.report.duplicatesDropped} duplicates, ${outcome.report.rowsQuarantined} quarantined`
    );
    answer.report(outcome);
  } catch (err) {
    if (!(err instanceof IngestFailed)) {
      throw err;
    }
    if (client.signal.aborted) {
      ctx.log.info(`${job.type} into '${job.dataset}' by ${job.user} abandoned: the client left`);
      return;
    }
    ctx.log.info(`${job.type} into '${job.dataset}' by ${job.user} failed: ${err.message}`);
    if (job.type === 'ingest' && !req.complete) {
      stopReading(ctx, err.failure.code === tooLarge(0).code);
    }
    answer.error(err.failure);
  }
}

/**
 * The answer is ready but the client is still sending (the ingest failed early, or the body is
 * over the limit): close the connection after the answer instead of reading the rest.
 */
function stopReading(ctx: RequestContext, tooBig: boolean): void {
  if (!ctx.res.headersSent) {
    ctx.res.setHeader('Connection', 'close');
  }
  ctx.res.once('finish', () => {
    // Discard what is in flight briefly so the client can read the answer, then hang up.
    ctx.req.resume();
    setTimeout(() => ctx.req.socket.destroy(), tooBig ? 200 : 1000).unref();
  });
}

function requireEditor(ctx: RequestContext): void {
  if (!canWrite(ctx.user)) {
    ctx.res.setHeader('Connection', 'close');
    throw new OpsbookError(Errors.ingestForbidden(ctx.user.username));
  }
}

function datasetParam(name: string): string {
  if (!DATASET_NAME.test(name)) {
    throw new OpsbookError(Errors.ingestBadDataset(name));
  }
  return name;
}

function onErrorParam(value: string | null): OnError {
  if (value === null || value === '' || value === 'reject') {
    return 'reject';
  }
  if (value === 'quarantine') {
    return 'quarantine';
  }
  throw new OpsbookError(Errors.badQueryParam('onError', value, "'reject' or 'quarantine'"));
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
