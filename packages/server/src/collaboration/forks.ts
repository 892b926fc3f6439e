/**
 * Forks and timeline views of document rooms. Both are in-memory rooms (`ForkRoom`) holding a
 * copy of a document room's Y.Doc; clients connect to them like to any room, by id (32 hex
 * digits, never a `<format>:<type>:<fileId>` name, so no session check and no file).
 *
 * Named forks (`PUT /api/collaboration/fork/<roomId>`): a copy of the root's current state,
 * optionally kept in sync with the root (`synchronize`: every root update is applied to the
 * fork). Deleting with `merge=true` applies what the fork has and the root lacks to the root as
 * one new, logged update (a Yjs merge: concurrent root edits are kept).
 *
 * Timeline views (`GET /api/collaboration/timeline/<path>`): the document rebuilt from the
 * persisted log, the last snapshot first (untracked), then every logged update since as its own
 * step of a Y.UndoManager scoped to the content (`cells` and `meta`, or `source`; never `state`).
 * The timeline points are the snapshot's time followed by the time of each update that changed
 * content, so point 0 is the last compaction boundary and the slider cannot go further back.
 * Undo/redo move the view; restore applies the view's difference to the root as a NEW update,
 * so restoring destroys nothing and the log keeps growing. A view is dropped
 * `collabRoomIdleMs` after its last client left (or after creation if nobody connected).
 */
import { randomUUID } from 'node:crypto';

import type * as Y from 'yjs';

import type { Logger } from '../log';
import type { SharedModel } from './codec';
import { CloseCode } from './protocol';
import { Room } from './room';
import type { RoomLog } from './store';
import { yjs } from './yjs';

/** What `GET /api/collaboration/fork/<roomId>` lists per fork (the reference server's shape). */
export interface ForkInfo {
  root_roomid: string;
  synchronize: boolean;
  title: string;
  description: string;
}

/** What the fork registry needs from the collaboration service. */
export interface ForksOptions {
  /** A new, empty shared model of the root's type. */
  createModel(type: 'notebook' | 'file'): SharedModel;
  /** Registers / removes an in-memory room under an id (connections then find it). */
  addRoom(id: string, room: Room): void;
  removeRoom(id: string): void;
  log: Logger;
  maxAwarenessBytes: number;
  maxForksPerRoom: number;
  idleMs: number;
}

/** Origin of log updates replayed into a timeline view (tracked by its undo manager). */
const TIMELINE_ORIGIN = Symbol('opsbook-timeline');
/** Origin of root updates mirrored into a synchronized fork. */
const ROOT_ORIGIN = Symbol('opsbook-root');

/** An in-memory copy of a document room (see the file comment). */
export class ForkRoom extends Room {
  emptyTimer: NodeJS.Timeout | null = null;
  onEmptied: () => void = () => undefined;

  override join(peer: Parameters<Room['join']>[0]): void {
    if (this.emptyTimer !== null) {
      clearTimeout(this.emptyTimer);
      this.emptyTimer = null;
    }
    super.join(peer);
  }

  protected override onEmpty(): void {
    this.onEmptied();
  }
}

interface ForkEntry {
  room: ForkRoom;
  rootId: string;
  /** Named forks have info; timeline views have an undo manager. */
  info: ForkInfo | null;
  undo: Y.UndoManager | null;
  detach: () => void;
}

/** Thrown for a root that already has `maxForksPerRoom` forks. */
export class TooManyForksError extends Error {}

/** The forks and timeline views of this process (see the file comment). */
export class Forks {
  private readonly entries = new Map<string, ForkEntry>();

  constructor(private readonly options: ForksOptions) {}

  /** The per-room limit (`collabMaxForksPerRoom`), for error messages. */
  get maxForksPerRoom(): number {
    return this.options.maxForksPerRoom;
  }

  /** Creates a named fork of `root`'s current state. */
  create(
    root: Room,
    type: 'notebook' | 'file',
    fields: { title: string; description: string; synchronize: boolean }
  ): { forkId: string; info: ForkInfo } {
    const { Y } = yjs();
    const room = this.newRoom(root.id, type);
    Y.applyUpdate(room.doc, Y.encodeStateAsUpdate(root.doc), ROOT_ORIGIN);
    let detach = () => undefined as void;
    if (fields.synchronize) {
      const mirror = (update: Uint8Array) => {
        if (!room.isDisposed) {
          Y.applyUpdate(room.doc, update, ROOT_ORIGIN);
        }
      };
      root.doc.on('update', mirror);
      detach = () => root.doc.off('update', mirror);
    }
    const info: ForkInfo = { root_roomid: root.id, ...fields };
    const forkId = this.register({ room, rootId: root.id, info, undo: null, detach });
    return { forkId, info };
  }

  /** Named forks of a root room, by fork id. */
  list(rootId: string): Record<string, ForkInfo> {
    const out: Record<string, ForkInfo> = {};
    for (const [id, entry] of this.entries) {
      if (entry.rootId === rootId && entry.info) {
        out[id] = entry.info;
      }
    }
    return out;
  }

  /** The root room id of fork `forkId`, or null when there is no such named fork. */
  rootOf(forkId: string): string | null {
    const entry = this.entries.get(forkId);
    return entry?.info ? entry.rootId : null;
  }

  /**
   * Deletes a named fork or a timeline view; with `mergeInto`, first applies what the fork has
   * and that room lacks to it (one new logged update under `user`). False if there is no fork.
   */
  delete(forkId: string, mergeInto: Room | null, user: string): boolean {
    const entry = this.entries.get(forkId);
    if (!entry) {
      return false;
    }
    if (mergeInto) {
      this.mergeInto(entry.room, mergeInto, user);
    }
    this.drop(forkId, 'the fork was deleted');
    return true;
  }

  /**
   * Opens a timeline view of `root` from its persisted log (see the file comment); returns the
   * view's room id and the timestamps (seconds) of its points, oldest first.
   */
  openTimeline(
    root: Room,
    type: 'notebook' | 'file',
    log: RoomLog
  ): { forkRoom: string; timestamps: number[] } {
    const { Y } = yjs();
    const room = this.newRoom(root.id, type);
    const doc = room.doc;
    const scope =
      type === 'notebook' ? [doc.getArray('cells'), doc.getMap('meta')] : [doc.getText('source')];
    const undo = new Y.UndoManager(scope, {
      trackedOrigins: new Set([TIMELINE_ORIGIN]),
      // Every logged update is its own step.
      captureTimeout: 0
    });
    const timestamps: number[] = [];
    if (log.snapshot) {
      Y.applyUpdate(doc, log.snapshot.bytes, ROOT_ORIGIN);
      timestamps.push(log.snapshot.time / 1000);
    }
    for (const row of log.updates) {
      const steps = undo.undoStack.length;
      Y.applyUpdate(doc, row.bytes, TIMELINE_ORIGIN);
      if (undo.undoStack.length > steps) {
        timestamps.push(row.time / 1000);
      }
    }
    // Anything in the live room not in the log (nothing, normally) completes the view untracked.
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(root.doc, Y.encodeStateVector(doc)), ROOT_ORIGIN);
    const forkRoom = this.register({
      room,
      rootId: root.id,
      info: null,
      undo,
      detach: () => undo.destroy()
    });
    return { forkRoom, timestamps };
  }

  /** Moves a timeline view `steps` points back or forward; null when it is not a view. */
  step(forkId: string, action: 'undo' | 'redo', steps: number): number | null {
    const undo = this.entries.get(forkId)?.undo;
    if (!undo) {
      return null;
    }
    let moved = 0;
    for (; moved < steps; moved++) {
      const stack = action === 'undo' ? undo.undoStack : undo.redoStack;
      if (stack.length === 0) {
        break;
      }
      if (action === 'undo') {
        undo.undo();
      } else {
        undo.redo();
      }
    }
    return moved;
  }

  /**
   * Restores the root to a timeline view's current point: the view's difference becomes one new
   * update of `root` (logged under `user`). The view stays until its clients leave. False when
   * `forkId` is not a timeline view of `root`.
   */
  restore(forkId: string, root: Room, user: string): boolean {
    const entry = this.entries.get(forkId);
    if (!entry?.undo || entry.rootId !== root.id) {
      return false;
    }
    this.mergeInto(entry.room, root, user);
    return true;
  }

  /** Whether `forkId` is a fork or timeline view of `rootId`. */
  belongsTo(forkId: string, rootId: string): boolean {
    return this.entries.get(forkId)?.rootId === rootId;
  }

  /** Drops every fork (shutdown). */
  close(): void {
    for (const id of [...this.entries.keys()]) {
      this.drop(id, 'server shutting down');
    }
  }

  private mergeInto(from: Room, into: Room, user: string): void {
    const { Y } = yjs();
    const diff = Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(into.doc));
    if (into.applyChange(diff, user)) {
      this.options.log.info(`${user} merged fork/timeline changes into room ${into.id}.`);
    }
  }

  private newRoom(rootId: string, type: 'notebook' | 'file'): ForkRoom {
    let count = 0;
    for (const entry of this.entries.values()) {
      count += entry.rootId === rootId ? 1 : 0;
    }
    if (count >= this.options.maxForksPerRoom) {
      throw new TooManyForksError(rootId);
    }
    return new ForkRoom({
      id: randomUUID().replace(/-/g, ''),
      model: this.options.createModel(type),
      log: this.options.log,
      maxAwarenessBytes: this.options.maxAwarenessBytes
    });
  }

  private register(entry: ForkEntry): string {
    const id = entry.room.id;
    this.entries.set(id, entry);
    this.options.addRoom(id, entry.room);
    if (entry.undo) {
      // Timeline views go away once nobody looks at them.
      const expire = () => {
        entry.room.emptyTimer = setTimeout(
          () => this.drop(id, 'timeline closed'),
          this.options.idleMs
        );
        entry.room.emptyTimer.unref();
      };
      entry.room.onEmptied = expire;
      expire();
    }
    return id;
  }

  private drop(id: string, reason: string): void {
    const entry = this.entries.get(id);
    if (!entry) {
      return;
    }
    this.entries.delete(id);
    if (entry.room.emptyTimer !== null) {
      clearTimeout(entry.room.emptyTimer);
    }
    entry.room.onEmptied = () => undefined;
    entry.detach();
    entry.room.closeAll(CloseCode.goingAway, reason);
    this.options.removeRoom(id);
  }
}
