/**
 * Per-update costs of our server's receive path, measured in this process on the compiled server
 * code (packages/server/lib), one step at a time, for the updates a typing client sends:
 *
 *   persist   `CollabStore.appendUpdate`: one journal record, one write() (what happens before
 *             the update is relayed)
 *   drain     `appendUpdate` + `CollabStore.drain` after every 5th append: one SQLite
 *             transaction (WAL, synchronous=NORMAL) per 5 updates, as when the server receives
 *             ~100 updates/s (the drain runs every 50 ms, long after the relay); the drain's cost
 *             lands on every 5th call
 *   commit    the INSERT with its own commit per update, no journal (what `persist` cost before
 *             the journal; not what the server does)
 *   batched   the same INSERT, all rows in ONE transaction (not what the server does)
 *   decode    `Y.decodeUpdate` (the validation `Room.receiveUpdate` does before persisting)
 *   apply     `Y.applyUpdate` into a server-side YNotebook (as the room does)
 *   frame     `encodeSyncUpdate` (the broadcast frame)
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';

import { REPO, tempDir } from './collab-harness.mjs';

const require = createRequire(import.meta.url);
/** Updates per drain in the `drain` step (see the file comment). */
const DRAIN_BATCH = 5;
const lib = f => require(path.join(REPO, 'packages', 'server', 'lib', 'collaboration', f));

/** µs per update of each step (see the file comment), over `n` updates. */
export function receivePathCosts(n = 10_000) {
  const { yjs } = lib('yjs.js');
  const { CollabStore } = lib('store.js');
  const { encodeSyncUpdate } = lib('protocol.js');
  const { notebookCodec } = lib('codec.js');
  const Database = require('better-sqlite3');
  const { Y } = yjs();
  const codec = notebookCodec();
  const content = {
    cells: [
      { cell_type: 'code', source: 'x = 1', metadata: {}, outputs: [], execution_count: null }
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  };
  const base = codec.initialUpdate(content);

  // The updates a client typing n characters into cell 0 sends.
  const writer = codec.create();
  Y.applyUpdate(writer.ydoc, base);
  const updates = [];
  writer.ydoc.on('update', u => updates.push(u));
  const text = writer.getCell(0).ysource;
  for (let i = 0; i < n; i++) {
    text.insert(text.length, 'x');
  }

  /** Times `step(update, i)` once per update: mean, p50, p99 (us), max (ms), calls over 1 ms. */
  const perCall = step => {
    const us = new Float64Array(updates.length);
    updates.forEach((u, i) => {
      const t0 = performance.now();
      step(u, i);
      us[i] = (performance.now() - t0) * 1000;
    });
    const sorted = [...us].sort((a, b) => a - b);
    const slow = sorted.filter(v => v > 1000);
    return {
      mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      p50: sorted[Math.floor(sorted.length * 0.5)],
      p99: sorted[Math.floor(sorted.length * 0.99)],
      maxMs: sorted[sorted.length - 1] / 1000,
      over1ms: slow.length,
      over1msTotalMs: slow.reduce((a, b) => a + b, 0) / 1000
    };
  };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const room = 'json:notebook:00000000-0000-4000-8000-000000000000';

  const decode = perCall(u => Y.decodeUpdate(u));

  const store = CollabStore.open(tempDir('opsbook-collab-bench-store-'), silent);
  store.resetRoom(room, base);
  const persist = perCall((u, i) => store.appendUpdate(room, i + 1, 'bench', u));
  store.close();
  const store2 = CollabStore.open(tempDir('opsbook-collab-bench-store-'), silent);
  store2.resetRoom(room, base);
  // Starts from a table already holding n rows, as after a while of typing.
  updates.forEach((u, i) => store2.appendUpdate(room, i + 1, 'bench', u));
  store2.drain();
  // The server drains every DRAIN_DELAY_MS (50 ms): at ~100 updates/s, 5 updates per drain.
  const drain = perCall((u, i) => {
    store2.appendUpdate(room, updates.length + i + 1, 'bench', u);
    if (i % DRAIN_BATCH === DRAIN_BATCH - 1) {
      store2.drain();
    }
  });
  store2.close();

  const db = new Database(path.join(tempDir('opsbook-collab-bench-sqlite-'), 'x.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE updates (room TEXT NOT NULL, seq INTEGER NOT NULL, time REAL NOT NULL, user TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID'
  );
  const insert = db.prepare(
    'INSERT INTO updates (room, seq, time, user, bytes) VALUES (?, ?, ?, ?, ?)'
  );
  let batched;
  db.transaction(() => {
    batched = perCall((u, i) => insert.run(room, i + 1, Date.now(), 'bench', Buffer.from(u)));
  })();
  db.close();

  const db2 = new Database(path.join(tempDir('opsbook-collab-bench-sqlite-'), 'x.sqlite'));
  db2.pragma('journal_mode = WAL');
  db2.pragma('synchronous = NORMAL');
  db2.exec(
    'CREATE TABLE updates (room TEXT NOT NULL, seq INTEGER NOT NULL, time REAL NOT NULL, user TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID'
  );
  const insert2 = db2.prepare(
    'INSERT INTO updates (room, seq, time, user, bytes) VALUES (?, ?, ?, ?, ?)'
  );
  const commit = perCall((u, i) => insert2.run(room, i + 1, Date.now(), 'bench', Buffer.from(u)));
  db2.close();

  const model = codec.create();
  Y.applyUpdate(model.ydoc, base);
  const apply = perCall(u => Y.applyUpdate(model.ydoc, u));
  const frame = perCall(u => encodeSyncUpdate(u));
  model.dispose();
  writer.dispose();
  return {
    n,
    bytes: updates.reduce((a, u) => a + u.length, 0) / n,
    steps: { decode, persist, drain, commit, batched, apply, frame }
  };
}

/**
 * What one compaction of a big room costs (`DocumentRoom.compact`, run synchronously on the
 * event loop every `collabCompactAfterUpdates` updates): `Y.encodeStateAsUpdate` of the whole
 * document, then `CollabStore.compact` (snapshot row written, 1,000 update rows deleted, one
 * transaction). Median ms of 3.
 */
export function compactionCost(content) {
  const { yjs } = lib('yjs.js');
  const { CollabStore } = lib('store.js');
  const { notebookCodec } = lib('codec.js');
  const { Y } = yjs();
  const codec = notebookCodec();
  const base = codec.initialUpdate(content);
  const model = codec.create();
  Y.applyUpdate(model.ydoc, base);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const store = CollabStore.open(tempDir('opsbook-collab-bench-compact-'), silent);
  const encode = [];
  const write = [];
  let bytes = 0;
  for (let r = 0; r < 3; r++) {
    const room = `json:notebook:00000000-0000-4000-8000-00000000000${r}`;
    store.resetRoom(room, base);
    for (let i = 1; i <= 1000; i++) {
      store.appendUpdate(room, i, 'bench', new Uint8Array(20));
    }
    let t0 = performance.now();
    const update = Y.encodeStateAsUpdate(model.ydoc);
    encode.push(performance.now() - t0);
    t0 = performance.now();
    store.compact(room, 1000, update);
    write.push(performance.now() - t0);
    bytes = update.length;
  }
  store.close();
  model.dispose();
  const mid = v => v.sort((a, b) => a - b)[1];
  return { cells: content.cells.length, bytes, encodeMs: mid(encode), storeMs: mid(write) };
}
