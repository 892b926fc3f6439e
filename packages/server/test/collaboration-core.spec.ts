/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary notebook JSON */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { notebook, startServer, TestServer, TOKEN } from './helpers';
import { openSession, Peer, until } from './collab-client';
import { CONFLICT_STATE_KEY } from '../src/collaboration/protocol';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) {
    await fn();
  }
});

async function server(overrides = {}): Promise<TestServer> {
  const s = await startServer({ collabDiskPollMs: 100, collabAutosaveDelayMs: 50, ...overrides });
  cleanup.push(() => s.close());
  return s;
}

async function peer(s: TestServer, file = 'a.ipynb', token = TOKEN): Promise<Peer> {
  const { room, sessionId } = await openSession(s.request, file, token);
  const p = new Peer(s.port, room, sessionId, token);
  cleanup.push(() => p.dispose());
  await p.connect();
  return p;
}

/** The conflict the server published in the peer's `state` map, if any. */
function conflictOf(p: Peer): any {
  return p.nb.ydoc.getMap('state').get(CONFLICT_STATE_KEY);
}

function writeNotebook(s: TestServer, file = 'a.ipynb', source = 'print(1)'): void {
  fs.writeFileSync(path.join(s.notebookDir, file), JSON.stringify(notebook(source)));
}

describe('collaboration sessions and rooms', () => {
  it('answers a session PUT with a stable file id, 201 then 200, and 404 for a missing file', async () => {
    const s = await server();
    writeNotebook(s);
    const first = await openSession(s.request, 'a.ipynb');
    const second = await openSession(s.request, 'a.ipynb');
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.fileId).toBe(first.fileId);
    const missing = await s.request('PUT', '/api/collaboration/session/nope.ipynb', {
      body: { format: 'json', type: 'notebook' }
    });
    expect(missing.status).toBe(404);
  });

  it('loads the file into the room and syncs edits between two clients', async () => {
    const s = await server();
    writeNotebook(s);
    const a = await peer(s);
    const b = await peer(s);
    expect((a.json() as any).cells[0].source).toBe('print(1)');
    a.nb.getCell(0).setSource('print(2)');
    await until(() => (b.json() as any).cells[0].source === 'print(2)');
    expect(a.nb.ydoc.getMap('state').get('path')).toBe('a.ipynb');
  });

  it('saves on a RAW save request, updating the file, state.hash and state.dirty', async () => {
    const s = await server();
    writeNotebook(s);
    const a = await peer(s);
    a.nb.getCell(0).setSource('saved = True');
    expect(await a.save(1)).toBe('success');
    const onDisk = JSON.parse(fs.readFileSync(path.join(s.notebookDir, 'a.ipynb'), 'utf8'));
    expect(onDisk.cells[0].source).toBe('saved = True');
    const model = (await s.request('GET', '/api/contents/a.ipynb?content=0&hash=1')).json();
    await until(() => a.nb.ydoc.getMap('state').get('hash') === model.hash);
    expect(a.nb.ydoc.getMap('state').get('dirty')).toBe(false);
  });

  it('autosaves while a client has awareness.autosave on', async () => {
    const s = await server();
    writeNotebook(s);
    const a = await peer(s);
    a.setAwareness({ autosave: true });
    await until(() => a.awareness.size > 0);
    a.nb.getCell(0).setSource('auto = 1');
    await until(() =>
      fs.readFileSync(path.join(s.notebookDir, 'a.ipynb'), 'utf8').includes('auto = 1')
    );
  });

  it('keeps the file id across a rename and pushes the new path into state', async () => {
    const s = await server();
    writeNotebook(s);
    const a = await peer(s);
    const before = await openSession(s.request, 'a.ipynb');
    const res = await s.request('PATCH', '/api/contents/a.ipynb', { body: { path: 'b.ipynb' } });
    expect(res.status).toBe(200);
    const after = await openSession(s.request, 'b.ipynb');
    expect(after.fileId).toBe(before.fileId);
    await until(() => a.nb.ydoc.getMap('state').get('path') === 'b.ipynb');
  });

  it('overwrites the user field of awareness with the authenticated identity', async () => {
    const s = await server();
    writeNotebook(s);
    const a = await peer(s);
    const b = await peer(s);
    a.setAwareness({ user: { name: 'Mallory', color: '#000', username: 'mallory' }, cursor: 3 });
    const seen = await until(() => b.awareness.get(a.nb.ydoc.clientID));
    expect((seen.user as any).username).not.toBe('mallory');
    expect((seen.user as any).name).not.toBe('Mallory');
    expect(seen.cursor).toBe(3);
  });

  it('closes a client of an unknown session with 1003 unknown_session, reloadable', async () => {
    const s = await server();
    writeNotebook(s);
    const { room } = await openSession(s.request, 'a.ipynb');
    const p = new Peer(s.port, room, 'stale-session');
    cleanup.push(() => p.dispose());
    await p.connect();
    expect(p.closes[0].code).toBe(1003);
    expect(JSON.parse(p.closes[0].reason)).toEqual({
      reason: 'unknown_session',
      sessionId: 'stale-session',
      reloadable: true
    });
  });

  it('publishes the conflict in the state map and keeps unsaved edits when the file changes on disk', async () => {
    const s = await server({ collabAutosaveDelayMs: 60_000 });
    writeNotebook(s);
    const a = await peer(s);
    const b = await peer(s);
    a.nb.getCell(0).setSource('mine');
    b.nb.insertCell(1, { cell_type: 'markdown', source: 'also mine' });
    await until(() => a.nb.cells.length === 2 && (b.json() as any).cells[0].source === 'mine');
    await new Promise(r => setTimeout(r, 50));
    writeNotebook(s, 'a.ipynb', 'theirs');
    await until(() => conflictOf(a) && conflictOf(b));
    const { fileId } = await openSession(s.request, 'a.ipynb');
    expect(conflictOf(a)).toEqual({
      fileId,
      detectedAt: expect.any(String),
      diskHash: expect.stringMatching(/^[0-9a-f]{64}$/)
    });
    // The stock client's misleading "Edit Conflict" dialog is not triggered.
    expect(a.raws.some(r => r.type === 'conflict')).toBe(false);
    expect((a.json() as any).cells.map((c: any) => c.source)).toEqual(['mine', 'also mine']);
    const conflict = (await s.request('GET', `/api/collaboration/conflict/${fileId}`)).json();
    expect(conflict.disk.cells[0].source).toBe('theirs');
    expect(conflict.room.cells[0].source).toBe('mine');
    expect(conflict.diskHash).toBe(conflictOf(a).diskHash);
    // A client joining during the conflict gets it with the document.
    const late = await peer(s);
    await until(() => conflictOf(late));
    const take = await s.request('PUT', `/api/collaboration/conflict/${fileId}?action=take_disk`);
    expect(take.status).toBe(200);
    await until(() => (b.json() as any).cells[0]?.source === 'theirs');
    await until(() => conflictOf(a) === undefined && conflictOf(b) === undefined);
    expect(a.nb.ydoc.getMap('state').has(CONFLICT_STATE_KEY)).toBe(false);
  });

  it('keeps the room (keep_room) by saving it over the disk version, then clears the conflict', async () => {
    const s = await server({ collabAutosaveDelayMs: 60_000 });
    writeNotebook(s);
    const a = await peer(s);
    a.nb.getCell(0).setSource('mine');
    await new Promise(r => setTimeout(r, 50));
    writeNotebook(s, 'a.ipynb', 'theirs');
    await until(() => conflictOf(a));
    const { fileId } = await openSession(s.request, 'a.ipynb');
    const file = path.join(s.notebookDir, 'a.ipynb');
    const bad = await s.request('PUT', `/api/collaboration/conflict/${fileId}?action=nope`);
    expect(bad.status).toBe(400);
    const keep = await s.request('PUT', `/api/collaboration/conflict/${fileId}?action=keep_room`);
    expect(keep.status).toBe(200);
    expect(keep.json()).toEqual({ status: 'saved' });
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).cells[0].source).toBe('mine');
    await until(() => conflictOf(a) === undefined);
    expect(a.nb.ydoc.getMap('state').get('dirty')).toBe(false);
    // Resolved: a second resolution finds nothing to resolve.
    const again = await s.request('PUT', `/api/collaboration/conflict/${fileId}?action=keep_room`);
    expect(again.status).toBe(404);
    expect((await s.request('GET', `/api/collaboration/conflict/${fileId}`)).status).toBe(404);
  });

  it('reloads a clean room when the file changes on disk', async () => {
    const s = await server();
    writeNotebook(s);
    const a = await peer(s);
    await new Promise(r => setTimeout(r, 50));
    writeNotebook(s, 'a.ipynb', 'external');
    await until(() => (a.json() as any).cells[0]?.source === 'external');
    expect(conflictOf(a)).toBeUndefined();
  });
});

describe('saving over a file changed on disk', () => {
  it('raises the conflict instead of overwriting a change the disk poll has not seen yet', async () => {
    const s = await server({ collabDiskPollMs: 60_000, collabAutosaveDelayMs: 60_000 });
    writeNotebook(s);
    const a = await peer(s);
    a.nb.getCell(0).setSource('mine');
    await new Promise(r => setTimeout(r, 50));
    writeNotebook(s, 'a.ipynb', 'theirs');
    expect(await a.save(1)).toBe('failed');
    await until(() => conflictOf(a));
    const file = path.join(s.notebookDir, 'a.ipynb');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).cells[0].source).toBe('theirs');
    // Keep mine: saving again, knowing the conflict, writes the room's version.
    expect(await a.save(2)).toBe('success');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).cells[0].source).toBe('mine');
    await until(() => conflictOf(a) === undefined);
  });
});
