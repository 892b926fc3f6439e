/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON */
/**
 * Property test of per-cell history against the real server routes and real collaboration
 * websockets: seeded random sequences of edits, runs, saves, checkpoints, restores and replays by
 * three users. Afterwards (and along the way) every hash chain verifies, each cell's versions are
 * in strictly increasing seq order, every version ever listed is still listed unchanged (a
 * restore never loses one), and each restore leaves the cell equal to the version restored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { openProvenanceStore } from '@opsbook/provenance/lib/store';

import { openSession, Peer, until } from './collab-client';
import {
  ANA,
  EDITOR_TOKEN,
  EVE,
  seeded,
  startServer,
  TestServer,
  TestUser,
  TOKEN,
  usersFile
} from './helpers';
import { NB, runOf, twoCells } from './history-fixtures';

/** A second editor. */
const BO: TestUser = {
  username: 'bo',
  token: 'b'.repeat(8) + '0123456789abcdef0123456789abcdef',
  role: 'editor'
};
const CELLS = ['c1', 'c2'];
const STEPS = 60;

describe('per-cell history under random multi-user sequences', () => {
  for (const seed of [1, 2]) {
    it(`stays consistent and never loses a version (seed ${seed})`, async () => {
      const rand = seeded(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
      const t: TestServer = await startServer({
        usersFile: usersFile([ANA, EVE, BO]),
        collabAutosaveDelayMs: 60_000
      });
      const peers: Peer[] = [];
      try {
        fs.writeFileSync(path.join(t.notebookDir, NB), JSON.stringify(twoCells()));
        for (const token of [TOKEN, EDITOR_TOKEN, BO.token]) {
          const { room, sessionId } = await openSession(t.request, NB, token);
          const p = new Peer(t.port, room, sessionId, token);
          peers.push(p);
          await p.connect();
        }
        const tokens = [TOKEN, EDITOR_TOKEN, BO.token];
        const seen = new Map<number, string>(); // seq -> JSON of the listed version
        const runs: string[] = [];
        let restores = 0;
        const get = async (cell: string) => {
          const res = await t.request('GET', `/api/opsbook/history?notebook=${NB}&cell=${cell}`);
          expect(res.status).toBe(200);
          return res.json();
        };
        const source = (p: Peer, id: string) => p.nb.cells.find(c => c.id === id)!.source;
        const settled = async (cell: string, text: string) => {
          await until(() => peers.every(p => source(p, cell) === text));
          await until(async () => (await get(cell)).current?.source === text);
        };
        const checkListed = async () => {
          for (const cell of CELLS) {
            const h = await get(cell);
            const seqs = h.versions.map((v: any) => v.seq);
            expect(seqs).toEqual([...seqs].sort((x: number, y: number) => x - y));
            expect(new Set(seqs).size).toBe(seqs.length);
            for (const v of h.versions) {
              const text = JSON.stringify(v);
              expect(seen.get(v.seq) ?? text).toBe(text);
              seen.set(v.seq, text);
            }
          }
          const listed = new Set<number>();
          for (const cell of CELLS) for (const v of (await get(cell)).versions) listed.add(v.seq);
          for (const seq of seen.keys()) expect(listed.has(seq)).toBe(true);
        };

        for (let step = 0; step < STEPS; step++) {
          const i = Math.floor(rand() * 3);
          const peer = peers[i];
          const token = tokens[i];
          const cell = pick(CELLS);
          const op = pick([
            'edit',
            'edit',
            'edit',
            'run',
            'save',
            'checkpoint',
            'restore',
            'replay'
          ]);
          if (op === 'edit') {
            const target = `SELECT ${Math.floor(rand() * 5)} -- ${'x'.repeat(Math.floor(rand() * 3))}`;
            // Keystrokes: one update per character typed.
            const ycell = peer.nb.cells.find(c => c.id === cell)!;
            ycell.setSource('');
            for (let k = 1; k <= target.length; k += 1 + Math.floor(rand() * 4)) {
              ycell.setSource(target.slice(0, k));
            }
            ycell.setSource(target);
            await settled(cell, target);
          } else if (op === 'run') {
            const res = await t.request('POST', '/api/opsbook/runs', {
              body: runOf(cell, source(peer, cell)),
              token
            });
            expect(res.status).toBe(201);
            runs.push(res.json().record.runId);
          } else if (op === 'save') {
            expect(await peer.save(step)).toBe('success');
          } else if (op === 'checkpoint') {
            const body = rand() < 0.5 ? { notebook: NB } : { notebook: NB, cellId: cell };
            const res = await t.request('POST', '/api/opsbook/history/checkpoint', { body, token });
            expect(res.status).toBe(201);
          } else if (op === 'restore' && (await get(cell)).versions.length > 0) {
            const versions = (await get(cell)).versions;
            const target = pick(versions) as any;
            const res = await t.request('POST', '/api/opsbook/history/restore', {
              body: { notebook: NB, cellId: cell, seq: target.seq },
              token
            });
            expect(res.status).toBe(201);
            restores++;
            const restored = res.json();
            expect(restored.record).toMatchObject({
              kind: 'restore',
              restoredFrom: target.seq,
              version: target.record.version,
              source: target.record.source
            });
            await settled(cell, target.record.source);
            const h = await get(cell);
            expect(h.current).toMatchObject({ version: target.record.version, recorded: true });
          } else if (op === 'replay' && runs.length > 0) {
            const res = await t.request('POST', `/api/opsbook/runs/${pick(runs)}/replays`, {
              body: { hash: (rand() < 0.5 ? 'a' : 'b').repeat(64), rows: 1, durationMs: 3 },
              token
            });
            expect(res.status).toBe(201);
          }
          if (step % 10 === 9) await checkListed();
        }
        await checkListed();
        expect(seen.size).toBeGreaterThan(CELLS.length);
        expect(restores).toBeGreaterThan(0);
        expect(runs.length).toBeGreaterThan(0);
        const store = openProvenanceStore(t.server.config.provenanceDir);
        try {
          expect(store.history.verify().ok).toBe(true);
          expect(store.runs.verify().ok).toBe(true);
          expect(store.audit.verify().ok).toBe(true);
          expect(store.history.find({ notebook: NB })).toHaveLength(seen.size);
        } finally {
          store.close();
        }
      } finally {
        for (const p of peers) p.dispose();
        await t.close();
      }
    });
  }
});
