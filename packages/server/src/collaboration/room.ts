/**
 * A room: one shared Y.Doc, the connections editing it, and their awareness. This is the part
 * every room shares (document rooms, the global awareness room, forks); `DocumentRoom` adds the
 * file, the update log and saving.
 *
 * Order of an incoming update, which is what "acknowledged" means (see `DocumentRoom.persist`):
 * validate -> `persist` (the log row is committed) -> broadcast and apply. A peer that received
 * an update therefore proves it is logged.
 *
 * Which of broadcast and apply comes first depends on the message. A small incremental update
 * (one local change: typing) is relayed as received right after it is logged, and applied to
 * the room's document after that: applying runs the notebook model's observers, and peers should
 * not wait for them (that is most of the latency a persisting server adds). A sync step 2 answer
 * or a large update (a reconnecting client's offline work, which may repeat much the room
 * already has) is applied first and what was new is broadcast (the doc's 'update' event). An
 * update that decodes but cannot be applied is a protocol error either way: its log row is
 * removed and the sender disconnected.
 *
 * Changes the server makes itself (the `state` map, reloads from disk) go through the doc's
 * 'update' event with `SERVER_ORIGIN`, where they are persisted before being broadcast.
 */
import type * as Y from 'yjs';

import type { Logger } from '../log';
import type { Identity } from '../users';
import { AwarenessEntry, AwarenessRegistry, encodeAwarenessUpdate } from './awareness';
import type { SharedModel } from './codec';
import {
  encodeAwarenessMessage,
  encodeRaw,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  ProtocolError,
  SaveStatus,
  ServerRawMessage
} from './protocol';
import { yjs } from './yjs';

/** Transaction origin of changes the server makes itself. */
export const SERVER_ORIGIN = Symbol('opsbook-server');
/** Transaction origin while replaying the log (nothing to persist or broadcast). */
export const REPLAY_ORIGIN = Symbol('opsbook-replay');
/** Largest incremental update relayed before it is applied (see the file comment). */
export const RELAY_MAX_BYTES = 64 * 1024;

/** What a room needs from a connection. */
export interface Peer {
  readonly identity: Identity;
  /** Whether this user may change documents (role editor or owner). */
  readonly canWrite: boolean;
  /** Whether the client asked for autosave (its awareness `autosave` field). */
  autosave: boolean;
  send(message: Uint8Array): void;
  /** Closes the connection (the room is going away). */
  close(code: number, reason: string): void;
}

/** Options shared by every room. */
export interface RoomOptions {
  id: string;
  model: SharedModel;
  log: Logger;
  maxAwarenessBytes: number;
}

/** The shared part of every room (see the file comment). */
export class Room {
  readonly id: string;
  readonly model: SharedModel;
  readonly doc: Y.Doc;
  readonly peers = new Set<Peer>();
  protected readonly log: Logger;
  protected readonly awareness = new AwarenessRegistry();
  private readonly maxAwarenessBytes: number;
  private disposed = false;
  private readonly disposeCallbacks: (() => void)[] = [];
  /** Who server-side changes are logged as (see `applyChange`). */
  private actor = 'server';
  private serverChanges = 0;
  /** True while applying an update that was already relayed to the other peers. */
  private relayed = false;

  constructor(options: RoomOptions) {
    this.id = options.id;
    this.model = options.model;
    this.doc = options.model.ydoc;
    this.log = options.log;
    this.maxAwarenessBytes = options.maxAwarenessBytes;
    this.doc.on('update', this.onDocUpdate);
  }

  /** Adds a connection: sends our state vector (sync step 1), awareness, and any notice. */
  join(peer: Peer): void {
    this.peers.add(peer);
    const { Y } = yjs();
    peer.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const states = this.awareness.all();
    if (states.length > 0) {
      peer.send(encodeAwarenessMessage(encodeAwarenessUpdate(states)));
    }
  }

  /** Removes a connection and its awareness states. */
  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) {
      return;
    }
    const removed = this.awareness.removeOwner(peer);
    if (removed.length > 0) {
      this.broadcast(encodeAwarenessMessage(encodeAwarenessUpdate(removed)));
    }
    if (this.peers.size === 0) {
      this.onEmpty();
    }
  }

  /** Answers a client's sync step 1 with what it misses. */
  syncStep1(peer: Peer, stateVector: Uint8Array): void {
    const { Y } = yjs();
    let update: Uint8Array;
    try {
      update = Y.encodeStateAsUpdate(this.doc, stateVector);
    } catch (err) {
      throw new ProtocolError(`invalid state vector (${(err as Error).message})`);
    }
    peer.send(encodeSyncStep2(update));
  }

  /**
   * A document update from a client: checked, persisted, then relayed and applied (see the file
   * comment for the order). `incremental` is true for a sync "update" message. Throws
   * `ProtocolError` for an update Yjs cannot decode or apply.
   */
  receiveUpdate(peer: Peer, update: Uint8Array, incremental: boolean): void {
    const { Y } = yjs();
    let decoded: ReturnType<typeof Y.decodeUpdate>;
    try {
      decoded = Y.decodeUpdate(update);
    } catch (err) {
      throw new ProtocolError(`invalid Yjs update (${(err as Error).message})`);
    }
    if (decoded.structs.length === 0 && decoded.ds.clients.size === 0) {
      return;
    }
    if (!peer.canWrite) {
      this.log.warn(
        `Rejected a document update from ${peer.identity.username} in room ${this.id}: the user is a viewer.`
      );
      peer.send(
        encodeRaw({
          type: 'error',
          reason: 'read_only',
          message: 'You can view this document but not edit it: your changes were not saved.'
        })
      );
      return;
    }
    const undo = this.persist(update, peer.identity.username);
    const relay = incremental && update.length <= RELAY_MAX_BYTES;
    if (relay) {
      this.broadcast(encodeSyncUpdate(update), peer);
    }
    this.relayed = relay;
    try {
      Y.applyUpdate(this.doc, update, peer);
    } catch (err) {
      undo();
      throw new ProtocolError(`Yjs could not apply the update (${(err as Error).message})`);
    } finally {
      this.relayed = false;
    }
    this.afterClientUpdate();
  }

  /** An awareness update from a client: stamped with its identity and relayed to everyone. */
  receiveAwareness(peer: Peer, entries: AwarenessEntry[]): void {
    const accepted = this.awareness.apply(peer, entries);
    for (const entry of accepted) {
      if (entry.state !== null) {
        peer.autosave = entry.state.autosave === true;
      }
    }
    if (accepted.length > 0) {
      this.broadcast(encodeAwarenessMessage(encodeAwarenessUpdate(accepted)));
    }
    this.afterAwareness();
  }

  /** Answers a query-awareness message with every state. */
  queryAwareness(peer: Peer): void {
    peer.send(encodeAwarenessMessage(encodeAwarenessUpdate(this.awareness.all())));
  }

  /** A RAW save request; rooms without a file have nothing to save. */
  save(): Promise<SaveStatus> {
    return Promise.resolve('skipped');
  }

  /**
   * Applies a change made on a user's behalf by a REST request (timeline restore, fork merge):
   * logged under `user` as a new update, broadcast, and counted as an unsaved edit. Nothing is
   * rewritten: the change is one more update on top of the history. Returns false when the
   * update changed nothing (already applied).
   */
  applyChange(update: Uint8Array, user: string): boolean {
    const { Y } = yjs();
    return this.asActor(user, () => Y.applyUpdate(this.doc, update, SERVER_ORIGIN));
  }

  /**
   * Runs `change` on the room's document in one transaction of the server's own (persisted and
   * broadcast like any update, logged under `actor`, counted as an unsaved edit). Returns false
   * when it changed nothing.
   */
  changeAsServer(change: () => void, actor: string): boolean {
    return this.asActor(actor, () => this.doc.transact(change, SERVER_ORIGIN));
  }

  /** Runs `apply` (a server-origin change) logged under `actor`; false when it changed nothing. */
  private asActor(actor: string, apply: () => void): boolean {
    const previous = this.actor;
    const before = this.serverChanges;
    this.actor = actor;
    try {
      apply();
    } finally {
      this.actor = previous;
    }
    if (this.serverChanges === before) {
      return false;
    }
    this.afterClientUpdate();
    return true;
  }

  /** Whether `origin` (a transaction's) is one of this room's connections. */
  isPeer(origin: unknown): origin is Peer {
    return this.peers.has(origin as Peer);
  }

  /** Closes every connection (the room is removed); clients see `code`. */
  closeAll(code: number, reason: string): void {
    for (const peer of [...this.peers]) {
      peer.close(code, reason);
    }
  }

  /** Sends a message to every peer except `except`. */
  broadcast(message: Uint8Array, except?: Peer): void {
    for (const peer of this.peers) {
      if (peer !== except) {
        peer.send(message);
      }
    }
  }

  /** Sends a RAW JSON message to every peer. */
  broadcastRaw(message: ServerRawMessage): void {
    this.broadcast(encodeRaw(message));
  }

  /** Calls `fn` when the room is disposed. */
  onDispose(fn: () => void): void {
    this.disposeCallbacks.push(fn);
  }

  /** Stops the room and frees the document. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    for (const fn of this.disposeCallbacks.splice(0)) {
      fn();
    }
    this.doc.off('update', this.onDocUpdate);
    this.model.dispose();
  }

  /** Whether `dispose` was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The awareness limit connections check before calling `receiveAwareness`. */
  get awarenessLimit(): number {
    return this.maxAwarenessBytes;
  }

  /**
   * Persists an update before it is applied; returns how to take it back if applying fails.
   * In-memory rooms persist nothing.
   */
  protected persist(_update: Uint8Array, _user: string): () => void {
    return () => undefined;
  }

  /** Hook: a client update was applied. */
  protected afterClientUpdate(): void {}

  /** Hook: awareness changed (autosave flags may have). */
  protected afterAwareness(): void {}

  /** Hook: the last peer left. */
  protected onEmpty(): void {}

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === REPLAY_ORIGIN) {
      return;
    }
    if (this.peers.has(origin as Peer)) {
      // A client's update: persisted before it was applied; maybe relayed already.
      if (!this.relayed) {
        this.broadcast(encodeSyncUpdate(update), origin as Peer);
      }
      return;
    }
    // A change made by the server (or a peer that left meanwhile): persist, then broadcast.
    this.serverChanges++;
    this.persist(update, this.actor);
    this.broadcast(encodeSyncUpdate(update));
  };
}
