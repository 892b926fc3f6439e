/**
 * Provenance forged through the shared document (issue #5, tampering): run summaries a client
 * writes into `metadata.opsbook.runs` are checked against the run log by the server, which
 * overwrites forged fields with its stamp and removes runs it never logged. Real server, real
 * collaboration websocket, real SQLite run log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { PartialJSONValue } from '@lumino/coreutils';
import { tableFromArrays } from 'apache-arrow';

import { buildRunRecord, summarizeRun, type RunSummary } from '@opsbook/provenance';

import { yjs } from '../src/collaboration/yjs';
import { checkRunSummaries } from '../src/provenance/run-metadata-guard';
import { openSession, Peer, until } from './collab-client';
import { startServer, tempDir, TestServer, TOKEN } from './helpers';

const NOTEBOOK = 'guarded.ipynb';
/** JSON for Y types, made in yjs's realm (jest runs tests in another). */
const plain = (v: unknown): PartialJSONValue => yjs().plain(v) as PartialJSONValue;
const EDITOR_TOKEN = 'e'.repeat(8) + '0123456789abcdef0123456789abcdef';

function record(runId: string, cellId: string) {
  return buildRunRecord({
    runId,
    cell: { id: cellId, source: 'SELECT 1 AS x' },
    query: {
      table: tableFromArrays({ x: Float64Array.from([1]) }),
      elapsedMs: 1,
      statements: ['SELECT 1 AS x'],
      scans: []
    },
    engine: { name: 'duckdb-wasm', version: '1.32.0', settings: {} },
    notebook: { path: NOTEBOOK, fileId: null }
  });
}

function cellJson(id: string) {
  return {
    id,
    cell_type: 'code',
    source: 'SELECT 1 AS x',
    metadata: { opsbook: { version: 1, chart: 'auto' } },
    outputs: [],
    execution_count: null
  };
}

describe('run summaries in the shared document', () => {
  let t: TestServer;
  let peer: Peer;
  let logged: RunSummary;

  beforeAll(async () => {
    const users = path.join(tempDir(), 'users.json');
    fs.writeFileSync(
      users,
      JSON.stringify({
        users: [
          { username: 'ana', token: TOKEN, role: 'owner' },
          { username: 'eve', token: EDITOR_TOKEN, role: 'editor' }
        ]
      })
    );
    t = await startServer({ usersFile: users, collabAutosaveDelayMs: 60_000 });
    fs.writeFileSync(
      path.join(t.notebookDir, NOTEBOOK),
      JSON.stringify({
        cells: [cellJson('cell-a'), cellJson('cell-b')],
        metadata: {},
        nbformat: 4,
        nbformat_minor: 5
      })
    );
    const res = await t.request('POST', '/api/opsbook/runs', {
      body: { ...record('run-a', 'cell-a'), durationMs: 5 },
      token: EDITOR_TOKEN
    });
    expect(res.status).toBe(201);
    logged = summarizeRun(res.json().record);
    expect(logged.user).toBe('eve');
    const { room, sessionId } = await openSession(t.request, NOTEBOOK);
    peer = new Peer(t.port, room, sessionId);
    await peer.connect();
    await until(() => peer.nb.cells.length === 2);
  });

  afterAll(async () => {
    peer?.dispose();
    await t?.close();
  });

  const runsOf = (index: number) =>
    (peer.nb.cells[index].getMetadata('opsbook') as { runs?: unknown } | undefined)?.runs;

  it('overwrites a forged author, time and hash with the log', async () => {
    const forged = {
      ...logged,
      user: 'mallory',
      finishedAt: '2099-01-01T00:00:00.000Z',
      hash: 'f'.repeat(64)
    };
    peer.nb.cells[0].setMetadata('opsbook', plain({ version: 1, chart: 'auto', runs: [forged] }));
    await until(() => (runsOf(0) as RunSummary[] | undefined)?.[0]?.user === 'eve');
    expect(runsOf(0)).toEqual([logged]);
    // Other opsbook keys are the client's.
    expect(peer.nb.cells[0].getMetadata('opsbook')).toMatchObject({ version: 1, chart: 'auto' });
  });

  it('removes runs the log does not have, or has for another cell', async () => {
    peer.nb.cells[1].setMetadata(
      'opsbook',
      plain({
        version: 1,
        runs: [{ ...logged }, { ...logged, runId: 'never-ran' }, { nonsense: true }]
      })
    );
    await until(() => Array.isArray(runsOf(1)) && (runsOf(1) as unknown[]).length === 0);
  });

  it('checks cells inserted with run summaries already in them', async () => {
    peer.nb.insertCell(
      2,
      plain({
        ...cellJson('cell-c'),
        metadata: { opsbook: { version: 1, runs: [{ ...logged, runId: 'forged-run' }] } }
      }) as never
    );
    await until(() => peer.nb.cells.length === 3 && (runsOf(2) as unknown[])?.length === 0);
  });

  it('leaves honest summaries alone (no correction is sent)', async () => {
    peer.nb.cells[0].setMetadata('opsbook', plain({ version: 1, chart: 'bar', runs: [logged] }));
    let changes = 0;
    const count = (): void => void changes++;
    peer.nb.cells[0].metadataChanged.connect(count);
    // A round trip through the server: its save answer comes after any correction would have.
    expect(await peer.save(7)).toBe('success');
    peer.nb.cells[0].metadataChanged.disconnect(count);
    expect(changes).toBe(0);
    expect(runsOf(0)).toEqual([logged]);
    expect(peer.nb.cells[0].getMetadata('opsbook')).toMatchObject({ chart: 'bar' });
  });

  it('saves the corrected summaries to the file', async () => {
    expect(await peer.save(8)).toBe('success');
    const saved = JSON.parse(fs.readFileSync(path.join(t.notebookDir, NOTEBOOK), 'utf8'));
    expect(saved.cells[0].metadata.opsbook.runs).toEqual([logged]);
    expect(saved.cells[1].metadata.opsbook.runs).toEqual([]);
  });
});

describe('checkRunSummaries', () => {
  const stamped = (runId: string, cellId: string, finishedAt: string) => ({
    ...record(runId, cellId),
    stamp: { user: 'ana', startedAt: finishedAt, finishedAt }
  });
  const log = new Map(
    [
      stamped('r1', 'c', '2026-11-25T01:00:00.000Z'),
      stamped('r2', 'c', '2026-11-25T02:00:00.000Z'),
      stamped('r3', 'other', '2026-11-25T03:00:00.000Z')
    ].map(r => [r.runId, r])
  );
  const lookup = (id: string) => log.get(id) ?? null;

  it('keeps confirmed runs oldest first, as the log has them, and names every rejection', () => {
    const checked = checkRunSummaries(
      [{ runId: 'r2', user: 'x' }, { runId: 'r1' }, { runId: 'r3' }, { runId: 'zz' }, 7, null],
      'c',
      lookup
    );
    expect(checked.runs.map(r => [r.runId, r.user])).toEqual([
      ['r1', 'ana'],
      ['r2', 'ana']
    ]);
    expect(checked.rejected).toEqual([
      { runId: 'r3', reason: 'the run log recorded it for cell other' },
      { runId: 'zz', reason: 'the run log has no such run' },
      { runId: null, reason: 'not a run summary (no run id)' },
      { runId: null, reason: 'not a run summary (no run id)' }
    ]);
  });

  it('treats a non-list as one claimed entry', () => {
    expect(checkRunSummaries({ runId: 'r1' }, 'c', lookup).runs).toHaveLength(1);
    expect(checkRunSummaries('junk', 'c', lookup)).toEqual({
      runs: [],
      rejected: [{ runId: null, reason: 'not a run summary (no run id)' }]
    });
  });
});
