/**
 * The collaboration store: one SQLite database, `<stateDir>/collaboration.sqlite`, in WAL mode.
 *
 *   files(file_id TEXT PK, path TEXT UNIQUE, created REAL)
 *       stable file ids: the stock client names rooms `<format>:<type>:<fileId>`, and the id must
 *       survive renames and restarts.
 *   snapshots(room TEXT PK, seq INTEGER, time REAL, bytes BLOB)
 *       the room's whole document (Y.encodeStateAsUpdate) as of update `seq`; the first snapshot
 *       (seq 0) is the deterministic load of the file.
 *   updates(room TEXT, seq INTEGER, time REAL, user TEXT, bytes BLOB, PK(room, seq))
 *       every document update after the snapshot, one row per message, journaled BEFORE the
 *       update is relayed or applied (see below). Compaction folds them into a new snapshot.
 *   rooms(room TEXT PK, disk_hash TEXT, dirty INTEGER)
 *       what the server last read from or wrote to disk, and whether edits are unsaved, so a
 *       restart can tell an out-of-band change of the file from our own save.
 *   quarantine(room, kind, seq, time, user, bytes, moved, reason)
 *       rows that failed to decode or apply, moved aside (never silently deleted).
 *
 * Updates enter through the journal (`journal.ts`): `appendUpdate` appends the update there with
 * one write, so once it returns a killed process (SIGKILL) cannot lose it; the updates appended
 * within `DRAIN_DELAY_MS` are then inserted into `updates` in one transaction (`drain`, run from
 * a timer, i.e. well after the update was relayed). Every
 * method that reads or rewrites `updates` drains first, so callers always see every appended
 * update; opening the store inserts what a dead process left in the journal (see
 * `JOURNAL_CLEAR_BYTES` for when it is emptied). `synchronous=NORMAL`
 * in WAL mode does not fsync each commit, so a power cut may lose the last updates (the database
 * stays consistent, and a torn journal record is ignored with a warning). WAL checkpoints, the
 * only fsyncs, run in a worker thread (`checkpoint.ts`).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import Database from 'better-sqlite3';

import type { Logger } from '../log';
import { Checkpointer } from './checkpoint';
import { JOURNAL_FILE, JournalRecord, UpdateJournal } from './journal';

/** One logged update. */
export interface UpdateRow {
  seq: number;
  time: number;
  user: string;
  bytes: Uint8Array;
}

/** A room's persisted document: snapshot plus the updates after it. */
export interface RoomLog {
  snapshot: { seq: number; time: number; bytes: Uint8Array } | null;
  updates: UpdateRow[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (file_id TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (room TEXT PRIMARY KEY, seq INTEGER NOT NULL, time REAL NOT NULL, bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS updates (room TEXT NOT NULL, seq INTEGER NOT NULL, time REAL NOT NULL, user TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, disk_hash TEXT, dirty INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS quarantine (room TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER, time REAL, user TEXT, bytes BLOB, moved REAL NOT NULL, reason TEXT NOT NULL);
`;

/** The file name inside the state dir. */
export const STORE_FILE = 'collaboration.sqlite';

/**
 * The journal is emptied once it holds this much, not after every drain: truncating a file is one
 * more system call per update when updates arrive one per event-loop turn (typing). Records left
 * behind are already in the database; reinserting them after a crash is skipped (`INSERT OR
 * IGNORE`). Whenever rows are deleted (compaction, undo, reset, quarantine) the journal is
 * emptied at once, so a crash cannot bring deleted rows back.
 */
const JOURNAL_CLEAR_BYTES = 4 * 1024 * 1024;

/**
 * Journaled updates wait this long before they move into the database, so that the updates of
 * many event-loop turns share one SQLite transaction: while a team types in many rooms, updates
 * arrive one per turn, and a commit each (a WAL append and its locks, ~20-100 us, sometimes a
 * checkpoint) was most of the server's work per update. Durability does not depend on it: the
 * journal already holds every update.
 */
export const DRAIN_DELAY_MS = 50;
/** More pending updates than this drain after the current turn (bounds memory and the batch). */
export const DRAIN_MAX_PENDING = 1024;

/** File ids, the update log and snapshots. */
export class CollabStore {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<CollabStore['prepare']>;
  private readonly journal: UpdateJournal;
  private readonly log: Logger;
  /** Journaled updates not yet in `updates`, in append order. */
  private pending: JournalRecord[] = [];
  private drainTimer: NodeJS.Timeout | null = null;
  /** `pathOf` answers (file id -> path or null); cleared by `renamePath`, the only writer. */
  private readonly paths = new Map<string, string | null>();

  /** Runs the WAL checkpoints in a worker thread, from the first drain on (`checkpoint.ts`). */
  private readonly checkpointer: Checkpointer;

  private constructor(db: Database.Database, file: string, journalFile: string, log: Logger) {
    this.db = db;
    this.log = log;
    this.checkpointer = new Checkpointer(db, file, log);
    this.stmt = this.prepare();
    const { journal, records } = UpdateJournal.open(journalFile, log);
    this.journal = journal;
    if (records.length > 0) {
      // A previous process died before moving these into the database. Rows already there (it
      // died after the commit, before emptying the journal) are skipped.
      this.db.transaction(() => {
        for (const r of records) {
          this.stmt.recoverUpdate.run(r.room, r.seq, r.time, r.user, Buffer.from(r.bytes));
        }
      })();
      log.info(`Recovered ${records.length} collaboration updates from the journal.`);
    }
    this.clearJournalIfDrained();
  }

  /**
   * Opens (or creates) the store. A file that is not a readable database is renamed aside
   * (`collaboration.sqlite.corrupt-<time>`) with a warning and a fresh one is created: rooms then
   * load from their files.
   */
  static open(stateDir: string, log: Logger): CollabStore {
    const file = path.join(stateDir, STORE_FILE);
    const journal = path.join(stateDir, JOURNAL_FILE);
    let db: Database.Database;
    try {
      db = openDatabase(file);
    } catch (err) {
      const aside = `${file}.corrupt-${Date.now()}`;
      log.warn(
        `Collaboration store ${file} is unreadable (${(err as Error).message}); moved it to ${aside} and started a new one. Rooms reload from their files.`
      );
      for (const suffix of ['', '-wal', '-shm']) {
        if (fs.existsSync(file + suffix)) {
          fs.renameSync(file + suffix, aside + suffix);
        }
      }
      db = openDatabase(file);
    }
    return new CollabStore(db, file, journal, log);
  }

  private prepare() {
    const db = this.db;
    return {
      idForPath: db.prepare<[string], { file_id: string }>(
        'SELECT file_id FROM files WHERE path = ?'
      ),
      pathForId: db.prepare<[string], { path: string }>('SELECT path FROM files WHERE file_id = ?'),
      insertFile: db.prepare('INSERT INTO files (file_id, path, created) VALUES (?, ?, ?)'),
      deletePath: db.prepare('DELETE FROM files WHERE path = ?'),
      under: db.prepare<[string, string, string], { file_id: string; path: string }>(
        'SELECT file_id, path FROM files WHERE path = ? OR substr(path, 1, length(?)) = ?'
      ),
      setPath: db.prepare('UPDATE files SET path = ? WHERE file_id = ?'),
      snapshot: db.prepare<[string], { seq: number; time: number; bytes: Buffer }>(
        'SELECT seq, time, bytes FROM snapshots WHERE room = ?'
      ),
      updates: db.prepare<
        [string, number],
        { seq: number; time: number; user: string; bytes: Buffer }
      >('SELECT seq, time, user, bytes FROM updates WHERE room = ? AND seq > ? ORDER BY seq'),
      maxSeq: db.prepare<[string], { seq: number | null }>(
        'SELECT MAX(seq) AS seq FROM updates WHERE room = ?'
      ),
      insertUpdate: db.prepare(
        'INSERT INTO updates (room, seq, time, user, bytes) VALUES (?, ?, ?, ?, ?)'
      ),
      recoverUpdate: db.prepare(
        'INSERT OR IGNORE INTO updates (room, seq, time, user, bytes) VALUES (?, ?, ?, ?, ?)'
      ),
      deleteUpdate: db.prepare('DELETE FROM updates WHERE room = ? AND seq = ?'),
      putSnapshot: db.prepare(
        'INSERT OR REPLACE INTO snapshots (room, seq, time, bytes) VALUES (?, ?, ?, ?)'
      ),
      deleteUpTo: db.prepare('DELETE FROM updates WHERE room = ? AND seq <= ?'),
      roomInfo: db.prepare<[string], { disk_hash: string | null; dirty: number }>(
        'SELECT disk_hash, dirty FROM rooms WHERE room = ?'
      ),
      putRoomInfo: db.prepare(
        'INSERT INTO rooms (room, disk_hash, dirty) VALUES (?, ?, ?) ON CONFLICT(room) DO UPDATE SET disk_hash = excluded.disk_hash, dirty = excluded.dirty'
      ),
      quarantineSnapshot: db.prepare(
        "INSERT INTO quarantine (room, kind, seq, time, user, bytes, moved, reason) SELECT room, 'snapshot', seq, time, NULL, bytes, ?, ? FROM snapshots WHERE room = ?"
      ),
      quarantineUpdates: db.prepare(
        "INSERT INTO quarantine (room, kind, seq, time, user, bytes, moved, reason) SELECT room, 'update', seq, time, user, bytes, ?, ? FROM updates WHERE room = ?"
      ),
      dropSnapshot: db.prepare('DELETE FROM snapshots WHERE room = ?'),
      dropUpdates: db.prepare('DELETE FROM updates WHERE room = ?'),
      quarantined: db.prepare<[string], { n: number }>(
        'SELECT COUNT(*) AS n FROM quarantine WHERE room = ?'
      )
    };
  }

  /** The id of `apiPath`, or null when it has none yet. */
  fileIdOf(apiPath: string): string | null {
    return this.stmt.idForPath.get(apiPath)?.file_id ?? null;
  }

  /** The id of `apiPath`, creating one; `created` is true when it is new. */
  indexFile(apiPath: string): { fileId: string; created: boolean } {
    const existing = this.fileIdOf(apiPath);
    if (existing !== null) {
      return { fileId: existing, created: false };
    }
    const fileId = randomUUID();
    this.stmt.insertFile.run(fileId, apiPath, Date.now());
    return { fileId, created: true };
  }

  /** The current path of a file id, or null. */
  pathOf(fileId: string): string | null {
    // Asked on every disk check and save of every room: cached, and forgotten on any rename.
    let known = this.paths.get(fileId);
    if (known === undefined) {
      known = this.stmt.pathForId.get(fileId)?.path ?? null;
      this.paths.set(fileId, known);
    }
    return known;
  }

  /**
   * Records a rename or move of `from` (a file or a directory) to `to`; returns the ids whose
   * path changed with their new paths. A stale id left at `to` (deleted file) is dropped.
   */
  renamePath(from: string, to: string): { fileId: string; path: string }[] {
    const moved: { fileId: string; path: string }[] = [];
    this.paths.clear();
    this.db.transaction(() => {
      const rows = this.stmt.under.all(from, from + '/', from + '/');
      if (rows.length === 0) {
        return;
      }
      this.stmt.deletePath.run(to);
      for (const row of rows) {
        const next = to + row.path.slice(from.length);
        this.stmt.deletePath.run(next);
        this.stmt.setPath.run(next, row.file_id);
        moved.push({ fileId: row.file_id, path: next });
      }
    })();
    return moved;
  }

  /** The snapshot and the updates after it. */
  readRoom(room: string): RoomLog {
    this.drain();
    const snap = this.stmt.snapshot.get(room);
    const after = snap ? snap.seq : -1;
    return {
      snapshot: snap ? { seq: snap.seq, time: snap.time, bytes: new Uint8Array(snap.bytes) } : null,
      updates: this.stmt.updates.all(room, after).map(r => ({
        seq: r.seq,
        time: r.time,
        user: r.user,
        bytes: new Uint8Array(r.bytes)
      }))
    };
  }

  /** The highest sequence number used by `room` (snapshot or update), or 0. */
  lastSeq(room: string): number {
    this.drain();
    const snap = this.stmt.snapshot.get(room)?.seq ?? 0;
    return Math.max(snap, this.stmt.maxSeq.get(room)?.seq ?? 0);
  }

  /**
   * Appends an update: in the journal (durable against a killed process) when this returns, in
   * the database within `DRAIN_DELAY_MS` (see the file comment).
   */
  appendUpdate(room: string, seq: number, user: string, bytes: Uint8Array): void {
    const record = { room, seq, time: Date.now(), user, bytes };
    this.journal.append(record);
    this.pending.push(record);
    if (this.pending.length >= DRAIN_MAX_PENDING) {
      this.scheduleDrain(0);
    } else if (this.drainTimer === null) {
      this.scheduleDrain(DRAIN_DELAY_MS);
    }
  }

  /** (Re)schedules the drain `ms` from now (0: after this event-loop turn). */
  private scheduleDrain(ms: number): void {
    if (this.drainTimer !== null) {
      if (ms > 0) {
        return;
      }
      clearTimeout(this.drainTimer);
    }
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.drain();
    }, ms);
    this.drainTimer.unref();
  }

  /**
   * Moves the journaled updates into the database in one transaction and empties the journal.
   * If the transaction fails (disk full), the updates stay in the journal and in memory and the
   * next drain tries again.
   */
  drain(): void {
    if (this.pending.length === 0 || !this.db.open) {
      return;
    }
    const rows = this.pending;
    this.pending = [];
    this.checkpointer.start();
    try {
      this.db.transaction(() => {
        for (const r of rows) {
          this.stmt.insertUpdate.run(r.room, r.seq, r.time, r.user, Buffer.from(r.bytes));
        }
      })();
    } catch (err) {
      this.pending = rows.concat(this.pending);
      this.log.error(
        `Could not move ${rows.length} collaboration updates from the journal into the database; they stay in the journal and will be retried.`,
        err
      );
      return;
    }
    if (this.journal.bytes >= JOURNAL_CLEAR_BYTES) {
      this.journal.clear();
    }
  }

  /** Empties the journal unless a failed drain left updates only there and in memory. */
  private clearJournalIfDrained(): void {
    if (this.pending.length === 0) {
      this.journal.clear();
    }
  }

  /** Removes one update that turned out not to apply (it was never broadcast). */
  removeUpdate(room: string, seq: number): void {
    this.drain();
    this.stmt.deleteUpdate.run(room, seq);
    this.clearJournalIfDrained();
  }

  /** Replaces the room's history up to `seq` with one snapshot, in one transaction. */
  compact(room: string, seq: number, bytes: Uint8Array): void {
    this.drain();
    this.db.transaction(() => {
      this.stmt.putSnapshot.run(room, seq, Date.now(), Buffer.from(bytes));
      this.stmt.deleteUpTo.run(room, seq);
    })();
    this.clearJournalIfDrained();
  }

  /** Starts a room's history over from `bytes` (seq 0): first load, or recovery. */
  resetRoom(room: string, bytes: Uint8Array): void {
    this.drain();
    this.db.transaction(() => {
      this.stmt.dropUpdates.run(room);
      this.stmt.putSnapshot.run(room, 0, Date.now(), Buffer.from(bytes));
    })();
    this.clearJournalIfDrained();
  }

  /** Moves every row of `room` into the quarantine table (kept for manual recovery). */
  quarantineRoom(room: string, reason: string): void {
    this.drain();
    this.db.transaction(() => {
      const now = Date.now();
      this.stmt.quarantineSnapshot.run(now, reason, room);
      this.stmt.quarantineUpdates.run(now, reason, room);
      this.stmt.dropSnapshot.run(room);
      this.stmt.dropUpdates.run(room);
    })();
    this.clearJournalIfDrained();
  }

  /** How many quarantined rows `room` has (tests, diagnostics). */
  quarantinedCount(room: string): number {
    return this.stmt.quarantined.get(room)?.n ?? 0;
  }

  /** What the server last knew of the file on disk, and whether edits are unsaved. */
  roomInfo(room: string): { diskHash: string | null; dirty: boolean } | null {
    const row = this.stmt.roomInfo.get(room);
    return row ? { diskHash: row.disk_hash, dirty: row.dirty === 1 } : null;
  }

  /** Records the disk hash and dirty flag of a room. */
  setRoomInfo(room: string, diskHash: string | null, dirty: boolean): void {
    this.stmt.putRoomInfo.run(room, diskHash, dirty ? 1 : 0);
  }

  /** Checkpoints so far by the checkpoint thread (tests and benchmarks). */
  get checkpoints(): { running: boolean; checkpoints: number; frames: number } {
    return { running: this.checkpointer.running, ...this.checkpointer.stats };
  }

  /** Drains the journal and closes the database (checkpointing the WAL). */
  close(): void {
    if (this.db.open) {
      if (this.drainTimer !== null) {
        clearTimeout(this.drainTimer);
        this.drainTimer = null;
      }
      this.drain();
      this.checkpointer.close();
      this.db.close();
      this.journal.close();
    }
  }
}

function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // After a checkpoint lets the WAL restart, its file is cut back to this size.
    db.pragma('journal_size_limit = 67108864');
    db.exec(SCHEMA);
    // Reads the schema back: a damaged file fails here rather than on the first edit.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw new Error(`quick_check: ${String(check)}`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
