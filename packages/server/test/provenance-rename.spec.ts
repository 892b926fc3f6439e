/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON */
/**
 * History follows the file, not the path (notebook-paths.ts), and plain contents saves record
 * versions: a real server on 127.0.0.1:0 with owner, editor and viewer tokens, notebooks saved
 * with `PUT /api/contents` and renamed with `PATCH`, run records built by hand (no apache-arrow
 * in this process), and the real SQLite chains, verified with the library at the end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { openProvenanceStore } from '@opsbook/provenance/lib/store';

import { readBundleIndex, RUNS_MEMBER } from '../src/provenance/bundle-format';
import { openSession, Peer, until } from './collab-client';
import { NB, runOf, twoCells } from './history-fixtures';
import { EDITOR_TOKEN, startServer, TestServer, TOKEN, usersFile, VIEWER_TOKEN } from './helpers';

const NEW = '2026-11-25-checkout.ipynb';

describe('history across renames, and versions of contents saves', () => {
  let t: TestServer;
  const peers: Peer[] = [];
  const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  const put = (p: string, content: unknown, token = TOKEN) =>
    t.request('PUT', `/api/contents/${enc(p)}`, {
      body: { type: 'notebook', format: 'json', content },
      token
    });
  const rename = (from: string, to: string) =>
    t.request('PATCH', `/api/contents/${enc(from)}`, { body: { path: to } });
  const getHistory = (p: string, cell: string) =>
    t.request('GET', `/api/opsbook/history?notebook=${encodeURIComponent(p)}&cell=${cell}`);
  const history = async (p: string, cell: string) => {
    const res = await getHistory(p, cell);
    expect({ status: res.status, body: res.status === 200 ? '' : res.text }).toEqual({
      status: 200,
      body: ''
    });
    return res.json();
  };
  const runs = async (p: string) =>
    (await t.request('GET', `/api/opsbook/runs?notebook=${encodeURIComponent(p)}`)).json().runs;
  const postRun = async (cell: string, source: string, notebook: string, token = TOKEN) => {
    const res = await t.request('POST', '/api/opsbook/runs', {
      body: runOf(cell, source, notebook),
      token
    });
    expect(res.status).toBe(201);
    return res.json();
  };
  /** The two-cell notebook with other sources. */
  const withSources = (c1: string, c2: string) => {
    const nb = twoCells() as any;
    nb.cells[0].source = c1;
    nb.cells[1].source = c2;
    return nb;
  };
  const paths = (entries: any[]) => entries.map(e => e.record.notebook.path);

  beforeEach(async () => {
    t = await startServer({ usersFile: usersFile(), collabAutosaveDelayMs: 60_000 });
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) p.dispose();
    await t.close();
    // Hooks log instead of failing requests: a logged failure is a failed test.
    expect(t.logs.filter(l => l.line.includes('Cell history'))).toEqual([]);
  });

  it('records a save version on PUT for each changed cell, by the request user', async () => {
    expect((await put(NB, twoCells(), EDITOR_TOKEN)).status).toBe(201);
    const first = await history(NB, 'c1');
    expect(first.versions.map((v: any) => v.record)).toEqual([
      expect.objectContaining({ kind: 'save', authors: ['eve'], source: 'SELECT 1' })
    ]);
    expect(first.current).toMatchObject({ recorded: true });
    // The same content again: nothing new.
    expect((await put(NB, twoCells(), TOKEN)).status).toBe(200);
    // c2 changed; c1 only in display metadata (the chart), which is not part of a version.
    const next = withSources('SELECT 1', 'SELECT 22');
    next.cells[0].metadata.opsbook.chart = { mark: 'line' };
    expect((await put(NB, next, TOKEN)).status).toBe(200);
    expect((await history(NB, 'c1')).versions).toHaveLength(1);
    const c2 = await history(NB, 'c2');
    expect(c2.versions.map((v: any) => [v.record.kind, v.record.authors, v.record.source])).toEqual(
      [
        ['save', ['eve'], 'SELECT 2'],
        ['save', ['ana'], 'SELECT 22']
      ]
    );
  });

  it('records nothing for a refused PUT, a viewer, or a file that is not a notebook', async () => {
    const bad = await put(NB, { ...twoCells(), nbformat: 3 });
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(/nbformat/);
    const viewer = await put(NB, twoCells(), VIEWER_TOKEN);
    expect(viewer.status).toBe(403);
    const text = await t.request('PUT', '/api/contents/notes.ipynb.txt', {
      body: { type: 'file', format: 'text', content: JSON.stringify(twoCells()) }
    });
    expect(text.status).toBe(201);
    expect((await getHistory(NB, 'c1')).status).toBe(404);
    // A valid save after them starts the history; the refused one left no trace.
    expect((await put(NB, twoCells())).status).toBe(201);
    expect((await history(NB, 'c1')).versions.map((v: any) => v.record.authors)).toEqual([['ana']]);
    const store = openProvenanceStore(t.server.config.provenanceDir);
    try {
      expect(store.history.find({ notebook: NB })).toHaveLength(2);
      expect(store.history.find({ notebook: 'notes.ipynb.txt' })).toHaveLength(0);
    } finally {
      store.close();
    }
  });

  it('shows a renamed notebook its versions and runs, each with the path it was recorded under', async () => {
    await put(NB, twoCells());
    const oldRun = await postRun('c1', 'SELECT 1', NB, EDITOR_TOKEN);
    await put(NB, withSources('SELECT 10', 'SELECT 2'));
    const res = await rename(NB, NEW);
    expect(res.status).toBe(200);

    const c1 = await history(NEW, 'c1');
    expect(c1.notebook).toBe(NEW);
    expect(c1.versions.map((v: any) => v.record.source)).toEqual(['SELECT 1', 'SELECT 10']);
    expect(paths(c1.versions)).toEqual([NB, NB]);
    expect(c1.runs.map((r: any) => r.record.runId)).toEqual([oldRun.record.runId]);
    expect(paths(c1.runs)).toEqual([NB]);
    // The cell is recorded as it is now (its last version was recorded under the old path).
    expect(c1.current).toMatchObject({ recorded: true, source: 'SELECT 10' });
    expect(paths(await runs(NEW))).toEqual([NB]);
    const graph = (
      await t.request('GET', `/api/opsbook/lineage?notebook=${encodeURIComponent(NEW)}`)
    ).json();
    expect(graph.nodes.map((n: any) => n.id)).toContain(`run:${oldRun.record.runId}`);

    // Saving under the new path continues from the old versions: only c2 changed.
    await put(NEW, withSources('SELECT 10', 'SELECT 20'), EDITOR_TOKEN);
    expect(paths((await history(NEW, 'c1')).versions)).toEqual([NB, NB]);
    const c2 = await history(NEW, 'c2');
    expect(c2.versions.map((v: any) => [v.record.notebook.path, v.record.source])).toEqual([
      [NB, 'SELECT 2'],
      [NEW, 'SELECT 20']
    ]);
    const newRun = await postRun('c1', 'SELECT 10', NEW);
    expect(paths(await runs(NEW))).toEqual([NB, NEW]);
    expect((await runs(NEW)).map((r: any) => r.record.runId)).toEqual([
      oldRun.record.runId,
      newRun.record.runId
    ]);
    const exported = await t.request(
      'GET',
      `/api/opsbook/runs/export?notebook=${encodeURIComponent(NEW)}`
    );
    expect(exported.json().range).toMatchObject({ fromSeq: oldRun.seq, toSeq: newRun.seq });

    // The old path has nothing any more: no file, and its history went with the file.
    expect((await getHistory(NB, 'c1')).status).toBe(404);
    expect(await runs(NB)).toEqual([]);

    // A replay of a run recorded under the old path is audited under the notebook's path now.
    const replay = await t.request('POST', `/api/opsbook/runs/${oldRun.record.runId}/replays`, {
      body: { hash: 'a'.repeat(64), rows: 1, durationMs: 3 }
    });
    expect(replay.status).toBe(201);
    const replays = await t.request('GET', `/api/opsbook/runs/${oldRun.record.runId}/replays`);
    expect(replays.json().replays).toMatchObject([{ reproduced: true, user: 'ana' }]);
    const audit = (
      await t.request('GET', `/api/opsbook/audit?notebook=${encodeURIComponent(NEW)}`)
    ).json().entries;
    expect(audit.map((e: any) => e.action)).toEqual(['rename', 'run', 'export', 'replay']);
    expect(audit[0]).toMatchObject({
      user: 'ana',
      notebook: { path: NEW },
      details: { from: NB, to: NEW, type: 'notebook' }
    });

    // A version recorded under the old path can be restored through the new one.
    const restored = await t.request('POST', '/api/opsbook/history/restore', {
      body: { notebook: NEW, cellId: 'c1', seq: c1.versions[0].seq }
    });
    expect(restored.status).toBe(201);
    expect(restored.json().record).toMatchObject({
      kind: 'restore',
      notebook: { path: NEW },
      source: 'SELECT 1'
    });
    const file = JSON.parse(fs.readFileSync(path.join(t.notebookDir, NEW), 'utf8'));
    expect(file.cells[0].source).toBe('SELECT 1');
  });

  it('exports a renamed notebook as a bundle with the runs recorded before the rename', async () => {
    await put(NB, twoCells());
    const oldRun = await postRun('c1', 'SELECT 1', NB, EDITOR_TOKEN);
    expect((await rename(NB, NEW)).status).toBe(200);
    const newRun = await postRun('c1', 'SELECT 1', NEW);
    const res = await t.request('GET', `/api/opsbook/bundles?notebook=${encodeURIComponent(NEW)}`);
    expect(res.status).toBe(200);
    const file = path.join(t.notebookDir, '..', 'renamed.opsbundle');
    fs.writeFileSync(file, res.body);
    const member = (await readBundleIndex(file)).find(m => m.name === RUNS_MEMBER)!;
    const runsDoc = JSON.parse(
      res.body.subarray(member.offset, member.offset + member.size).toString('utf8')
    );
    const runIds = runsDoc.entries
      .filter((e: any) => e.payload !== undefined && e.payload !== null)
      .map((e: any) => JSON.parse(e.payload).runId);
    expect(runIds).toEqual([oldRun.record.runId, newRun.record.runId]);
  });

  it('moves the history of every notebook in a moved directory', async () => {
    expect(
      (await t.request('PUT', '/api/contents/team', { body: { type: 'directory' } })).status
    ).toBe(201);
    await t.request('PUT', '/api/contents/team/sub', { body: { type: 'directory' } });
    await put('team/a.ipynb', twoCells());
    await put('team/sub/b.ipynb', twoCells());
    // A sibling whose name starts the same way is not in the directory.
    await put('team-notes.ipynb', twoCells());
    const runA = await postRun('c2', 'SELECT 2', 'team/a.ipynb');
    const runB = await postRun('c1', 'SELECT 1', 'team/sub/b.ipynb');
    expect((await rename('team', 'archive')).status).toBe(200);

    const a = await history('archive/a.ipynb', 'c2');
    expect(paths(a.versions)).toEqual(['team/a.ipynb']);
    expect(a.runs.map((r: any) => r.record.runId)).toEqual([runA.record.runId]);
    const b = await history('archive/sub/b.ipynb', 'c1');
    expect(paths(b.versions)).toEqual(['team/sub/b.ipynb']);
    expect(b.runs.map((r: any) => r.record.runId)).toEqual([runB.record.runId]);
    expect(paths((await history('team-notes.ipynb', 'c1')).versions)).toEqual(['team-notes.ipynb']);
    const audit = (await t.request('GET', '/api/opsbook/audit?action=rename')).json().entries;
    expect(audit).toMatchObject([
      { user: 'ana', notebook: null, details: { from: 'team', to: 'archive', type: 'directory' } }
    ]);
  });

  it('gives a new file at an old path a history of its own, and keeps every chain valid', async () => {
    await put(NB, twoCells());
    await postRun('c1', 'SELECT 1', NB);
    await rename(NB, NEW);
    // Someone creates a notebook at the old path, with the same cell ids and content.
    expect((await put(NB, twoCells(), EDITOR_TOKEN)).status).toBe(201);
    const fresh = await history(NB, 'c1');
    expect(fresh.versions.map((v: any) => v.record.authors)).toEqual([['eve']]);
    expect(fresh.runs).toEqual([]);
    expect(await runs(NB)).toEqual([]);
    expect((await history(NEW, 'c1')).versions.map((v: any) => v.record.authors)).toEqual([
      ['ana']
    ]);

    // Swap them back: each keeps its own history, whatever paths it was under.
    await rename(NB, 'other.ipynb');
    await rename(NEW, NB);
    await put(NB, withSources('SELECT 100', 'SELECT 2'));
    const back = await history(NB, 'c1');
    expect(back.versions.map((v: any) => [v.record.notebook.path, v.record.authors])).toEqual([
      [NB, ['ana']],
      [NB, ['ana']]
    ]);
    expect(back.versions[1].record.source).toBe('SELECT 100');
    expect(back.runs).toHaveLength(1);
    const other = await history('other.ipynb', 'c1');
    expect(other.versions.map((v: any) => v.record.authors)).toEqual([['eve']]);
    expect(other.runs).toEqual([]);
    expect(paths(other.versions)).toEqual([NB]);

    // Renames never rewrite an entry: every chain verifies, here and with the library.
    const verify = await t.request('GET', '/api/opsbook/audit/verify');
    expect(verify.json()).toMatchObject({ ok: true });
    const store = openProvenanceStore(t.server.config.provenanceDir);
    try {
      expect(store.history.verify()).toMatchObject({ ok: true, verified: 5 });
      expect(store.runs.verify()).toMatchObject({ ok: true, verified: 1 });
      expect(store.audit.verify()).toMatchObject({ ok: true });
      expect(store.audit.query({ action: 'rename' }).map(e => e.details.to)).toEqual([
        NEW,
        'other.ipynb',
        NB
      ]);
    } finally {
      store.close();
    }
  });

  it('follows a renamed notebook that is open in a collaboration room', async () => {
    fs.writeFileSync(path.join(t.notebookDir, NB), JSON.stringify(twoCells()));
    const { room, sessionId } = await openSession(t.request, NB, TOKEN);
    const peer = new Peer(t.port, room, sessionId, TOKEN);
    peers.push(peer);
    await peer.connect();
    const cell = () => peer.nb.cells.find(c => c.id === 'c1')!;
    cell().setSource('SELECT 5');
    await until(async () => (await history(NB, 'c1')).current?.source === 'SELECT 5');
    expect(await peer.save(1)).toBe('success');
    expect((await rename(NB, NEW)).status).toBe(200);
    cell().setSource('SELECT 6');
    await until(async () => (await history(NEW, 'c1')).current?.source === 'SELECT 6');
    expect(await peer.save(2)).toBe('success');
    const c1 = await history(NEW, 'c1');
    expect(c1.versions.map((v: any) => [v.record.notebook.path, v.record.source])).toEqual([
      [NB, 'SELECT 1'],
      [NB, 'SELECT 5'],
      [NEW, 'SELECT 6']
    ]);
    expect(c1.versions[2].record.authors).toEqual(['ana']);
    const [entry] = (await t.request('GET', '/api/opsbook/audit?action=rename')).json().entries;
    expect(entry.notebook).toEqual({ path: NEW, fileId: expect.any(String) });
    expect(entry.notebook.fileId).toBe(c1.versions[2].record.notebook.fileId);
  });
});
