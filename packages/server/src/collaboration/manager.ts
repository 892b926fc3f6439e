/**
 * The collaboration service: the server session id, file ids, the rooms of this process, and the
 * websocket entry point `/api/collaboration/room/<name>?sessionId=...`.
 *
 * Room names: `<format>:<type>:<fileId>` (a file's document, persisted), `JupyterLab:globalAwareness`
 * (who is online, in memory), or a fork / timeline view id (in memory, see `forks.ts`). A document room is
 * loaded on first connection (messages arriving meanwhile are queued per connection) and unloaded
 * `collabRoomIdleMs` after its last client left, after saving and compacting.
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocketServer, type WebSocket } from 'ws';

import type { ServerConfig } from '../config';
import type { ContentsStore } from '../contents/store';
import type { Logger } from '../log';
import { identityOf, type User, canWrite } from '../users';
import { DocumentCodec, fileCodec, NotebookStateHook, notebookCodec } from './codec';
import { Connection } from './connection';
import { DiskPoller } from './disk-poll';
import { DocumentRoom, RoomLoadError } from './document-room';
import { Forks } from './forks';
import { CloseCode, SessionCloseReason, sessionCloseReason } from './protocol';
import { Room } from './room';
import { CollabStore } from './store';
import { yjs } from './yjs';

/** The room of the collaborators panel. */
export const GLOBAL_AWARENESS_ROOM = 'JupyterLab:globalAwareness';

/** Path prefix of collaboration websockets. */
export const ROOM_PATH = /^\/api\/collaboration\/room\/(?<name>[^/?]+)$/;

/** Options of `Collaboration`. */
export interface CollaborationOptions {
  config: ServerConfig;
  stateDir: string;
  contents: ContentsStore;
  log: Logger;
  /** Extra notebook state (comments, hypotheses); see `codec.ts`. */
  notebookHooks?: NotebookStateHook[];
  /**
   * Called once per document room right after it loaded, before any client joins (e.g. to watch
   * its document); what it returns is called when the room is disposed.
   */
  onDocumentRoom?: (room: DocumentRoom) => (() => void) | void;
  /** Called after a document room saved its file. */
  onDocumentSaved?: (room: DocumentRoom) => void;
}

/** The collaboration service (see the file comment). */
export class Collaboration {
  /** Random per process start: clients holding another one must reload. */
  readonly sessionId = randomUUID().replace(/-/g, '');
  readonly store: CollabStore;
  /** Forks and timeline views of document rooms. */
  readonly forks: Forks;
  private readonly rooms = new Map<string, Promise<Room>>();
  private readonly evictions = new Map<string, NodeJS.Timeout>();
  /** Rooms being saved and unloaded: a reload waits for them, so two never share the log. */
  private readonly unloading = new Map<string, Promise<void>>();
  private readonly wss: WebSocketServer;
  private readonly codecs: Record<'notebook' | 'file', DocumentCodec>;
  /** Checks every document room's file in turn (see `disk-poll.ts`). */
  private readonly poller: DiskPoller;
  private closed = false;

  constructor(private readonly options: CollaborationOptions) {
    this.store = CollabStore.open(options.stateDir, options.log);
    this.poller = new DiskPoller(options.config.collabDiskPollMs);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.config.collabMaxMessageBytes
    });
    this.codecs = {
      notebook: notebookCodec(options.notebookHooks ?? []),
      file: fileCodec()
    };
    this.forks = new Forks({
      createModel: type => this.codecs[type].create(),
      addRoom: (id, room) => this.addTransientRoom(id, room),
      removeRoom: id => this.removeTransientRoom(id),
      log: options.log,
      maxAwarenessBytes: options.config.collabMaxAwarenessBytes,
      maxForksPerRoom: options.config.collabMaxForksPerRoom,
      idleMs: options.config.collabRoomIdleMs
    });
  }

  /** Handles an authenticated upgrade to a room path. */
  handleUpgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    user: User,
    name: string,
    query: URLSearchParams
  ): void {
    this.wss.handleUpgrade(req, socket, head, ws => this.accept(ws, user, name, query));
  }

  /** Adds an in-memory room (forks, timeline views) under `id`. */
  addTransientRoom(id: string, room: Room): void {
    this.rooms.set(id, Promise.resolve(room));
  }

  /** Removes an in-memory room, closing its connections. */
  removeTransientRoom(id: string): void {
    const room = this.rooms.get(id);
    this.rooms.delete(id);
    void room?.then(r => r.dispose());
  }

  /** The loaded room `id`, loading a document room if needed. */
  getRoom(id: string): Promise<Room> {
    const existing = this.rooms.get(id);
    if (existing) {
      this.cancelEviction(id);
      return existing;
    }
    const parsed = parseDocumentRoom(id);
    if (parsed === null) {
      return Promise.reject(new RoomLoadError('notFound', `no room ${id}`));
    }
    const limits = this.options.config;
    const before = this.unloading.get(id) ?? Promise.resolve();
    const loading = before.then(() =>
      DocumentRoom.load({
        id,
        fileId: parsed.fileId,
        codec: this.codecs[parsed.type],
        store: this.store,
        contents: this.options.contents,
        log: this.options.log,
        limits: {
          compactAfterUpdates: limits.collabCompactAfterUpdates,
          compactIdleMs: limits.collabCompactIdleMs,
          autosaveDelayMs: limits.collabAutosaveDelayMs,
          maxAwarenessBytes: limits.collabMaxAwarenessBytes
        },
        poller: this.poller,
        onEmpty: room => this.scheduleEviction(room),
        onSaved: room => this.options.onDocumentSaved?.(room)
      }).then(room => {
        const stop = this.options.onDocumentRoom?.(room);
        if (stop) {
          room.onDispose(stop);
        }
        return room;
      })
    );
    this.rooms.set(id, loading);
    loading.catch(() => this.rooms.delete(id));
    return loading;
  }

  /** The loaded document room of a file id, if any (no loading). */
  async loadedRoomOfFile(fileId: string): Promise<DocumentRoom | null> {
    for (const [id, room] of this.rooms) {
      if (parseDocumentRoom(id)?.fileId === fileId) {
        const r = await room.catch(() => null);
        if (r instanceof DocumentRoom) {
          return r;
        }
      }
    }
    return null;
  }

  /** Keeps file ids (and open rooms' `state.path`) in step with a contents rename. */
  async renamed(from: string, to: string): Promise<void> {
    for (const moved of this.store.renamePath(from, to)) {
      const room = await this.loadedRoomOfFile(moved.fileId);
      room?.renamed(moved.path);
    }
  }

  /** Saves and unloads every room, closes connections and the store. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const timer of this.evictions.values()) {
      clearTimeout(timer);
    }
    for (const ws of this.wss.clients) {
      ws.close(CloseCode.goingAway, 'server shutting down');
    }
    this.forks.close();
    await Promise.all(this.unloading.values());
    const rooms = await Promise.all([...this.rooms.values()].map(r => r.catch(() => null)));
    for (const room of rooms) {
      if (room instanceof DocumentRoom) {
        await room.flushAndDispose().catch(err => this.options.log.error('Flush failed', err));
      } else {
        room?.dispose();
      }
    }
    this.rooms.clear();
    this.poller.stop();
    for (const ws of this.wss.clients) {
      ws.terminate();
    }
    this.wss.close();
    this.store.close();
  }

  private accept(ws: WebSocket, user: User, name: string, query: URLSearchParams): void {
    const { config, log } = this.options;
    const connection = new Connection(ws, {
      identity: identityOf(user),
      canWrite: canWrite(user),
      roomName: name,
      limits: {
        messagesPerSecond: config.collabMessagesPerSecond,
        maxQueuedMessages: config.collabMaxQueuedMessages
      },
      log
    });
    if (name === GLOBAL_AWARENESS_ROOM && !this.rooms.has(name)) {
      this.addTransientRoom(name, this.transientRoom(name));
    }
    const isDocument = parseDocumentRoom(name) !== null;
    const sessionId = query.get('sessionId') ?? '';
    if (isDocument && sessionId !== this.sessionId) {
      connection.close(
        CloseCode.session,
        sessionCloseReason(SessionCloseReason.unknownSession, sessionId, true),
        'debug'
      );
      return;
    }
    this.getRoom(name).then(
      room => connection.attach(room),
      (err: Error) => {
        const code =
          err instanceof RoomLoadError
            ? {
                notFound: CloseCode.notFound,
                badRequest: CloseCode.badRequest,
                serverError: CloseCode.serverError
              }[err.kind]
            : CloseCode.serverError;
        if (!(err instanceof RoomLoadError)) {
          log.error(`Room ${name} failed to load`, err);
        }
        connection.close(code, err.message);
      }
    );
  }

  /** A room with an in-memory document (nothing persisted). */
  transientRoom(id: string, update?: Uint8Array): Room {
    const { Y } = yjs();
    const room = new Room({
      id,
      model: this.codecs.file.create(),
      log: this.options.log,
      maxAwarenessBytes: this.options.config.collabMaxAwarenessBytes
    });
    if (update) {
      Y.applyUpdate(room.doc, update);
    }
    return room;
  }

  private scheduleEviction(room: DocumentRoom): void {
    this.cancelEviction(room.id);
    const timer = setTimeout(() => {
      this.evictions.delete(room.id);
      if (room.peers.size > 0 || this.closed) {
        return;
      }
      this.rooms.delete(room.id);
      const done = room.flushAndDispose().then(
        () => this.options.log.debug(`Unloaded idle room ${room.id}`),
        err => this.options.log.error(`Unloading room ${room.id} failed`, err)
      );
      this.unloading.set(room.id, done);
      void done.then(() => {
        if (this.unloading.get(room.id) === done) {
          this.unloading.delete(room.id);
        }
      });
    }, this.options.config.collabRoomIdleMs);
    timer.unref();
    this.evictions.set(room.id, timer);
  }

  private cancelEviction(id: string): void {
    const timer = this.evictions.get(id);
    if (timer) {
      clearTimeout(timer);
      this.evictions.delete(id);
    }
  }
}

/** `<format>:<type>:<fileId>` -> parts, or null for any other room name. */
export function parseDocumentRoom(
  name: string
): { format: string; type: 'notebook' | 'file'; fileId: string } | null {
  const m = /^(json|text):(notebook|file):([0-9a-f-]{36})$/.exec(name);
  return m ? { format: m[1], type: m[2] as 'notebook' | 'file', fileId: m[3] } : null;
}
