/**
 * `/api/contents` routes: Jupyter's contents REST API (GET/PUT/POST/PATCH/DELETE and
 * checkpoints) over `ContentsStore`. URL paths are decoded segment by segment here, which is
 * where `..`, `%2e%2e`, `%2f`, `%00`, absolute and drive paths get refused.
 */
import { Errors, OpsbookError } from '../errors';
import { isObject, readJson, RequestContext, Router, sendEmpty, sendJson } from '../http/router';
import { canWrite, requireWrite, type User } from '../users';
import { Checkpoints } from './checkpoints';
import { decodeRawPath, parseApiPath } from './paths';
import type { ContentsModel, ContentsStore } from './store';

/** What the contents routes need. */
export interface ContentsRoutesOptions {
  store: ContentsStore;
  checkpoints: Checkpoints;
  maxBodyBytes: number;
  /** Called after a checkpoint is created or restored (the audit trail records it). */
  onCheckpoint?: (
    ctx: RequestContext,
    operation: 'create' | 'restore',
    path: string,
    checkpointId: string
  ) => void;
  /**
   * Called after a successful rename/move (collaboration keeps file ids with the file; cell
   * history follows the notebook), with the request and the moved item's model.
   */
  onRenamed?: (
    from: string,
    to: string,
    ctx: RequestContext,
    model: ContentsModel
  ) => Promise<void> | void;
  /**
   * Runs a whole rename (the move, checkpoints, `onRenamed`) apart from cell history's queued
   * work, so nothing reads a notebook between its move and the record of that move.
   */
  renameExclusively?: <T>(rename: () => Promise<T>) => Promise<T>;
  /** Called after a successful PUT with the body it wrote (cell history records notebooks). */
  onSaved?: (ctx: RequestContext, model: ContentsModel, body: Record<string, unknown>) => void;
}

const CHECKPOINTS = /^\/api\/contents(?:\/(?<path>.*?))?\/checkpoints\/?$/;
const CHECKPOINT = /^\/api\/contents(?:\/(?<path>.*?))?\/checkpoints\/(?<id>[^/]+)$/;
const CONTENTS = /^\/api\/contents(?:\/(?<path>.*))?$/;

/** Registers the contents routes (checkpoint routes first: they are more specific). */
export function addContentsRoutes(router: Router, options: ContentsRoutesOptions): void {
  const { store, checkpoints, maxBodyBytes, onRenamed, onCheckpoint, onSaved } = options;
  const exclusively = options.renameExclusively ?? (<T>(rename: () => Promise<T>) => rename());
  const segmentsOf = (ctx: RequestContext): string[] => decodeRawPath(ctx.params.path ?? '');

  router
    .add('GET', CHECKPOINTS, async ctx => {
      sendJson(ctx.res, 200, await checkpoints.list(segmentsOf(ctx)));
    })
    .add('POST', CHECKPOINTS, async ctx => {
      requireWrite(ctx.user);
      const created = await checkpoints.create(segmentsOf(ctx));
      onCheckpoint?.(ctx, 'create', segmentsOf(ctx).join('/'), created.id);
      sendJson(ctx.res, 201, created);
    })
    .add('POST', CHECKPOINT, async ctx => {
      requireWrite(ctx.user);
      await checkpoints.restore(segmentsOf(ctx), checkpointId(ctx));
      onCheckpoint?.(ctx, 'restore', segmentsOf(ctx).join('/'), checkpointId(ctx));
      sendEmpty(ctx.res, 204);
    })
    .add('DELETE', CHECKPOINT, async ctx => {
      requireWrite(ctx.user);
      await checkpoints.remove(segmentsOf(ctx), checkpointId(ctx));
      sendEmpty(ctx.res, 204);
    })
    .add('GET', CONTENTS, async ctx => {
      const model = await store.get(segmentsOf(ctx), {
        content: flag(ctx, 'content', true),
        hash: flag(ctx, 'hash', false),
        type: ctx.query.get('type') || undefined,
        format: ctx.query.get('format') || undefined
      });
      sendJson(ctx.res, 200, asSeenBy(ctx.user, model));
    })
    .add('PUT', CONTENTS, async ctx => {
      requireWrite(ctx.user);
      const segments = segmentsOf(ctx);
      const body = await readJson(ctx.req, maxBodyBytes);
      const { model, created } = await store.save(segments, body);
      onSaved?.(ctx, model, body as Record<string, unknown>);
      sendModel(ctx, created ? 201 : 200, model);
    })
    .add('POST', CONTENTS, async ctx => {
      requireWrite(ctx.user);
      const dir = segmentsOf(ctx);
      const body = await readJson(ctx.req, maxBodyBytes);
      if (!isObject(body)) {
        throw new OpsbookError(Errors.badModel(dir.join('/'), 'the body must be a JSON object'));
      }
      const model =
        typeof body.copy_from === 'string'
          ? await store.copy(parseApiPath(body.copy_from), dir)
          : await store.newUntitled(dir, body);
      sendModel(ctx, 201, model);
    })
    .add('PATCH', CONTENTS, async ctx => {
      requireWrite(ctx.user);
      const from = segmentsOf(ctx);
      const body = await readJson(ctx.req, maxBodyBytes);
      if (!isObject(body) || typeof body.path !== 'string') {
        throw new OpsbookError(
          Errors.badModel(from.join('/'), 'the body must be {"path": "<new path>"}')
        );
      }
      const to = parseApiPath(body.path);
      const model = await exclusively(async () => {
        const moved = await store.rename(from, to);
        await checkpoints.move(from, to);
        await onRenamed?.(from.join('/'), moved.path, ctx, moved);
        return moved;
      });
      sendJson(ctx.res, 200, model);
    })
    .add('DELETE', CONTENTS, async ctx => {
      requireWrite(ctx.user);
      const segments = segmentsOf(ctx);
      await store.remove(segments);
      await checkpoints.drop(segments);
      sendEmpty(ctx.res, 204);
    });
}

/** The checkpoint id from the URL, decoded with the same refusal rules as paths. */
function checkpointId(ctx: RequestContext): string {
  return decodeRawPath(ctx.params.id).join('/');
}

/** `?name=0|1|true|false`, anything else falling back to the default (unknown values ignored). */
function flag(ctx: RequestContext, name: string, fallback: boolean): boolean {
  const value = ctx.query.get(name);
  if (value === '1' || value === 'true') {
    return true;
  }
  if (value === '0' || value === 'false') {
    return false;
  }
  return fallback;
}

/** Sends a model with Jupyter's `Location` header. */
/**
 * A model as `user` may use it: a viewer cannot write anything (every write route refuses them),
 * so `writable` says false for them, as in Jupyter, and JupyterLab opens documents read-only.
 */
function asSeenBy(user: User, model: ContentsModel): ContentsModel {
  if (canWrite(user)) {
    return model;
  }
  const content = Array.isArray(model.content)
    ? (model.content as ContentsModel[]).map(child => ({ ...child, writable: false }))
    : model.content;
  return { ...model, writable: false, content };
}

function sendModel(ctx: RequestContext, status: number, model: ContentsModel): void {
  const location = '/api/contents/' + model.path.split('/').map(encodeURIComponent).join('/');
  ctx.res.setHeader('Location', location);
  sendJson(ctx.res, status, model);
}
