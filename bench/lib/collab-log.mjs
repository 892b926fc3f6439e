/**
 * Bulk edits and what they leave behind: `ingest` types N characters (N updates, one message
 * each) into cell 0 with a bounded number in flight and waits until an observer has them all;
 * `inspectStore` reads our server's update log (`<stateDir>/collaboration.sqlite`, see
 * packages/server/src/collaboration/store.ts) read-only while or after the server runs.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Sends `total` one-character inserts from `writer`, `batch` at a time synchronously, keeping at
 * most `2 * batch` unacknowledged (not yet seen by `observer`). Returns elapsed ms.
 */
export async function ingest(writer, observer, total, batch = 1000, timeoutMs = 120_000) {
  const text = writer.source(0);
  const seen = observer.source(0);
  let received = 0;
  let want = 0;
  let wake = null;
  const handler = () => {
    received++;
    if (wake && received >= want) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const reach = n =>
    received >= n
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          want = n;
          const timer = setTimeout(
            () =>
              reject(
                new Error(
                  `observer stuck at ${received}/${n} updates (writer close: ${writer.closed?.code ?? 'none'}, observer close: ${observer.closed?.code ?? 'none'})`
                )
              ),
            timeoutMs
          );
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
  seen.observe(handler);
  const letters = 'abcdefghijklmnopqrstuvwxyz ';
  const t0 = performance.now();
  try {
    for (let sent = 0; sent < total;) {
      const end = Math.min(total, sent + batch);
      for (; sent < end; sent++) {
        text.insert(text.length, letters[sent % letters.length]);
      }
      await reach(sent - batch);
    }
    await reach(total);
  } finally {
    seen.unobserve(handler);
  }
  return performance.now() - t0;
}

/** Rows and bytes of one room in our store, plus the database files' sizes. */
export function inspectStore(stateDir, room) {
  const Database = require('better-sqlite3');
  const file = path.join(stateDir, 'collaboration.sqlite');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const updates = db
      .prepare(
        'SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(bytes)), 0) AS bytes FROM updates WHERE room = ?'
      )
      .get(room);
    const snapshot = db
      .prepare('SELECT seq, LENGTH(bytes) AS bytes FROM snapshots WHERE room = ?')
      .get(room);
    const pageSize = db.pragma('page_size', { simple: true });
    const pages = db.pragma('page_count', { simple: true });
    const free = db.pragma('freelist_count', { simple: true });
    const size = f => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    return {
      updateRows: updates.n,
      updateBytes: updates.bytes,
      snapshotSeq: snapshot?.seq ?? null,
      snapshotBytes: snapshot?.bytes ?? 0,
      dbFile: size(file),
      walFile: size(file + '-wal'),
      liveBytes: (pages - free) * pageSize
    };
  } finally {
    db.close();
  }
}
