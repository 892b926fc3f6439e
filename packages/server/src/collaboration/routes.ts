/**
 * Collaboration REST routes:
 *
 *   PUT /api/collaboration/session/<url-encoded path>  {format, type}
 *       -> 200 (known file) / 201 (id just created) {format, type, fileId, sessionId}; 404 if the
 *          file does not exist
 *   GET /api/collaboration/conflict/<fileId>
 *       -> {fileId, path, detectedAt, diskHash, disk, room, savedCopy} while the open document has
 *          unsaved edits and the file changed on disk
 *   PUT /api/collaboration/conflict/<fileId>?action=take_disk
 *       -> 200 {status: "reloaded"}: the disk version replaces the room's content
 *   PUT /api/collaboration/conflict/<fileId>?action=keep_room
 *       -> 200 {status: "saved"}: the room's content is saved over the disk version ("keep
 *          mine", the same save as a RAW save during the conflict, without the stock client's
 *          "File Changed" prompt); 500 when the save failed (the conflict stays open)
 * Both answer 404 when there is no open conflict (e.g. a collaborator resolved it first) and 403
 * for viewers.
 *
 * Timeline, undo_redo and fork routes are in `history-routes.ts`.
 */
import { Errors, OpsbookError } from '../errors';
import { isObject, readJson, RequestContext, Router, sendJson } from '../http/router';
import { parseApiPath } from '../contents/paths';
import type { ContentsStore } from '../contents/store';
import { requireWrite } from '../users';
import type { Collaboration } from './manager';

/** What the collaboration routes need. */
export interface CollaborationRoutesOptions {
  collaboration: Collaboration;
  contents: ContentsStore;
  maxBodyBytes: number;
  /** Called when a user opens a document (a session PUT), for the audit trail. */
  onOpened?: (ctx: RequestContext, path: string, fileId: string) => void;
}

/** Registers the session and conflict routes. */
export function addCollaborationRoutes(router: Router, options: CollaborationRoutesOptions): void {
  const { collaboration, contents, maxBodyBytes } = options;
  router
    .add('PUT', /^\/api\/collaboration\/session\/(?<path>.+)$/, async ctx => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(ctx.params.path);
      } catch {
        throw new OpsbookError(Errors.contentNotFound(ctx.params.path));
      }
      const segments = parseApiPath(decoded);
      const apiPath = segments.join('/');
      const body = await readJson(ctx.req, maxBodyBytes);
      if (!isObject(body) || typeof body.format !== 'string' || typeof body.type !== 'string') {
        throw new OpsbookError(Errors.collabBadSession('the body needs "format" and "type"'));
      }
      const valid =
        (body.format === 'json' && body.type === 'notebook') ||
        (body.format === 'text' && body.type === 'file');
      if (!valid) {
        throw new OpsbookError(
          Errors.collabBadSession(`unsupported format/type ${body.format}/${body.type}`)
        );
      }
      const model = await contents.get(segments, { content: false, hash: false });
      if (model.type === 'directory') {
        throw new OpsbookError(Errors.collabBadSession(`'${apiPath}' is a directory`));
      }
      const { fileId, created } = collaboration.store.indexFile(apiPath);
      options.onOpened?.(ctx, apiPath, fileId);
      sendJson(ctx.res, created ? 201 : 200, {
        format: body.format,
        type: body.type,
        fileId,
        sessionId: collaboration.sessionId
      });
    })
    .add('GET', /^\/api\/collaboration\/conflict\/(?<fileId>[0-9a-f-]+)$/, async ctx => {
      const room = await collaboration.loadedRoomOfFile(ctx.params.fileId);
      if (!room?.conflict) {
        throw new OpsbookError(Errors.collabNoConflict(ctx.params.fileId));
      }
      const { conflict } = room;
      sendJson(ctx.res, 200, {
        fileId: room.fileId,
        path: room.path,
        detectedAt: conflict.detectedAt,
        diskHash: conflict.diskHash,
        disk: conflict.diskContent,
        room: room.currentContent(),
        savedCopy: conflict.savedCopy
      });
    })
    .add('PUT', /^\/api\/collaboration\/conflict\/(?<fileId>[0-9a-f-]+)$/, async ctx => {
      requireWrite(ctx.user);
      const action = ctx.query.get('action');
      if (action !== 'take_disk' && action !== 'keep_room') {
        throw new OpsbookError(Errors.collabBadConflictAction(String(action)));
      }
      const room = await collaboration.loadedRoomOfFile(ctx.params.fileId);
      if (action === 'take_disk') {
        if (!room || !(await room.takeDisk())) {
          throw new OpsbookError(Errors.collabNoConflict(ctx.params.fileId));
        }
        sendJson(ctx.res, 200, { status: 'reloaded' });
        return;
      }
      const status = room ? await room.keepRoom() : false;
      if (status === false) {
        throw new OpsbookError(Errors.collabNoConflict(ctx.params.fileId));
      }
      if (status !== 'success') {
        throw new OpsbookError(Errors.collabConflictSaveFailed(room!.path));
      }
      sendJson(ctx.res, 200, { status: 'saved' });
    });
}
