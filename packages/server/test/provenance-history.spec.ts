/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON */
/**
 * Per-cell history end to end (issue #5 part 2): a real server on 127.0.0.1:0 with owner, editor
 * and viewer tokens, real collaboration websockets (two users editing one notebook), the real
 * SQLite history chain. Run records are built by hand (no apache-arrow in this process: it slows
 * yjs, see provenance/store.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { cellVersionOf } from '@opsbook/provenance/lib/cell-history';
import { openProvenanceStore } from '@opsbook/provenance/lib/store';

import { yjs } from '../src/collaboration/yjs';
import { openSession, Peer, until } from './collab-client';
import { NB, runOf, twoCells } from './history-fixtures';
import { EDITOR_TOKEN, startServer, TestServer, TOKEN, usersFile, VIEWER_TOKEN } from './helpers';

describe('per-cell history', () => {
  let t: TestServer;
  const peers: Peer[] = [];
  const history = async (cell: string, token = TOKEN) => {
    const res = await t.request(
      'GET',
      `/api/opsbook/history?notebook=${encodeURIComponent(NB)}&cell=${cell}`,
      { token }
    );
    expect({ status: res.status, body: res.status === 200 ? '' : res.text }).toEqual({
      status: 200,
      body: ''
    });
    return res.json();
  };
  const post = (p: string, body: unknown, token = TOKEN) => t.request('POST', p, { body, token });
  const connect = async (token: string) => {
    const { room, sessionId } = await openSession(t.request, NB, token);
    const p = new Peer(t.port, room, sessionId, token);
    peers.push(p);
    await p.connect();
    return p;
  };
  const cellOf = (p: Peer, id: string) => p.nb.cells.find(c => c.id === id)!;

  beforeEach(async () => {
    t = await startServer({ usersFile: usersFile(), collabAutosaveDelayMs: 60_000 });
    fs.writeFileSync(path.join(t.notebookDir, NB), JSON.stringify(twoCells()));
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) p.dispose();
    await t.close();
    // Hooks log instead of failing requests: a logged failure is a failed test.
    expect(t.logs.filter(l => l.line.includes('Cell history'))).toEqual([]);
  });

  it('records one save version per changed cell, with every user who edited it', async () => {
    const a = await connect(TOKEN);
    const b = await connect(EDITOR_TOKEN);
    // The baseline: each cell as the file had it when the room loaded.
    await until(async () => (await history('c1')).versions.length === 1);
    // Keystrokes: many small updates from ana in c1, and eve in c1 and c2.
    const typed = 'SELECT service, count(*) FROM spans';
    for (let i = 'SELECT 1'.length; i < typed.length; i++) {
      cellOf(a, 'c1').setSource(typed.slice(0, i + 1));
    }
    await until(() => cellOf(b, 'c1').source === typed);
    cellOf(b, 'c1').setSource(typed + ' GROUP BY 1');
    cellOf(b, 'c2').setSource('SELECT 22');
    await until(() => cellOf(a, 'c2').source === 'SELECT 22');
    expect(await a.save(1)).toBe('success');

    const c1 = await history('c1');
    expect(c1.versions.map((v: any) => [v.record.kind, v.record.authors])).toEqual([
      ['save', []],
      ['save', ['ana', 'eve']]
    ]);
    expect(c1.versions[1].record).toMatchObject({
      format: 'opsbook.cell-version.v1',
      notebook: { path: NB },
      cellId: 'c1',
      source: typed + ' GROUP BY 1',
      opsbook: { version: 1 },
      version: cellVersionOf(typed + ' GROUP BY 1', { version: 1 })
    });
    expect(c1.current).toMatchObject({ recorded: true, source: typed + ' GROUP BY 1' });
    const c2 = await history('c2');
    expect(c2.versions.map((v: any) => v.record.authors)).toEqual([[], ['eve']]);
    // Saving again without edits records nothing.
    expect(await b.save(2)).toBe('success');
    expect((await history('c1')).versions).toHaveLength(2);
    // A chart change is display-only: not a new version.
    cellOf(a, 'c1').setMetadata('opsbook', yjs().plain({ version: 1, chart: { mark: 'line' } }));
    await until(() => (cellOf(b, 'c1').getMetadata('opsbook') as any)?.chart?.mark === 'line');
    expect(await a.save(3)).toBe('success');
    expect((await history('c1')).versions).toHaveLength(2);
  });

  it('records a run version only when the cell changed, and lists the runs', async () => {
    const a = await connect(TOKEN);
    cellOf(a, 'c1').setSource('SELECT 10');
    await until(async () => (await history('c1')).current?.source === 'SELECT 10');
    const first = await post('/api/opsbook/runs', runOf('c1', 'SELECT 10'), EDITOR_TOKEN);
    expect(first.status).toBe(201);
    const second = await post('/api/opsbook/runs', runOf('c1', 'SELECT 10'), TOKEN);
    expect(second.status).toBe(201);
    const h = await history('c1');
    expect(h.versions.map((v: any) => v.record.kind)).toEqual(['save', 'run']);
    expect(h.versions[1].record).toMatchObject({
      runId: first.json().record.runId,
      authors: ['ana'],
      source: 'SELECT 10'
    });
    expect(h.runs.map((r: any) => r.record.runId)).toEqual([
      first.json().record.runId,
      second.json().record.runId
    ]);
    expect(h.runs[0].record.cellVersion).toBe(h.versions[1].record.version);
  });

  it('records checkpoint versions from the panel route and from contents checkpoints', async () => {
    const a = await connect(TOKEN);
    cellOf(a, 'c1').setSource('SELECT 11');
    cellOf(a, 'c2').setSource('SELECT 12');
    await until(async () => (await history('c2')).current?.source === 'SELECT 12');
    const one = await post('/api/opsbook/history/checkpoint', { notebook: NB, cellId: 'c1' });
    expect(one.status).toBe(201);
    // A cell's first version is preceded by its baseline (the cell as the room loaded it).
    expect(one.json().recorded.map((v: any) => [v.record.cellId, v.record.kind])).toEqual([
      ['c1', 'save'],
      ['c1', 'checkpoint']
    ]);
    const all = await post('/api/opsbook/history/checkpoint', { notebook: NB });
    expect(all.json()).toMatchObject({ unchanged: ['c1'] });
    expect(all.json().recorded.map((v: any) => [v.record.cellId, v.record.kind])).toEqual([
      ['c2', 'save'],
      ['c2', 'checkpoint']
    ]);
    expect(await a.save(1)).toBe('success');
    cellOf(a, 'c2').setSource('SELECT 13');
    await until(async () => (await history('c2')).current?.source === 'SELECT 13');
    const cp = await t.request('POST', `/api/contents/${NB}/checkpoints`);
    expect(cp.status).toBe(201);
    await until(async () => (await history('c2')).versions.length === 3);
    expect((await history('c2')).versions[2].record).toMatchObject({
      kind: 'checkpoint',
      source: 'SELECT 13'
    });
    const audit = await t.request('GET', '/api/opsbook/audit?action=checkpoint');
    expect(audit.json().entries.map((e: any) => e.details.operation)).toEqual(
      expect.arrayContaining(['cell-versions', 'create'])
    );
  });

  it('restores a version into the live document as a new version, losing nothing', async () => {
    const a = await connect(TOKEN);
    const b = await connect(EDITOR_TOKEN);
    cellOf(a, 'c1').setSource('SELECT 100');
    cellOf(a, 'c1').setMetadata(
      'opsbook',
      yjs().plain({ version: 1, chart: { mark: 'line' }, parameters: { service: 'checkout' } })
    );
    await until(() => cellOf(b, 'c1').source === 'SELECT 100');
    expect(await a.save(1)).toBe('success');
    // Unsaved edits before the restore are kept as a checkpoint.
    cellOf(b, 'c1').setSource('SELECT 100 -- unsaved');
    await until(async () => (await history('c1')).current?.source === 'SELECT 100 -- unsaved');
    const before = await history('c1');
    const baseline = before.versions[0];
    const res = await post('/api/opsbook/history/restore', {
      notebook: NB,
      cellId: 'c1',
      seq: baseline.seq
    });
    expect(res.status).toBe(201);
    expect(res.json().record).toMatchObject({
      kind: 'restore',
      restoredFrom: baseline.seq,
      authors: ['ana'],
      version: baseline.record.version,
      source: 'SELECT 1'
    });
    // Both peers see it live; display metadata is kept, the parameters are back to none.
    await until(
      () => cellOf(a, 'c1').source === 'SELECT 1' && cellOf(b, 'c1').source === 'SELECT 1'
    );
    expect(cellOf(b, 'c1').getMetadata('opsbook')).toEqual({ version: 1, chart: { mark: 'line' } });
    const after = await history('c1');
    expect(after.versions.map((v: any) => v.record.kind)).toEqual([
      'save',
      'save',
      'checkpoint',
      'restore'
    ]);
    expect(after.versions.slice(0, 2)).toEqual(before.versions.slice(0, 2));
    expect(after.versions[2].record.source).toBe('SELECT 100 -- unsaved');
    expect(after.current).toMatchObject({ recorded: true, version: baseline.record.version });
    const audit = await t.request('GET', '/api/opsbook/audit?action=restore');
    expect(audit.json().entries[0]).toMatchObject({
      user: 'ana',
      details: { cellId: 'c1', restoredFrom: baseline.seq }
    });
  });

  it('restores into a notebook nobody has open, and saves the file', async () => {
    // The baseline comes from a checkpoint of the file (no room).
    const cp = await post('/api/opsbook/history/checkpoint', { notebook: NB, cellId: 'c2' });
    expect(cp.status).toBe(201);
    const seq = cp.json().recorded[0].seq;
    const nb = twoCells() as any;
    nb.cells[1].source = 'SELECT 2000';
    fs.writeFileSync(path.join(t.notebookDir, NB), JSON.stringify(nb));
    const res = await post('/api/opsbook/history/restore', { notebook: NB, cellId: 'c2', seq });
    expect(res.status).toBe(201);
    const file = JSON.parse(fs.readFileSync(path.join(t.notebookDir, NB), 'utf8'));
    expect(file.cells[1].source).toBe('SELECT 2');
    const kinds = (await history('c2')).versions.map((v: any) => v.record.kind);
    expect(kinds).toEqual(['checkpoint', 'checkpoint', 'restore']);
  });

  it('lets viewers read the history but not checkpoint or restore', async () => {
    await post('/api/opsbook/history/checkpoint', { notebook: NB });
    const h = await history('c1', VIEWER_TOKEN);
    expect(h.versions).toHaveLength(1);
    const cp = await post('/api/opsbook/history/checkpoint', { notebook: NB }, VIEWER_TOKEN);
    expect(cp.status).toBe(403);
    expect(cp.json().message).toMatch(/vic.*viewer/);
    const rs = await post(
      '/api/opsbook/history/restore',
      { notebook: NB, cellId: 'c1', seq: h.versions[0].seq },
      VIEWER_TOKEN
    );
    expect(rs.status).toBe(403);
    expect((await history('c1')).versions).toHaveLength(1);
  });

  it('answers unknown notebooks, cells and versions with 404, and bad input with 400', async () => {
    await post('/api/opsbook/history/checkpoint', { notebook: NB });
    const get = (q: string) => t.request('GET', `/api/opsbook/history?${q}`);
    expect((await get('notebook=nope.ipynb&cell=c1')).json().message).toMatch(/No notebook 'nope/);
    expect((await get('notebook=nope.ipynb&cell=c1')).status).toBe(404);
    const cell = await get(`notebook=${NB}&cell=zzz`);
    expect(cell.status).toBe(404);
    expect(cell.json().message).toMatch(/No cell 'zzz'/);
    expect((await get(`notebook=${NB}`)).status).toBe(400);
    expect((await get('cell=c1')).status).toBe(400);
    const c2seq = (await history('c2')).versions[0].seq;
    const wrongCell = await post('/api/opsbook/history/restore', {
      notebook: NB,
      cellId: 'c1',
      seq: c2seq
    });
    expect(wrongCell.status).toBe(404);
    expect(wrongCell.json().message).toMatch(/No version \d+ of cell 'c1'/);
    const missing = await post('/api/opsbook/history/restore', {
      notebook: NB,
      cellId: 'c1',
      seq: 999
    });
    expect(missing.status).toBe(404);
    for (const body of [
      { notebook: NB, cellId: 'c1', seq: 'one' },
      { notebook: NB, cellId: 'c1', seq: 1.5 },
      { notebook: NB, seq: 1 },
      { cellId: 'c1', seq: 1 },
      [1, 2]
    ]) {
      const res = await post('/api/opsbook/history/restore', body);
      expect(res.status).toBe(400);
    }
    const bad = await t.request('POST', '/api/opsbook/history/checkpoint', { rawBody: '{nope' });
    expect(bad.status).toBe(400);
    const cp = await post('/api/opsbook/history/checkpoint', { notebook: NB, cellId: 'zzz' });
    expect(cp.status).toBe(404);
    const trav = await post('/api/opsbook/history/checkpoint', { notebook: '../etc/passwd' });
    expect(trav.status).toBe(404);
  });

  it('keeps a chain that verifies with the library', async () => {
    const a = await connect(TOKEN);
    cellOf(a, 'c1').setSource('SELECT 5');
    await until(() => true);
    expect(await a.save(1)).toBe('success');
    await history('c1');
    const store = openProvenanceStore(t.server.config.provenanceDir);
    try {
      expect(store.history.verify()).toMatchObject({ ok: true, verified: 3 });
    } finally {
      store.close();
    }
  });
});
