/**
 * The collaboration store's WAL checkpoints run in a worker thread: the main connection never
 * checkpoints while it runs, the thread really copies the WAL into the database file, closing
 * leaves no WAL behind, and a thread that cannot start hands checkpoints back to the main thread
 * with a warning.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import Database from 'better-sqlite3';

import { Checkpointer } from '../src/collaboration/checkpoint';
import { CollabStore, STORE_FILE } from '../src/collaboration/store';
import { createLogger } from '../src/log';
import { tempDir } from './helpers';

const lines: string[] = [];
const log = createLogger('info', (_level, line) => lines.push(line));
const ROOM = 'json:notebook:1234';

beforeEach(() => {
  lines.length = 0;
});

/** Polls `test` every 10 ms for up to `ms`. */
async function until(test: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) {
      return false;
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  return true;
}

/** A WAL-mode database with a table, as the store opens it. */
function walDatabase(dir: string): { db: Database.Database; file: string } {
  const file = path.join(dir, 'x.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)');
  return { db, file };
}

describe('collaboration store checkpoints', () => {
  it('starts the thread with the first write, and the main connection stops checkpointing', () => {
    const dir = tempDir('opsbook-checkpoint-');
    const store = CollabStore.open(dir, log);
    expect(store.checkpoints.running).toBe(false);
    store.appendUpdate(ROOM, 1, 'ana', new Uint8Array([1, 2, 3]));
    store.drain();
    expect(store.checkpoints.running).toBe(true);
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    store.close();
    // Both connections closed, the main one last: SQLite removed the WAL.
    expect(fs.existsSync(path.join(dir, `${STORE_FILE}-wal`))).toBe(false);
    expect(lines.filter(l => l.includes('checkpoint'))).toEqual([]);
  });

  it('copies the WAL into the database file from its own thread', async () => {
    const { db, file } = walDatabase(tempDir('opsbook-checkpoint-'));
    const checkpointer = new Checkpointer(db, file, log, 20);
    checkpointer.start();
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    db.transaction(() => {
      for (let k = 0; k < 2000; k++) {
        insert.run(k, Buffer.alloc(512, k % 256));
      }
    })();
    expect(await until(() => checkpointer.stats.frames > 0)).toBe(true);
    // The main connection would not have checkpointed: its WAL limit is off.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // What the thread copied is in the database file itself: a copy of that file alone (no WAL
    // beside it) holds every row.
    const copy = `${file}.copy`;
    fs.copyFileSync(file, copy);
    const snapshot = new Database(copy, { readonly: true });
    try {
      expect(snapshot.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 2000 });
    } finally {
      snapshot.close();
    }
    checkpointer.close();
    expect(checkpointer.running).toBe(false);
    db.close();
  });

  it('hands checkpoints back to the main connection, with a warning, when the thread fails', async () => {
    const dir = tempDir('opsbook-checkpoint-');
    const { db } = walDatabase(dir);
    // The thread cannot open a database in a directory that does not exist.
    const checkpointer = new Checkpointer(db, path.join(dir, 'missing', 'x.sqlite'), log, 20);
    checkpointer.start();
    expect(await until(() => !checkpointer.running)).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(lines.some(l => l.includes('checkpoint thread stopped'))).toBe(true);
    // Not restarted by later writes.
    checkpointer.start();
    expect(checkpointer.running).toBe(false);
    checkpointer.close();
    db.close();
  });
});
