/**
 * Timeline and fork routes, in the shapes the stock `@jupyter/docprovider` 5.x client sends and
 * reads (`TimelineSliderComponent`, `ForkManager`); see `forks.ts` for what they do.
 *
 *   GET /api/collaboration/timeline/<path>?format=json&type=notebook
 *       -> 200 {roomId, timestamps: [seconds...], forkRoom, sessionId}; the client connects its
 *          document to `forkRoom` (a timeline view) and moves the slider over `timestamps`
 *   PUT /api/collaboration/undo_redo/<roomId>?action=undo|redo&steps=N&forkRoom=<id>
 *       -> 200 {status: "undone" | "redone", steps: <moved>}
 *   PUT /api/collaboration/undo_redo/<roomId>?action=restore&steps=0&forkRoom=<id>
 *       -> 200 {code: 200, status}: the view's point becomes a new update of the room (the
 *          client checks `code === 200`, then reconnects to the room)
 *   PUT /api/collaboration/fork/<roomId>  {title?, description?, synchronize?}
 *       -> 201 {sessionId, fork_roomid, fork_info: {root_roomid, synchronize, title, description}}
 *   GET /api/collaboration/fork/<roomId>  -> 200 {<forkId>: fork_info, ...}
 *   DELETE /api/collaboration/fork/<forkId>?merge=true|false
 *       -> 200 {status: "merged" | "deleted"}
 *
 * Reading (timeline, undo/redo of a view, listing) needs read access; restore, creating, merging
 * and deleting forks need write access (role editor or owner).
 */
import { Errors, OpsbookError } from '../errors';
import { isObject, readJson, Router, sendJson } from '../http/router';
import { parseApiPath } from '../contents/paths';
import { requireWrite } from '../users';
import { DocumentRoom } from './document-room';
import { TooManyForksError } from './forks';
import { type Collaboration, parseDocumentRoom } from './manager';

/** What the history routes need. */
export interface HistoryRoutesOptions {
  collaboration: Collaboration;
  maxBodyBytes: number;
}

/** Registers the timeline, undo_redo and fork routes. */
export function addHistoryRoutes(router: Router, options: HistoryRoutesOptions): void {
  const { collaboration, maxBodyBytes } = options;
  const { forks } = collaboration;

  /** The loaded document room `roomId` (loading it), or a 404 naming the room. */
  const documentRoom = async (roomId: string): Promise<DocumentRoom> => {
    const room = parseDocumentRoom(roomId)
      ? await collaboration.getRoom(roomId).catch(() => null)
      : null;
    if (!(room instanceof DocumentRoom)) {
      throw new OpsbookError(Errors.collabRoomNotFound(roomId));
    }
    return room;
  };
  const withForkLimit = <T>(fn: () => T, roomId: string): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof TooManyForksError) {
        throw new OpsbookError(
          Errors.collabTooManyForks(roomId, collaboration.forks.maxForksPerRoom)
        );
      }
      throw err;
    }
  };

  router
    .add('GET', /^\/api\/collaboration\/timeline\/(?<path>.+)$/, async ctx => {
      const apiPath = parseApiPath(decode(ctx.params.path)).join('/');
      const format = ctx.query.get('format') ?? 'json';
      const type = ctx.query.get('type') ?? 'notebook';
      const fileId = collaboration.store.fileIdOf(apiPath);
      const roomId = `${format}:${type}:${fileId}`;
      const parsed = fileId === null ? null : parseDocumentRoom(roomId);
      if (parsed === null) {
        throw new OpsbookError(Errors.collabRoomNotFound(roomId));
      }
      const room = await documentRoom(roomId);
      const log = collaboration.store.readRoom(roomId);
      const view = withForkLimit(() => forks.openTimeline(room, parsed.type, log), roomId);
      sendJson(ctx.res, 200, {
        roomId,
        timestamps: view.timestamps,
        forkRoom: view.forkRoom,
        sessionId: collaboration.sessionId
      });
    })
    .add('PUT', /^\/api\/collaboration\/undo_redo\/(?<room>[^/]+)$/, async ctx => {
      const roomId = decode(ctx.params.room);
      const action = ctx.query.get('action');
      const forkRoom = ctx.query.get('forkRoom') ?? '';
      const steps = Number(ctx.query.get('steps') ?? '1');
      if (!Number.isInteger(steps) || steps < 0) {
        throw new OpsbookError(Errors.collabBadHistoryRequest(`steps '${ctx.query.get('steps')}'`));
      }
      if (!forks.belongsTo(forkRoom, roomId)) {
        throw new OpsbookError(Errors.collabForkNotFound(forkRoom));
      }
      if (action === 'undo' || action === 'redo') {
        const moved = forks.step(forkRoom, action, steps);
        if (moved === null) {
          throw new OpsbookError(Errors.collabForkNotFound(forkRoom));
        }
        sendJson(ctx.res, 200, { status: action === 'undo' ? 'undone' : 'redone', steps: moved });
        return;
      }
      if (action !== 'restore') {
        throw new OpsbookError(Errors.collabBadHistoryRequest(`action '${action}'`));
      }
      requireWrite(ctx.user);
      const root = await documentRoom(roomId);
      if (!forks.restore(forkRoom, root, ctx.user.username)) {
        throw new OpsbookError(Errors.collabForkNotFound(forkRoom));
      }
      sendJson(ctx.res, 200, {
        code: 200,
        status: 'Document restored to the chosen version (as a new change; history is kept).'
      });
    })
    .add('PUT', /^\/api\/collaboration\/fork\/(?<room>[^/]+)$/, async ctx => {
      requireWrite(ctx.user);
      const roomId = decode(ctx.params.room);
      const body = (await readJson(ctx.req, maxBodyBytes).catch(() => ({}))) ?? {};
      const fields = isObject(body) ? body : {};
      const root = await documentRoom(roomId);
      const { forkId, info } = withForkLimit(
        () =>
          forks.create(root, parseDocumentRoom(roomId)!.type, {
            title: typeof fields.title === 'string' ? fields.title : '',
            description: typeof fields.description === 'string' ? fields.description : '',
            synchronize: fields.synchronize === true
          }),
        roomId
      );
      sendJson(ctx.res, 201, {
        sessionId: collaboration.sessionId,
        fork_roomid: forkId,
        fork_info: info
      });
    })
    .add('GET', /^\/api\/collaboration\/fork\/(?<room>[^/]+)$/, ctx => {
      sendJson(ctx.res, 200, forks.list(decode(ctx.params.room)));
    })
    .add('DELETE', /^\/api\/collaboration\/fork\/(?<fork>[^/]+)$/, async ctx => {
      requireWrite(ctx.user);
      const forkId = decode(ctx.params.fork);
      const rootId = forks.rootOf(forkId);
      if (rootId === null) {
        throw new OpsbookError(Errors.collabForkNotFound(forkId));
      }
      const merge = ctx.query.get('merge') === 'true';
      const root = merge ? await documentRoom(rootId) : null;
      forks.delete(forkId, root, ctx.user.username);
      sendJson(ctx.res, 200, { status: merge ? 'merged' : 'deleted' });
    });
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OpsbookError(Errors.collabBadHistoryRequest(`malformed URL segment '${segment}'`));
  }
}
