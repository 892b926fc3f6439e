/**
 * The provenance API (run records, replays, exports, the audit trail):
 *
 *   POST /api/opsbook/runs                      body: an unstamped RunRecord [+ durationMs]
 *        -> 201 {seq, hash, signature, record}  (editor/owner; 400 bad field, 422 unknown
 *           snapshot, 409 run id already recorded)
 *   GET  /api/opsbook/runs?notebook=P&cell=ID&user=U&limit=N   -> {runs: [{seq, hash, signature,
 *        record}]}, oldest first
 *   GET  /api/opsbook/runs/export?notebook=P    -> ChainExport of the run log from the notebook's
 *        first run to its last (audit `export`)
 *   GET  /api/opsbook/runs/<runId>              -> {seq, hash, signature, record} or 404
 *   POST /api/opsbook/runs/<runId>/replays      body: {hash, rows, durationMs, diverged?,
 *        rationale?} -> 201 ReplayView (audit `replay`; editor/owner)
 *   GET  /api/opsbook/runs/<runId>/replays      -> {replays: ReplayView[]}, oldest first
 *   GET  /api/opsbook/provenance/key            -> {algorithm, publicKey, keyId}
 *   GET  /api/opsbook/audit?notebook=&user=&action=&from=&to=&limit=  -> {entries: AuditRecord[]}
 *
 * The server, never the client, says who and when: `stamp.user` is the session's user,
 * `stamp.finishedAt` the time the request arrived and `stamp.startedAt` that minus the reported
 * duration clamped to [0, maxRunSeconds]; whether a replay reproduced its run is the server's
 * comparison of the two result hashes. Reading needs only authentication (every user of a
 * server sees every notebook); writing needs the editor or owner role. Write requests may carry
 * a rationale (`X-Opsbook-Rationale` header, or the body's `rationale`), kept in the audit entry.
 */
import { AUDIT_ACTIONS, type AuditAction } from '@opsbook/provenance/lib/audit-log';
import type { ReplayView } from '@opsbook/provenance/lib/replay-view';

import type { CatalogReader } from '../catalog/reader';
import { Errors, OpsbookError } from '../errors';
import { readJson, RequestContext, Router, sendJson } from '../http/router';
import { canWrite } from '../users';
import { intParam, param, timeParam } from './query-params';
import { rationaleOf, type ServerProvenance } from './service';
import type { ImportedRuns, RunOrigin } from './bundle-registry';
import { appendRun, stampRecord, type StoredRun } from './store';
import { isRunId, parseReplay, parseRunSubmission } from './validate';

/** Options of the provenance routes. */
export interface ProvenanceRoutesOptions {
  provenance: ServerProvenance;
  /** The telemetry catalog, to check the snapshots a run names. */
  reader: () => CatalogReader;
  /** Longest run duration a client may report (config `maxRunSeconds`). */
  maxRunSeconds: number;
  /** Body limit of run records and replays (config `maxRunRecordBytes`). */
  maxRecordBytes: number;
  /** Runs imported from investigation bundles, listed beside the log's (marked `origin`). */
  imported?: ImportedRuns;
  /** Called after a run is logged (per-cell history records the cell's version). */
  onRunRecorded?: (user: string, run: StoredRun) => void;
}

export type { ReplayView };

/** Default and largest `limit` of the list routes. */
const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;

const RUNS = /^\/api\/opsbook\/runs\/?$/;
const EXPORT = /^\/api\/opsbook\/runs\/export\/?$/;
const RUN = /^\/api\/opsbook\/runs\/(?<runId>[^/]+)\/?$/;
const REPLAYS = /^\/api\/opsbook\/runs\/(?<runId>[^/]+)\/replays\/?$/;

/** Registers the provenance routes. */
export function addProvenanceRoutes(router: Router, options: ProvenanceRoutesOptions): void {
  const { provenance } = options;
  router
    .add('POST', RUNS, ctx => recordRun(ctx, options))
    .add('GET', RUNS, ctx => {
      const filter = {
        notebook: param(ctx, 'notebook'),
        cellId: param(ctx, 'cell'),
        user: param(ctx, 'user')
      };
      const limit = limitOf(ctx);
      // The notebook's runs under its earlier paths too (notebook-paths.ts).
      const runs: StoredRun[] = provenance.paths.runs(filter, limit);
      if (runs.length < limit && options.imported) {
        runs.push(...provenance.paths.importedRuns(filter, options.imported, limit - runs.length));
      }
      sendJson(ctx.res, 200, { runs });
    })
    .add('GET', EXPORT, ctx => exportRuns(ctx, options))
    .add('GET', RUN, ctx => {
      sendJson(ctx.res, 200, requireRun(ctx, options));
    })
    .add('POST', REPLAYS, ctx => recordReplay(ctx, options))
    .add('GET', REPLAYS, ctx => {
      const run = requireRun(ctx, options);
      sendJson(ctx.res, 200, { replays: replaysOf(options, run) });
    })
    .add('GET', /^\/api\/opsbook\/provenance\/key\/?$/, ctx => {
      const { key } = provenance.store();
      sendJson(ctx.res, 200, {
        algorithm: 'Ed25519',
        publicKey: key.publicKeyBase64,
        keyId: key.keyId
      });
    })
    .add('GET', /^\/api\/opsbook\/audit\/?$/, ctx => {
      const action = param(ctx, 'action');
      if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
        throw new OpsbookError(Errors.badQueryParam('action', action, AUDIT_ACTIONS.join(', ')));
      }
      const entries = provenance.store().audit.query({
        notebook: param(ctx, 'notebook'),
        user: param(ctx, 'user'),
        action: action as AuditAction | undefined,
        from: timeParam(ctx, 'from'),
        to: timeParam(ctx, 'to'),
        limit: limitOf(ctx)
      });
      sendJson(ctx.res, 200, { entries });
    });
}

async function recordRun(ctx: RequestContext, options: ProvenanceRoutesOptions): Promise<void> {
  // The stamp's finish time is when the request arrived, not when its body was read.
  const receivedAt = Date.now();
  requireEditor(ctx, 'record runs');
  const { record, durationMs } = parseRunSubmission(
    await readJson(ctx.req, options.maxRecordBytes)
  );
  record.inputs.forEach((input, i) => {
    if (input.snapshotId !== null && !options.reader().hasSnapshot(input.snapshotId)) {
      throw new OpsbookError(
        Errors.runUnknownSnapshot(
          `inputs[${i}].snapshotId`,
          input.snapshotId,
          options.reader().storeDir
        )
      );
    }
  });
  const rationale = rationaleOf(ctx, record.rationale);
  const clamped = Math.min(Math.max(0, durationMs), options.maxRunSeconds * 1000);
  const stamped = stampRecord(
    { ...record, rationale },
    {
      user: ctx.user.username,
      startedAt: new Date(receivedAt - Math.round(clamped)).toISOString(),
      finishedAt: new Date(receivedAt).toISOString()
    }
  );
  const store = options.provenance.store();
  const stored = store.transaction(() => {
    const run = appendRun(store, stamped);
    store.audit.record({
      action: 'run',
      user: ctx.user.username,
      time: new Date().toISOString(),
      notebook: record.notebook,
      rationale,
      details: {
        runId: record.runId,
        runSeq: run.seq,
        cellId: record.cellId,
        cellVersion: record.cellVersion,
        resultHash: record.result.hash,
        rows: record.result.rowCount,
        snapshotIds: record.inputs.map(i => i.snapshotId).filter(id => id !== null)
      }
    });
    return run;
  });
  options.onRunRecorded?.(ctx.user.username, stored);
  sendJson(ctx.res, 201, stored);
}

async function recordReplay(ctx: RequestContext, options: ProvenanceRoutesOptions): Promise<void> {
  requireEditor(ctx, 'record replays');
  const run = requireRun(ctx, options);
  const replay = parseReplay(await readJson(ctx.req, options.maxRecordBytes));
  const entry = options.provenance.record({
    action: 'replay',
    user: ctx.user.username,
    notebook: notebookNow(options, run),
    rationale: rationaleOf(ctx, replay.rationale),
    details: {
      runId: run.record.runId,
      runSeq: run.seq,
      // Decided here: a client cannot declare its replay a reproduction.
      reproduced: replay.hash === run.record.result.hash,
      hash: replay.hash,
      recordedHash: run.record.result.hash,
      rows: replay.rows,
      recordedRows: run.record.result.rowCount,
      durationMs: replay.durationMs,
      diverged: replay.diverged
    }
  });
  sendJson(ctx.res, 201, replayView(entry));
}

function exportRuns(ctx: RequestContext, options: ProvenanceRoutesOptions): void {
  const notebook = param(ctx, 'notebook');
  if (notebook === undefined) {
    throw new OpsbookError(
      Errors.badQueryParam('notebook', '', 'the notebook path, e.g. ?notebook=incident.ipynb')
    );
  }
  const store = options.provenance.store();
  const runs = options.provenance.paths.runs({ notebook }, Number.MAX_SAFE_INTEGER);
  if (runs.length === 0) {
    throw new OpsbookError(Errors.runsNoneForNotebook(notebook));
  }
  const doc = store.runs.export(runs[0].seq, runs[runs.length - 1].seq);
  options.provenance.record({
    action: 'export',
    user: ctx.user.username,
    notebook: { path: notebook, fileId: null },
    rationale: rationaleOf(ctx),
    details: {
      log: doc.range.log,
      fromSeq: doc.range.fromSeq,
      toSeq: doc.range.toSeq,
      count: doc.range.count,
      notebookRuns: runs.length,
      lastHash: doc.range.lastHash
    }
  });
  sendJson(ctx.res, 200, doc);
}

/** Replays of `run`, from the audit trail (under each path its notebook has had since). */
function replaysOf(
  options: ProvenanceRoutesOptions,
  run: StoredRun & { origin?: RunOrigin }
): ReplayView[] {
  const { audit } = options.provenance.store();
  const notebook = notebookOf(run);
  const paths = notebook ? [...new Set(pathsOf(options, run, notebook.path))] : [undefined];
  return paths
    .flatMap(path => audit.query({ action: 'replay', notebook: path, limit: MAX_LIMIT * 10 }))
    .filter(e => e.details.runId === run.record.runId)
    .sort((a, b) => a.seq - b.seq)
    .map(replayView);
}

/** The notebook a replay of `run` is recorded under: where the run's notebook is now. */
function notebookNow(
  options: ProvenanceRoutesOptions,
  run: StoredRun & { origin?: RunOrigin }
): StoredRun['record']['notebook'] {
  const notebook = notebookOf(run);
  if (!notebook) return notebook;
  const paths = pathsOf(options, run, notebook.path);
  const path = paths[paths.length - 1];
  return path === notebook.path ? notebook : { path, fileId: notebook.fileId ?? null };
}

/** Every path the run's notebook has had since the run (an imported run: since its import). */
function pathsOf(
  options: ProvenanceRoutesOptions,
  run: StoredRun & { origin?: RunOrigin },
  path: string
): string[] {
  const { paths } = options.provenance;
  return run.origin
    ? paths.pathsSince(path, 'audit', paths.importSeq(path, run.origin.bundle))
    : paths.pathsSince(path, 'runs', run.seq);
}

function replayView(entry: {
  seq: number;
  user: string;
  time: string;
  rationale: string | null;
  details: Record<string, unknown>;
}): ReplayView {
  const d = entry.details;
  return {
    runId: d.runId as string,
    auditSeq: entry.seq,
    user: entry.user,
    time: entry.time,
    reproduced: d.reproduced as boolean,
    hash: d.hash as string,
    recordedHash: d.recordedHash as string,
    rows: d.rows as number,
    recordedRows: d.recordedRows as number,
    durationMs: d.durationMs as number,
    diverged: (d.diverged as Record<string, unknown> | null) ?? null,
    rationale: entry.rationale
  };
}

/** The notebook a run's audit entries name: here, for a run imported from a bundle. */
function notebookOf(run: StoredRun & { origin?: RunOrigin }): StoredRun['record']['notebook'] {
  return run.origin ? { path: run.origin.importedAs, fileId: null } : run.record.notebook;
}

function requireRun(
  ctx: RequestContext,
  options: ProvenanceRoutesOptions
): StoredRun & { origin?: RunOrigin } {
  let runId: string;
  try {
    runId = decodeURIComponent(ctx.params.runId);
  } catch {
    runId = ctx.params.runId;
  }
  const run = isRunId(runId)
    ? (options.provenance.store().runs.get(runId) ?? options.imported?.get(runId) ?? null)
    : null;
  if (!run) {
    throw new OpsbookError(Errors.runNotFound(runId));
  }
  return run;
}

function requireEditor(ctx: RequestContext, what: string): void {
  if (!canWrite(ctx.user)) {
    throw new OpsbookError(Errors.provenanceForbidden(ctx.user.username, what));
  }
}

/** The `limit` parameter of the run and audit listings. */
function limitOf(ctx: RequestContext): number {
  return intParam(ctx, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
}
