/**
 * When a room's update log is folded into a snapshot: not while the room is busy (compaction of
 * a big document stalls the server for ~10 ms), but at the first pause after
 * `collabCompactAfterUpdates`, or at once after ten times that for a room that never pauses.
 */
import * as path from 'node:path';

import Database from 'better-sqlite3';

import type { TestServer } from './helpers';
import { CollabTest, openSession, Peer, until } from './collab-client';

const t = new CollabTest();
afterEach(() => t.closeAll());
const server = (overrides = {}): Promise<TestServer> => t.server(overrides);
const connect = (s: TestServer, room: string, sessionId: string): Promise<Peer> =>
  t.connect(s, room, sessionId);

/** Logged update rows of `room` (read-only, beside the server's own connection). */
function updateRows(s: TestServer, room: string): number {
  const db = new Database(path.join(s.notebookDir, '.opsbook', 'collaboration.sqlite'), {
    readonly: true
  });
  try {
    return (
      db.prepare('SELECT COUNT(*) AS n FROM updates WHERE room = ?').get(room) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

/** The update number the room's snapshot is at (0: the file as loaded). */
function snapshotSeq(s: TestServer, room: string): number {
  const db = new Database(path.join(s.notebookDir, '.opsbook', 'collaboration.sqlite'), {
    readonly: true
  });
  try {
    return (db.prepare('SELECT seq FROM snapshots WHERE room = ?').get(room) as { seq: number })
      .seq;
  } finally {
    db.close();
  }
}

/** Types `n` single characters into cell 0 of `a`, each seen by `b` before the next. */
async function type(a: Peer, b: Peer, n: number): Promise<void> {
  const text = a.nb.getCell(0).ysource;
  for (let i = 0; i < n; i++) {
    text.insert(text.length, 'x');
    const want = text.toString();
    await until(() => b.nb.getCell(0).getSource() === want);
  }
}

describe('collaboration compaction', () => {
  it('waits for a pause while the room is busy, and compacts at once at 10x the threshold', async () => {
    // A pause of a minute never comes during this test: only the 10x rule can compact.
    const s = await server({ collabCompactAfterUpdates: 5, collabCompactIdleMs: 60_000 });
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    const a = await connect(s, room, sessionId);
    const b = await connect(s, room, sessionId);
    await type(a, b, 20);
    // Due since the 5th update, yet all 20 typed updates (and the server's own `state` change)
    // are still in the log.
    expect(await until(() => updateRows(s, room) >= 20)).toBe(true);
    await type(a, b, 40);
    // The 50th logged update (10 x 5) compacted the room at once.
    expect(await until(() => snapshotSeq(s, room) >= 50)).toBe(true);
    expect(updateRows(s, room)).toBeLessThan(20);
    // Nothing was lost by folding: a new client gets every character.
    const c = await connect(s, room, sessionId);
    expect(c.nb.getCell(0).getSource()).toBe('v0' + 'x'.repeat(60));
  });

  it('compacts a due room once its updates pause', async () => {
    // Connecting and the server's own `state` change log a few updates too: 20 leaves room.
    const s = await server({ collabCompactAfterUpdates: 20, collabCompactIdleMs: 50 });
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    const a = await connect(s, room, sessionId);
    const b = await connect(s, room, sessionId);
    await type(a, b, 3);
    expect(await until(() => updateRows(s, room) >= 3)).toBe(true);
    // Not due yet (under 20 logged): no pause compacts it.
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(snapshotSeq(s, room)).toBe(0);
    await type(a, b, 20);
    // Due (over 20 logged), then no update for 50 ms: folded into the snapshot.
    expect(await until(() => snapshotSeq(s, room) >= 20)).toBe(true);
    expect(b.nb.getCell(0).getSource()).toBe('v0' + 'x'.repeat(23));
  });
});
