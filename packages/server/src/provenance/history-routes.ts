/**
 * The per-cell history API (docs/provenance.md, "Per-cell history"):
 *
 *   GET  /api/opsbook/history?notebook=P&cell=ID
 *        -> 200 {notebook, cellId, versions: [{seq, hash, record}], runs: [{seq, hash, signature,
 *           record}], current: {id, source, opsbook, version, recorded} | null}, oldest first
 *   POST /api/opsbook/history/checkpoint  {notebook, cellId?}
 *        -> 201 {recorded: [{seq, hash, record}], unchanged: [cellId...]}  (audit `checkpoint`)
 *   POST /api/opsbook/history/restore     {notebook, cellId, seq}
 *        -> 201 {seq, hash, record}: the new `restore` version  (audit `restore`)
 *
 * Reading needs authentication; checkpoint and restore need the editor or owner role (403
 * otherwise). Unknown notebooks, cells and versions are 404s naming what was not found; a body
 * that is not the shape above is a 400 naming the field. Who and when are the server's.
 */
import { Errors, OpsbookError } from '../errors';
import { isObject, readJson, RequestContext, Router, sendJson } from '../http/router';
import { parseApiPath } from '../contents/paths';
import { canWrite } from '../users';
import type { CellHistory } from './history';
import { rationaleOf, type ServerProvenance } from './service';

/** Options of the history routes. */
export interface HistoryRoutesOptions {
  history: CellHistory;
  provenance: ServerProvenance;
  maxBodyBytes: number;
}

const HISTORY = /^\/api\/opsbook\/history\/?$/;
const CHECKPOINT = /^\/api\/opsbook\/history\/checkpoint\/?$/;
const RESTORE = /^\/api\/opsbook\/history\/restore\/?$/;

const BODY = '{"notebook": "dir/incident.ipynb", "cellId": "<cell id>", "seq": N}';

/** Registers the per-cell history routes. */
export function addCellHistoryRoutes(router: Router, options: HistoryRoutesOptions): void {
  const { history, provenance } = options;
  router
    .add('GET', HISTORY, async ctx => {
      const notebook = notebookPath(ctx.query.get('notebook'), 'notebook', true);
      const cell = ctx.query.get('cell');
      if (!cell) {
        throw new OpsbookError(
          Errors.badQueryParam('cell', cell ?? '', 'the cell id, e.g. ?notebook=a.ipynb&cell=c1')
        );
      }
      sendJson(ctx.res, 200, await history.view(notebook, cell));
    })
    .add('POST', CHECKPOINT, async ctx => {
      requireEditor(ctx, 'checkpoint cells');
      const body = await bodyOf(ctx, options);
      const notebook = notebookPath(body.notebook, 'notebook');
      const cellId = optionalCellId(body.cellId);
      const result = await history.checkpoint(ctx.user.username, notebook, cellId);
      provenance.record({
        action: 'checkpoint',
        user: ctx.user.username,
        notebook: { path: notebook, fileId: result.recorded[0]?.record.notebook.fileId ?? null },
        rationale: rationaleOf(ctx, typeof body.rationale === 'string' ? body.rationale : null),
        details: {
          operation: 'cell-versions',
          cellId: cellId ?? null,
          versionSeqs: result.recorded.map(v => v.seq),
          unchanged: result.unchanged.length
        }
      });
      sendJson(ctx.res, 201, result);
    })
    .add('POST', RESTORE, async ctx => {
      requireEditor(ctx, 'restore cell versions');
      const body = await bodyOf(ctx, options);
      const notebook = notebookPath(body.notebook, 'notebook');
      const cellId = optionalCellId(body.cellId);
      if (cellId === undefined) {
        throw new OpsbookError(Errors.historyBadRequest('cellId', 'is missing', BODY));
      }
      const seq = body.seq;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
        throw new OpsbookError(
          Errors.historyBadRequest('seq', `is ${JSON.stringify(seq) ?? 'missing'}`, BODY)
        );
      }
      const restored = await history.restore(ctx.user.username, notebook, cellId, seq);
      provenance.record({
        action: 'restore',
        user: ctx.user.username,
        notebook: restored.record.notebook,
        rationale: rationaleOf(ctx, typeof body.rationale === 'string' ? body.rationale : null),
        details: {
          cellId,
          restoredFrom: seq,
          versionSeq: restored.seq,
          version: restored.record.version
        }
      });
      sendJson(ctx.res, 201, restored);
    });
}

async function bodyOf(
  ctx: RequestContext,
  options: HistoryRoutesOptions
): Promise<Record<string, unknown>> {
  const body = await readJson(ctx.req, options.maxBodyBytes);
  if (!isObject(body)) {
    throw new OpsbookError(Errors.historyBadRequest('body', 'is not a JSON object', BODY));
  }
  return body;
}

/** A notebook path as the contents API writes it (traversal refused as a 404 by parseApiPath). */
function notebookPath(value: unknown, field: string, query = false): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new OpsbookError(
      query
        ? Errors.badQueryParam(field, String(value ?? ''), 'the notebook path, e.g. a.ipynb')
        : Errors.historyBadRequest(field, 'is missing or not a string', BODY)
    );
  }
  const segments = parseApiPath(value);
  if (segments.length === 0) {
    throw new OpsbookError(Errors.historyBadRequest(field, 'is empty', BODY));
  }
  return segments.join('/');
}

function optionalCellId(value: unknown): string | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string' || value === '' || value.length > 200) {
    throw new OpsbookError(
      Errors.historyBadRequest('cellId', 'must be a non-empty cell id string', BODY)
    );
  }
  return value;
}

function requireEditor(ctx: RequestContext, what: string): void {
  if (!canWrite(ctx.user)) {
    throw new OpsbookError(Errors.provenanceForbidden(ctx.user.username, what));
  }
}
