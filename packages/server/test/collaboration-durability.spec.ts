/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary notebook JSON */
import * as fs from 'node:fs';
import * as path from 'node:path';

import Database from 'better-sqlite3';

import { nodeFsLayer } from '../src/contents/atomic';
import type { FsLayer } from '../src';
import { notebook, startServer, tempDir, TestServer } from './helpers';
import { openSession, Peer, until } from './collab-client';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) {
    await fn();
  }
});

async function server(notebookDir: string, overrides = {}, deps = {}): Promise<TestServer> {
  const s = await startServer(
    { notebookDir, collabAutosaveDelayMs: 60_000, collabDiskPollMs: 60_000, ...overrides },
    deps
  );
  cleanup.push(() => s.close());
  return s;
}

async function peer(s: TestServer, file = 'a.ipynb'): Promise<Peer> {
  const { room, sessionId } = await openSession(s.request, file);
  const p = new Peer(s.port, room, sessionId);
  cleanup.push(() => p.dispose());
  await p.connect();
  return p;
}

function dirWithNotebook(source = 'x = 0'): string {
  const dir = tempDir('opsbook-collab-');
  fs.writeFileSync(path.join(dir, 'a.ipynb'), JSON.stringify(notebook(source)));
  return dir;
}

const sources = (p: Peer): string[] => (p.json() as any).cells.map((c: any) => c.source);

describe('collaboration durability', () => {
  it('rebuilds a room from the log after a restart without losing or duplicating edits', async () => {
    const dir = dirWithNotebook();
    const s1 = await server(dir, { collabCompactAfterUpdates: 7 });
    const a = await peer(s1);
    for (let i = 0; i < 20; i++) {
      a.nb.insertCell(a.nb.cells.length, { cell_type: 'code', source: `cell ${i}` });
    }
    a.nb.getCell(0).setSource('edited');
    const b = await peer(s1);
    await until(() => sources(b).length === 21);
    const before = a.json();
    await a.disconnect();
    await b.disconnect();
    await s1.close();

    const s2 = await server(dir);
    const c = await peer(s2);
    expect(c.json()).toEqual(before);
    // A stale client with the old items reconnects under the new session: no duplicates.
    const { sessionId } = await openSession(s2.request, 'a.ipynb');
    a.sessionId = sessionId;
    a.port = s2.port;
    await a.connect();
    await new Promise(r => setTimeout(r, 100));
    expect(sources(a)).toEqual(sources(c));
    expect(sources(c)).toHaveLength(21);
  });

  it('merges offline edits of a reconnecting client with edits made meanwhile', async () => {
    const dir = dirWithNotebook();
    const s = await server(dir);
    const a = await peer(s);
    const b = await peer(s);
    await a.disconnect();
    a.nb.getCell(0).setSource('offline edit');
    a.nb.insertCell(1, { cell_type: 'markdown', source: 'offline cell' });
    b.nb.insertCell(1, { cell_type: 'code', source: 'online cell' });
    await a.connect();
    await until(() => sources(b).length === 3 && sources(a).length === 3);
    expect(sources(a)).toEqual(sources(b));
    expect(sources(a)).toEqual(
      expect.arrayContaining(['offline edit', 'offline cell', 'online cell'])
    );
  });

  it('keeps edits across a restart with a new session id (1003, then re-PUT and reconnect)', async () => {
    const dir = dirWithNotebook();
    const s1 = await server(dir);
    const a = await peer(s1);
    a.nb.getCell(0).setSource('before restart');
    const b = await peer(s1);
    await until(() => sources(b)[0] === 'before restart');
    const oldSession = a.sessionId;
    await s1.close();
    const s2 = await server(dir);
    // The client keeps its old session id and gets told to reload.
    const stale = new Peer(s2.port, a.room, oldSession);
    cleanup.push(() => stale.dispose());
    await stale.connect();
    expect(stale.closes[0].code).toBe(1003);
    expect(JSON.parse(stale.closes[0].reason).reloadable).toBe(true);
    a.nb.getCell(0).setSource('after restart');
    const { sessionId } = await openSession(s2.request, 'a.ipynb');
    a.sessionId = sessionId;
    a.port = s2.port;
    await a.connect();
    const c = await peer(s2);
    await until(() => sources(c)[0] === 'after restart');
  });

  it('answers failed when the disk is full, keeps the file intact, and succeeds later', async () => {
    const dir = dirWithNotebook('original');
    let full = true;
    const failing: FsLayer = {
      ...nodeFsLayer,
      writeNew: async (file, data, mode) => {
        if (full) {
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        return nodeFsLayer.writeNew(file, data, mode);
      }
    };
    const s = await server(dir, {}, { fs: failing });
    const a = await peer(s);
    a.nb.getCell(0).setSource('new text');
    expect(await a.save(1)).toBe('failed');
    expect(fs.readFileSync(path.join(dir, 'a.ipynb'), 'utf8')).toContain('original');
    expect(sources(a)[0]).toBe('new text');
    expect(s.logs.some(l => l.level === 'error' && l.line.includes('Could not save'))).toBe(true);
    full = false;
    expect(await a.save(2)).toBe('success');
    expect(fs.readFileSync(path.join(dir, 'a.ipynb'), 'utf8')).toContain('new text');
  });

  it('recovers from the file with a warning when the log has a corrupted row', async () => {
    const dir = dirWithNotebook('on disk');
    const s1 = await server(dir);
    const a = await peer(s1);
    a.nb.getCell(0).setSource('logged only');
    const b = await peer(s1);
    await until(() => sources(b)[0] === 'logged only');
    await a.disconnect();
    await b.disconnect();
    await s1.close();
    fs.writeFileSync(path.join(dir, 'a.ipynb'), JSON.stringify(notebook('on disk')));
    const db = new Database(path.join(dir, '.opsbook', 'collaboration.sqlite'));
    // A clean shutdown compacted the log into the snapshot: corrupt that row.
    db.prepare('UPDATE snapshots SET bytes = ?').run(Buffer.from([0xff, 0xff, 0xff, 0x01, 0x07]));
    db.close();
    const s2 = await server(dir);
    const c = await peer(s2);
    expect(sources(c)).toEqual(['on disk']);
    expect(s2.logs.some(l => l.level === 'warn' && l.line.includes('corrupted'))).toBe(true);
    const check = new Database(path.join(dir, '.opsbook', 'collaboration.sqlite'), {
      readonly: true
    });
    expect((check.prepare('SELECT COUNT(*) AS n FROM quarantine').get() as any).n).toBeGreaterThan(
      0
    );
    check.close();
  });

  it('moves a corrupted database file aside and starts over from the files', async () => {
    const dir = dirWithNotebook('on disk');
    fs.mkdirSync(path.join(dir, '.opsbook'));
    fs.writeFileSync(
      path.join(dir, '.opsbook', 'collaboration.sqlite'),
      'this is not sqlite'.repeat(100)
    );
    const s = await server(dir);
    const c = await peer(s);
    expect(sources(c)).toEqual(['on disk']);
    expect(s.logs.some(l => l.level === 'warn' && l.line.includes('unreadable'))).toBe(true);
    expect(fs.readdirSync(path.join(dir, '.opsbook')).some(f => f.includes('.corrupt-'))).toBe(
      true
    );
  });
});
