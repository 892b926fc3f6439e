/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary notebook JSON */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { TestServer } from './helpers';
import { CollabTest, openSession, Peer, until } from './collab-client';

const t = new CollabTest();
afterEach(() => t.closeAll());
const server = (overrides = {}): Promise<TestServer> => t.server(overrides);
const connect = (s: TestServer, room: string, sessionId: string): Promise<Peer> =>
  t.connect(s, room, sessionId);

const source = (p: Peer) => (p.json() as any).cells[0]?.source;
const sources = (p: Peer) => (p.json() as any).cells.map((c: any) => c.source);

/** Edits cell 0 to each of `values`, one logged update each, waiting until `other` sees it. */
async function typeVersions(a: Peer, other: Peer, values: string[]): Promise<void> {
  for (const v of values) {
    a.nb.getCell(0).setSource(v);
    await until(() => source(other) === v);
  }
}

async function timeline(s: TestServer): Promise<any> {
  const res = await s.request(
    'GET',
    '/api/collaboration/timeline/a.ipynb?format=json&&type=notebook'
  );
  expect(res.status).toBe(200);
  return res.json();
}

describe('collaboration timeline', () => {
  it('lists the snapshot and every content update, and a view undoes and redoes them', async () => {
    const s = await server();
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    const a = await connect(s, room, sessionId);
    const b = await connect(s, room, sessionId);
    await typeVersions(a, b, ['v1', 'v2', 'v3']);
    const t = await timeline(s);
    expect(t.roomId).toBe(room);
    expect(t.sessionId).toBe(sessionId);
    expect(t.forkRoom).toMatch(/^[0-9a-f]{32}$/);
    // Snapshot (v0) + three edits; the server's own `state` changes are not points.
    expect(t.timestamps).toHaveLength(4);
    expect(t.timestamps.every((x: number) => x > 1e9 && x < 1e11)).toBe(true);
    const view = await connect(s, t.forkRoom, sessionId);
    expect(source(view)).toBe('v3');
    const undo = await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${encodeURIComponent(room)}?action=undo&&steps=2&&forkRoom=${t.forkRoom}`
    );
    expect(undo.json()).toEqual({ status: 'undone', steps: 2 });
    await until(() => source(view) === 'v1');
    const redo = await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${encodeURIComponent(room)}?action=redo&&steps=1&&forkRoom=${t.forkRoom}`
    );
    expect(redo.json()).toEqual({ status: 'redone', steps: 1 });
    await until(() => source(view) === 'v2');
    // The live room is untouched while the view moves.
    expect(source(b)).toBe('v3');
  });

  it('restores a point as a new update: the log keeps growing and nothing is destroyed', async () => {
    const s = await server();
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    const a = await connect(s, room, sessionId);
    const b = await connect(s, room, sessionId);
    a.nb.insertCell(1, { cell_type: 'markdown', source: 'kept' });
    await until(() => b.nb.cells.length === 2);
    await typeVersions(a, b, ['v1', 'v2']);
    const first = await timeline(s);
    expect(first.timestamps).toHaveLength(4);
    await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${encodeURIComponent(room)}?action=undo&&steps=3&&forkRoom=${first.forkRoom}`
    );
    const restore = await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${encodeURIComponent(room)}?action=restore&&steps=0&&forkRoom=${first.forkRoom}`
    );
    expect(restore.status).toBe(200);
    expect(restore.json().code).toBe(200);
    await until(() => b.nb.cells.length === 1 && source(b) === 'v0');
    expect(sources(a)).toEqual(['v0']);
    expect(a.nb.ydoc.getMap('state').get('dirty')).toBe(true);
    // The restore is one more point; going forward again is another restore.
    const second = await timeline(s);
    expect(second.timestamps).toHaveLength(5);
    await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${encodeURIComponent(room)}?action=undo&&steps=1&&forkRoom=${second.forkRoom}`
    );
    await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${encodeURIComponent(room)}?action=restore&&steps=0&&forkRoom=${second.forkRoom}`
    );
    await until(() => sources(b).join() === 'v2,kept');
    // Restored content is saved like any edit.
    expect(await a.save(1)).toBe('success');
    const onDisk = JSON.parse(fs.readFileSync(path.join(s.notebookDir, 'a.ipynb'), 'utf8'));
    expect(onDisk.cells.map((c: any) => c.source)).toEqual(['v2', 'kept']);
  });

  it('starts the timeline at the last compaction boundary', async () => {
    const s = await server({ collabCompactAfterUpdates: 4, collabCompactIdleMs: 1 });
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    const a = await connect(s, room, sessionId);
    const b = await connect(s, room, sessionId);
    await typeVersions(a, b, ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    const t = await timeline(s);
    expect(t.timestamps.length).toBeGreaterThanOrEqual(1);
    expect(t.timestamps.length).toBeLessThan(7);
    const view = await connect(s, t.forkRoom, sessionId);
    await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${encodeURIComponent(room)}?action=undo&&steps=100&&forkRoom=${t.forkRoom}`
    );
    // Undoing everything lands on the snapshot, not on the original file.
    await new Promise(r => setTimeout(r, 50));
    expect(source(view)).not.toBe('v0');
    expect(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']).toContain(source(view));
  });

  it('answers 404 for an unknown view and 400 for an unknown action', async () => {
    const s = await server();
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    await connect(s, room, sessionId);
    const r = encodeURIComponent(room);
    const missing = await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${r}?action=undo&steps=1&forkRoom=nope`
    );
    expect(missing.status).toBe(404);
    const t = await timeline(s);
    const bad = await s.request(
      'PUT',
      `/api/collaboration/undo_redo/${r}?action=explode&steps=1&forkRoom=${t.forkRoom}`
    );
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(/action=undo\|redo\|restore/);
    const missingFile = await s.request(
      'GET',
      '/api/collaboration/timeline/nope.ipynb?format=json&type=notebook'
    );
    expect(missingFile.status).toBe(404);
  });

  it('refuses more than collabMaxForksPerRoom views of one room', async () => {
    const s = await server({ collabMaxForksPerRoom: 2 });
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    await connect(s, room, sessionId);
    await timeline(s);
    await timeline(s);
    const third = await s.request(
      'GET',
      '/api/collaboration/timeline/a.ipynb?format=json&type=notebook'
    );
    expect(third.status).toBe(429);
  });
});

describe('collaboration forks', () => {
  it('creates, lists and merges a fork back into the root', async () => {
    const s = await server();
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    const a = await connect(s, room, sessionId);
    const created = await s.request('PUT', `/api/collaboration/fork/${room}`, {
      body: { title: 'try', description: 'an experiment', synchronize: false }
    });
    expect(created.status).toBe(201);
    const { fork_roomid: forkId, fork_info: info, sessionId: sid } = created.json();
    expect(sid).toBe(sessionId);
    expect(info).toEqual({
      root_roomid: room,
      synchronize: false,
      title: 'try',
      description: 'an experiment'
    });
    const list = (await s.request('GET', `/api/collaboration/fork/${room}`)).json();
    expect(list).toEqual({ [forkId]: info });
    const f = await connect(s, forkId, sessionId);
    expect(source(f)).toBe('v0');
    f.nb.insertCell(1, { cell_type: 'code', source: 'from the fork' });
    a.nb.getCell(0).setSource('root edit');
    await new Promise(r => setTimeout(r, 100));
    expect(a.nb.cells.length).toBe(1);
    const del = await s.request('DELETE', `/api/collaboration/fork/${forkId}?merge=true`);
    expect(del.status).toBe(200);
    await until(() => sources(a).join() === 'root edit,from the fork');
    await until(() => f.closes.length > 0);
    expect((await s.request('GET', `/api/collaboration/fork/${room}`)).json()).toEqual({});
    expect((await s.request('DELETE', `/api/collaboration/fork/${forkId}`)).status).toBe(404);
  });

  it('deletes a fork without merging, and keeps a synchronized fork up to date', async () => {
    const s = await server();
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    const a = await connect(s, room, sessionId);
    const plain = (await s.request('PUT', `/api/collaboration/fork/${room}`, { body: {} })).json();
    const synced = (
      await s.request('PUT', `/api/collaboration/fork/${room}`, { body: { synchronize: true } })
    ).json();
    const p = await connect(s, plain.fork_roomid, sessionId);
    const q = await connect(s, synced.fork_roomid, sessionId);
    p.nb.getCell(0).setSource('discarded');
    a.nb.getCell(0).setSource('root');
    await until(() => source(q) === 'root');
    expect(
      (await s.request('DELETE', `/api/collaboration/fork/${plain.fork_roomid}?merge=false`)).status
    ).toBe(200);
    await new Promise(r => setTimeout(r, 100));
    expect(source(a)).toBe('root');
    const gone = new Peer(s.port, plain.fork_roomid, sessionId);
    t.onClose(() => gone.dispose());
    await gone.connect();
    expect(gone.closes[0]?.code).toBe(4404);
  });
});
