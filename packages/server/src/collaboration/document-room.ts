/**
 * A room backed by a file: loads it, logs every update, saves, and watches the file on disk.
 *
 * Load (`DocumentRoom.load`): the room's document is its snapshot plus the logged updates after
 * it. The first time a file is opened there is no snapshot: the deterministic initial update of
 * the file (see `codec.ts`) becomes snapshot 0. If any row fails to decode or apply, every row of
 * the room is moved to quarantine with a warning and the room starts over from the file.
 *
 * Saving: a RAW save request saves at once; autosave saves `collabAutosaveDelayMs` after the last
 * change (at most ten times that after the first) while a client has `autosave` on. Saves go
 * through the contents store (atomic write, model, hash) and are serialised; a failed save
 * answers 'failed' and keeps the room dirty, so a later save retries. A save first checks the
 * file: if it changed on disk unnoticed (between two polls), the save raises the conflict below
 * instead of overwriting that version.
 *
 * Disk: every `collabDiskPollMs` the file's mtime and size are checked, and on a change its hash.
 * Same content: nothing. Room clean: the file is loaded into the room as a normal change. Room
 * dirty: the room keeps its content, the disk version is kept (`conflict`, and a copy under
 * `<stateDir>/conflicts/`), autosave stops, and the conflict is published in the `state` map
 * (`CONFLICT_STATE_KEY`: fileId, detectedAt, diskHash); the next explicit save (`keepRoom()` or a
 * RAW save) or `takeDisk()` resolves it and deletes the key. The conflict itself lives in memory
 * only: a room loaded after a restart drops a stale key and checks the file again.
 */
import { createHash } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import type { ContentsStore } from '../contents/store';
import { serializeNotebook } from '../contents/notebook';
import type { Logger } from '../log';
import type { DocumentCodec } from './codec';
import type { DiskPoller } from './disk-poll';
import { REPLAY_ORIGIN, Room, SERVER_ORIGIN } from './room';
import type { CollabStore } from './store';
import { CONFLICT_STATE_KEY, type ConflictState, SaveStatus } from './protocol';
import { yjs } from './yjs';

/** Limits a document room uses (from `ServerConfig`). */
export interface DocumentRoomLimits {
  compactAfterUpdates: number;
  compactIdleMs: number;
  autosaveDelayMs: number;
  maxAwarenessBytes: number;
}

/** What loading a document room needs. */
export interface DocumentRoomOptions {
  id: string;
  fileId: string;
  codec: DocumentCodec;
  store: CollabStore;
  contents: ContentsStore;
  limits: DocumentRoomLimits;
  /** Checks the file every `collabDiskPollMs`, in turn with the other rooms. */
  poller: DiskPoller;
  log: Logger;
  /** Called when the last peer leaves (the manager schedules eviction). */
  onEmpty: (room: DocumentRoom) => void;
  /** Called after each successful save (per-cell history records changed cells). */
  onSaved?: (room: DocumentRoom) => void;
}

/** Where a room failed to load, mapped to the close code by the manager. */
export class RoomLoadError extends Error {
  constructor(
    readonly kind: 'notFound' | 'badRequest' | 'serverError',
    message: string
  ) {
    super(message);
    this.name = 'RoomLoadError';
  }
}

/** The disk version kept while the room has unsaved edits and the file changed. */
export interface Conflict {
  diskContent: unknown;
  diskHash: string;
  detectedAt: string;
  /** Copy of the disk version under the state dir. */
  savedCopy: string;
}

/** A disk check resolves the file's real path afresh at least this often (see `statFile`). */
const RESOLVE_EVERY = 20;

/** A file-backed room (see the file comment). */
export class DocumentRoom extends Room {
  readonly fileId: string;
  conflict: Conflict | null = null;
  private readonly opts: DocumentRoomOptions;
  private seq: number;
  private snapshotSeq: number;
  private dirty = false;
  private changes = 0;
  private diskHash: string | null;
  private diskStamp = '';
  private saving: Promise<unknown> = Promise.resolve();
  private autosaveTimer: NodeJS.Timeout | null = null;
  private compactTimer: NodeJS.Timeout | null = null;
  private firstUnsavedAt = 0;
  private readonly stopPolling: () => void;
  private polling = false;
  /** The real path `statFile` last resolved, for which API path, and how often it was used. */
  private real: { apiPath: string; real: string; uses: number } | null = null;

  private constructor(options: DocumentRoomOptions, seq: number, diskHash: string | null) {
    super({
      id: options.id,
      model: options.codec.create(),
      log: options.log,
      maxAwarenessBytes: options.limits.maxAwarenessBytes
    });
    this.opts = options;
    this.fileId = options.fileId;
    this.seq = seq;
    this.snapshotSeq = seq;
    this.diskHash = diskHash;
    this.stopPolling = options.poller.add(() => this.checkDisk());
  }

  /** Loads a room (see the file comment). Throws `RoomLoadError`. */
  static async load(options: DocumentRoomOptions): Promise<DocumentRoom> {
    const { store, id, log } = options;
    const apiPath = store.pathOf(options.fileId);
    if (apiPath === null) {
      throw new RoomLoadError('notFound', `no file has id ${options.fileId}`);
    }
    const file = await readFile(options, apiPath);
    const saved = store.readRoom(id);
    const info = store.roomInfo(id);
    const room = new DocumentRoom(options, store.lastSeq(id), info?.diskHash ?? file.hash);
    const { Y } = yjs();
    let fromLog = false;
    if (saved.snapshot) {
      try {
        room.doc.transact(() => {
          for (const bytes of [saved.snapshot!.bytes, ...saved.updates.map(u => u.bytes)]) {
            Y.decodeUpdate(bytes);
            Y.applyUpdate(room.doc, bytes, REPLAY_ORIGIN);
          }
        }, REPLAY_ORIGIN);
        fromLog = true;
      } catch (err) {
        log.warn(
          `The update log of ${apiPath} (room ${id}) is corrupted (${(err as Error).message}); its rows were moved to the quarantine table and the room was reloaded from the file. Unsaved edits, if any, are in the quarantined rows.`
        );
        store.quarantineRoom(id, (err as Error).message);
        room.model.dispose();
        return DocumentRoom.load(options);
      }
    }
    if (!fromLog) {
      const base = options.codec.initialUpdate(file.content);
      store.resetRoom(id, base);
      Y.applyUpdate(room.doc, base, REPLAY_ORIGIN);
      room.seq = room.snapshotSeq = 0;
      room.diskHash = file.hash;
      store.setRoomInfo(id, file.hash, false);
    } else {
      room.snapshotSeq = saved.snapshot!.seq;
      room.dirty = info?.dirty ?? false;
    }
    room.diskStamp = file.stamp;
    room.setState({
      path: apiPath,
      hash: room.diskHash,
      dirty: room.dirty,
      [CONFLICT_STATE_KEY]: undefined
    });
    if (fromLog && file.hash !== room.diskHash) {
      // The file changed while the server was down.
      await room.onDiskChanged(file.content, file.hash);
    }
    return room;
  }

  /** The file's current path (follows renames). */
  get path(): string {
    return this.opts.store.pathOf(this.fileId) ?? '';
  }

  /** Whether the room has edits not yet saved to disk. */
  get isDirty(): boolean {
    return this.dirty;
  }

  /** The room's content as the file would be saved (notebook JSON or text). */
  currentContent(): unknown {
    return this.opts.codec.serialize(this.model);
  }

  /** Pushes a rename to clients (`state.path`). */
  renamed(newPath: string): void {
    this.setState({ path: newPath });
  }

  /** Saves now (serialised with other saves). */
  override save(): Promise<SaveStatus> {
    const run = this.saving.then(() => this.saveNow());
    this.saving = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves a conflict by saving the room over the disk version ("keep mine"). False when there
   * is no conflict (already resolved); otherwise the save's status.
   */
  async keepRoom(): Promise<SaveStatus | false> {
    if (!this.conflict) {
      return false;
    }
    return this.save();
  }

  /** Resolves a conflict by loading the disk version into the room. */
  async takeDisk(): Promise<boolean> {
    if (!this.conflict) {
      return false;
    }
    const { diskContent, diskHash } = this.conflict;
    this.conflict = null;
    this.reload(diskContent, diskHash);
    return true;
  }

  /** Saves if dirty, compacts, and frees the room (idle eviction, shutdown). */
  async flushAndDispose(): Promise<void> {
    this.stopPolling();
    this.clearAutosave();
    if (this.dirty && !this.conflict) {
      await this.save();
    }
    await this.saving;
    if (this.seq > this.snapshotSeq) {
      this.compact();
    }
    this.dispose();
  }

  override dispose(): void {
    this.stopPolling();
    this.clearAutosave();
    this.cancelCompaction();
    super.dispose();
  }

  protected override persist(update: Uint8Array, user: string): () => void {
    const seq = ++this.seq;
    this.opts.store.appendUpdate(this.id, seq, user, update);
    this.scheduleCompaction();
    return () => this.opts.store.removeUpdate(this.id, seq);
  }

  protected override afterClientUpdate(): void {
    this.changes++;
    if (!this.dirty) {
      this.dirty = true;
      this.opts.store.setRoomInfo(this.id, this.diskHash, true);
      this.setState({ dirty: true });
    }
    this.scheduleAutosave();
  }

  protected override afterAwareness(): void {
    if (this.dirty) {
      this.scheduleAutosave();
    }
  }

  protected override onEmpty(): void {
    this.opts.onEmpty(this);
  }

  /**
   * Compaction is due after `compactAfterUpdates` updates; it then waits for `compactIdleMs`
   * without updates (the timer restarts with each one), and happens at once after ten times as
   * many (a room that never pauses). It runs in a microtask or a timer, never before the update
   * that made it due was relayed.
   */
  private scheduleCompaction(): void {
    const { compactAfterUpdates, compactIdleMs } = this.opts.limits;
    const pending = this.seq - this.snapshotSeq;
    if (pending < compactAfterUpdates) {
      return;
    }
    if (pending >= 10 * compactAfterUpdates) {
      this.cancelCompaction();
      queueMicrotask(() => this.compact());
    } else if (this.compactTimer !== null) {
      this.compactTimer.refresh();
    } else {
      this.compactTimer = setTimeout(() => {
        this.compactTimer = null;
        this.compact();
      }, compactIdleMs);
      this.compactTimer.unref();
    }
  }

  private cancelCompaction(): void {
    if (this.compactTimer !== null) {
      clearTimeout(this.compactTimer);
      this.compactTimer = null;
    }
  }

  private compact(): void {
    this.cancelCompaction();
    if (this.isDisposed || this.seq <= this.snapshotSeq) {
      return;
    }
    const { Y } = yjs();
    this.opts.store.compact(this.id, this.seq, Y.encodeStateAsUpdate(this.doc));
    this.snapshotSeq = this.seq;
  }

  private scheduleAutosave(): void {
    if (this.conflict || ![...this.peers].some(p => p.autosave)) {
      return;
    }
    const now = Date.now();
    if (this.autosaveTimer === null) {
      this.firstUnsavedAt = now;
    } else {
      clearTimeout(this.autosaveTimer);
    }
    const delay = this.opts.limits.autosaveDelayMs;
    const wait = Math.min(delay, Math.max(0, this.firstUnsavedAt + 10 * delay - now));
    this.autosaveTimer = setTimeout(() => {
      this.autosaveTimer = null;
      void this.save();
    }, wait);
  }

  private clearAutosave(): void {
    if (this.autosaveTimer !== null) {
      clearTimeout(this.autosaveTimer);
      this.autosaveTimer = null;
    }
  }

  private async saveNow(): Promise<SaveStatus> {
    if (this.isDisposed) {
      return 'skipped';
    }
    const { codec, contents } = this.opts;
    const apiPath = this.path;
    const changesAtStart = this.changes;
    try {
      // The file changed since we last read or wrote it and the poll has not seen it yet:
      // writing now would silently destroy that version. A dirty room raises the conflict
      // instead (an explicit save after it, "keep mine", overwrites knowingly); a clean room
      // has just been reloaded from it.
      const unnoticed = this.conflict ? 'none' : await this.changedOnDiskUnnoticed();
      if (unnoticed !== 'none') {
        return unnoticed === 'conflict' ? 'failed' : 'success';
      }
      const content = codec.serialize(this.model);
      const bytes =
        codec.contentsType === 'notebook'
          ? serializeNotebook(content as Record<string, unknown>)
          : String(content);
      const hash = sha256(bytes);
      if (hash !== this.diskHash || this.conflict) {
        const { model } = await contents.save(apiPath.split('/'), {
          type: codec.contentsType,
          format: codec.contentsFormat,
          content
        });
        this.diskHash = model.hash ?? hash;
        this.diskStamp = `${model.last_modified}|${model.size}`;
        if (this.conflict) {
          this.log.info(`Saved ${apiPath} over the changed file (conflict resolved by saving).`);
          this.conflict = null;
        }
      }
      const clean = this.changes === changesAtStart;
      this.dirty = !clean;
      this.opts.store.setRoomInfo(this.id, this.diskHash, this.dirty);
      this.setState({ hash: this.diskHash, dirty: this.dirty, [CONFLICT_STATE_KEY]: undefined });
      this.opts.onSaved?.(this);
      return 'success';
    } catch (err) {
      this.log.error(`Could not save ${apiPath} (room ${this.id}); the room keeps its edits.`, err);
      return 'failed';
    }
  }

  /**
   * Before a save: whether the file changed on disk since our last read or write (then handled
   * as `onDiskChanged`, which raises a conflict for a dirty room).
   */
  private async changedOnDiskUnnoticed(): Promise<'none' | 'conflict' | 'reloaded'> {
    const apiPath = this.path;
    try {
      const stat = await this.statFile(apiPath);
      if (`${stat.mtime.toISOString()}|${stat.size}` === this.diskStamp) {
        return 'none';
      }
    } catch {
      return 'none'; // Gone or unreadable: the save reports its own error.
    }
    const file = await readFile(this.opts, apiPath);
    this.diskStamp = file.stamp;
    if (file.hash === this.diskHash) {
      return 'none';
    }
    await this.onDiskChanged(file.content, file.hash);
    return this.conflict !== null ? 'conflict' : 'reloaded';
  }

  private async checkDisk(): Promise<void> {
    if (this.polling || this.isDisposed) {
      return;
    }
    this.polling = true;
    try {
      await this.saving;
      const apiPath = this.path;
      const stat = await this.statFile(apiPath);
      if (`${stat.mtime.toISOString()}|${stat.size}` === this.diskStamp) {
        return;
      }
      const file = await readFile(this.opts, apiPath);
      this.diskStamp = file.stamp;
      if (file.hash !== this.diskHash && file.hash !== this.conflict?.diskHash) {
        await this.onDiskChanged(file.content, file.hash);
      }
    } catch (err) {
      this.log.debug(`Disk check of room ${this.id} failed: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /**
   * The file's stat. Resolving the real path (symlinks, the root check) is most of a check's cost,
   * so it is kept and redone when the path changed (rename), when the stat fails (the file was
   * replaced or removed) and every `RESOLVE_EVERY` uses (a symlink retargeted in place). Only the
   * stat goes through the cached path: reading the file resolves it afresh.
   *
   * The stat through the cached path is synchronous: on a local disk it takes ~2 us, where the
   * thread-pool round trip of `fs.promises.stat` costs ~40 us of CPU, on a server that checks
   * every open room's file every few seconds. (A notebook directory on a hung network mount
   * would stall the server either way: the thread pool's four threads block on it at once.)
   */
  private async statFile(apiPath: string): Promise<Stats> {
    const cached = this.real;
    if (cached && cached.apiPath === apiPath && ++cached.uses < RESOLVE_EVERY) {
      const stat = statSync(cached.real, { throwIfNoEntry: false });
      if (stat) {
        return stat;
      }
    }
    const real = await this.opts.contents.resolveExisting(apiPath.split('/'));
    this.real = { apiPath, real, uses: 0 };
    return fs.stat(real);
  }

  private async onDiskChanged(content: unknown, hash: string): Promise<void> {
    const apiPath = this.path;
    if (!this.dirty) {
      this.log.info(`${apiPath} changed on disk; reloading the room (it had no unsaved edits).`);
      this.reload(content, hash);
      return;
    }
    const dir = path.join(this.opts.contents.stateDir, 'conflicts');
    await fs.mkdir(dir, { recursive: true });
    const savedCopy = path.join(
      dir,
      `${this.fileId}-${Date.now()}-${path.posix.basename(apiPath)}`
    );
    const text =
      this.opts.codec.contentsType === 'notebook'
        ? serializeNotebook(content as Record<string, unknown>)
        : String(content);
    await fs.writeFile(savedCopy, text);
    this.conflict = {
      diskContent: content,
      diskHash: hash,
      detectedAt: new Date().toISOString(),
      savedCopy
    };
    this.clearAutosave();
    this.log.warn(
      `${apiPath} changed on disk while the room had unsaved edits: kept the room's content, copied the disk version to ${savedCopy}, and told the clients.`
    );
    const published: ConflictState = {
      fileId: this.fileId,
      detectedAt: this.conflict.detectedAt,
      diskHash: hash
    };
    this.setState({ [CONFLICT_STATE_KEY]: published });
  }

  private reload(content: unknown, hash: string): void {
    this.doc.transact(() => this.opts.codec.replace(this.model, content), SERVER_ORIGIN);
    this.diskHash = hash;
    this.dirty = false;
    this.opts.store.setRoomInfo(this.id, hash, false);
    this.setState({ hash, dirty: false, [CONFLICT_STATE_KEY]: undefined });
  }

  /**
   * Writes changed keys of the `state` map as one server change; `undefined` deletes a key.
   * Objects always count as changed.
   */
  private setState(values: Record<string, unknown>): void {
    const state = this.doc.getMap('state');
    const changed = Object.entries(values).filter(([k, v]) =>
      v === undefined ? state.has(k) : state.get(k) !== v
    );
    if (changed.length === 0) {
      return;
    }
    const { plain } = yjs();
    this.doc.transact(() => {
      for (const [k, v] of changed) {
        if (v === undefined) {
          state.delete(k);
        } else {
          state.set(k, typeof v === 'object' && v !== null ? plain(v) : v);
        }
      }
    }, SERVER_ORIGIN);
  }
}

/** Reads the room's file with its hash and an mtime|size stamp; throws `RoomLoadError`. */
async function readFile(
  options: DocumentRoomOptions,
  apiPath: string
): Promise<{ content: unknown; hash: string; stamp: string }> {
  try {
    const model = await options.contents.get(apiPath.split('/'), {
      content: true,
      hash: true,
      type: options.codec.contentsType,
      format: options.codec.contentsFormat
    });
    return {
      content: model.content,
      hash: model.hash ?? '',
      stamp: `${model.last_modified}|${model.size}`
    };
  } catch (err) {
    const status = (err as { status?: number }).status;
    const kind =
      status === 404 ? 'notFound' : status === 400 || status === 413 ? 'badRequest' : 'serverError';
    throw new RoomLoadError(kind, `cannot read ${apiPath}: ${(err as Error).message}`);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
