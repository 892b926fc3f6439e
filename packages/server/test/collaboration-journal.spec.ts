/**
 * The update journal in front of the SQLite log: what a killed process leaves there is recovered
 * exactly once, and a record cut short is ignored with a warning without losing the ones before.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import Database from 'better-sqlite3';

import { encodeRecord, JOURNAL_FILE, parseJournal } from '../src/collaboration/journal';
import {
  CollabStore,
  DRAIN_DELAY_MS,
  DRAIN_MAX_PENDING,
  STORE_FILE
} from '../src/collaboration/store';
import { createLogger } from '../src/log';
import { tempDir } from './helpers';

const lines: string[] = [];
const log = createLogger('info', (_level, line) => lines.push(line));
const ROOM = 'json:notebook:1234';
const LIB = path.resolve(__dirname, '..', 'lib', 'collaboration', 'store.js');

beforeEach(() => {
  lines.length = 0;
});

const update = (i: number): Uint8Array => new Uint8Array([i % 256, 1, 2, 3]);

describe('collaboration journal', () => {
  it('recovers every update a SIGKILLed process appended but never moved to SQLite', () => {
    const dir = tempDir('opsbook-journal-');
    // A real process: opens the store, appends 500 updates in one event-loop turn (so no drain
    // has run), and kills itself.
    const script = `
      const { CollabStore } = require(${JSON.stringify(LIB)});
      const log = { debug() {}, info() {}, warn() {}, error() {} };
      const store = CollabStore.open(${JSON.stringify(dir)}, log);
      for (let i = 1; i <= 500; i++) store.appendUpdate(${JSON.stringify(ROOM)}, i, 'ana', new Uint8Array([i % 256, 1, 2, 3]));
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['-e', script]);
    expect(child.signal).toBe('SIGKILL');
    expect(fs.statSync(path.join(dir, JOURNAL_FILE)).size).toBeGreaterThan(0);

    const store = CollabStore.open(dir, log);
    const { updates } = store.readRoom(ROOM);
    expect(updates.map(u => u.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(Array.from(updates[41].bytes)).toEqual(Array.from(update(42)));
    expect(updates[0].user).toBe('ana');
    expect(lines.some(l => l.includes('Recovered 500 collaboration updates'))).toBe(true);
    expect(fs.statSync(path.join(dir, JOURNAL_FILE)).size).toBe(0);
    store.close();
  });

  it('moves appended updates into SQLite in one batch, DRAIN_DELAY_MS after the first', async () => {
    const dir = tempDir('opsbook-journal-');
    const store = CollabStore.open(dir, log);
    store.appendUpdate(ROOM, 1, 'ana', update(1));
    const db = new Database(path.join(dir, STORE_FILE), { readonly: true });
    const rows = (): number =>
      (db.prepare('SELECT COUNT(*) AS n FROM updates').get() as { n: number }).n;
    await new Promise(resolve => setImmediate(resolve));
    // Not after the turn: later updates join the batch.
    expect(rows()).toBe(0);
    store.appendUpdate(ROOM, 2, 'ben', update(2));
    await new Promise(resolve => setTimeout(resolve, DRAIN_DELAY_MS + 20));
    expect(rows()).toBe(2);
    db.close();
    expect(store.readRoom(ROOM).updates.map(u => [u.seq, u.user])).toEqual([
      [1, 'ana'],
      [2, 'ben']
    ]);
    store.close();
  });

  it('drains after the turn once DRAIN_MAX_PENDING updates wait, and readers never wait', async () => {
    const dir = tempDir('opsbook-journal-');
    const store = CollabStore.open(dir, log);
    const db = new Database(path.join(dir, STORE_FILE), { readonly: true });
    const rows = (): number =>
      (db.prepare('SELECT COUNT(*) AS n FROM updates').get() as { n: number }).n;
    for (let i = 1; i <= DRAIN_MAX_PENDING; i++) {
      store.appendUpdate(ROOM, i, 'ana', update(i));
    }
    expect(rows()).toBe(0);
    // Well before DRAIN_DELAY_MS: the full batch did not wait for the timer.
    await new Promise(resolve => setTimeout(resolve, 5));
    expect(rows()).toBe(DRAIN_MAX_PENDING);
    // A reader of the log sees an update appended a moment ago (it drains first).
    store.appendUpdate(ROOM, DRAIN_MAX_PENDING + 1, 'ana', update(0));
    expect(store.readRoom(ROOM).updates).toHaveLength(DRAIN_MAX_PENDING + 1);
    expect(rows()).toBe(DRAIN_MAX_PENDING + 1);
    db.close();
    store.close();
  });

  it('empties the journal when rows are deleted, so a crash cannot bring them back', () => {
    const dir = tempDir('opsbook-journal-');
    const store = CollabStore.open(dir, log);
    store.resetRoom(ROOM, new Uint8Array([0, 0]));
    for (let i = 1; i <= 3; i++) {
      store.appendUpdate(ROOM, i, 'ana', update(i));
    }
    store.removeUpdate(ROOM, 3); // the update that failed to apply
    expect(fs.statSync(path.join(dir, JOURNAL_FILE)).size).toBe(0);
    store.appendUpdate(ROOM, 4, 'ana', update(4));
    store.compact(ROOM, 4, new Uint8Array([0, 0]));
    expect(fs.statSync(path.join(dir, JOURNAL_FILE)).size).toBe(0);
    store.close();
    const again = CollabStore.open(dir, log);
    const { snapshot, updates } = again.readRoom(ROOM);
    expect(snapshot?.seq).toBe(4);
    expect(updates).toEqual([]);
    again.close();
  });

  it('does not duplicate updates that reached SQLite before the journal was emptied', () => {
    const dir = tempDir('opsbook-journal-');
    const store = CollabStore.open(dir, log);
    store.appendUpdate(ROOM, 1, 'ana', update(1));
    store.appendUpdate(ROOM, 2, 'ana', update(2));
    store.close(); // drained: both rows in SQLite, journal empty
    // As if the process died between the commit and emptying the journal.
    fs.writeFileSync(
      path.join(dir, JOURNAL_FILE),
      Buffer.concat([1, 2, 3].map(i => encodeRecord(rec(i))))
    );
    const again = CollabStore.open(dir, log);
    expect(again.readRoom(ROOM).updates.map(u => u.seq)).toEqual([1, 2, 3]);
    again.close();
  });

  it('ignores a record cut short and keeps the ones before it, with a warning', () => {
    const dir = tempDir('opsbook-journal-');
    const whole = Buffer.concat([1, 2, 3].map(i => encodeRecord(rec(i))));
    fs.writeFileSync(path.join(dir, JOURNAL_FILE), whole.subarray(0, whole.length - 3));
    const store = CollabStore.open(dir, log);
    expect(store.readRoom(ROOM).updates.map(u => u.seq)).toEqual([1, 2]);
    expect(lines.some(l => /ends with \d+ unreadable bytes/.test(l))).toBe(true);
    store.close();
  });

  it('stops at a record whose checksum does not match', () => {
    const records = [1, 2, 3].map(i => encodeRecord(rec(i)));
    records[1][records[1].length - 1] ^= 0xff;
    const data = Buffer.concat(records);
    const { records: parsed, end } = parseJournal(data);
    expect(parsed.map(r => r.seq)).toEqual([1]);
    expect(end).toBe(records[0].length);
  });

  it('round-trips non-ASCII room and user names and empty updates', () => {
    const r = { room: 'json:notebook:é', seq: 7, time: 1.5, user: 'Zoë', bytes: new Uint8Array() };
    const { records } = parseJournal(encodeRecord(r));
    expect(records).toEqual([r]);
  });
});

function rec(i: number) {
  return { room: ROOM, seq: i, time: 1000 + i, user: 'ana', bytes: update(i) };
}
