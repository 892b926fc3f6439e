/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary notebook JSON */
/**
 * Randomised convergence: five peers make thousands of random notebook edits through YNotebook
 * while randomly disconnecting and reconnecting; at the end every peer, a fresh client (the
 * server's room) and the saved file hold the same notebook.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { tempDir, notebook, seeded, startServer } from './helpers';
import { openSession, Peer, until } from './collab-client';

/** JSON with sorted keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v
  );
}

const SEED = 20240611;
const PEERS = 5;
const EDITS = 3000;

function randomEdit(p: Peer, rnd: () => number, n: number): void {
  const nb = p.nb;
  const int = (k: number) => Math.floor(rnd() * k);
  const cells = nb.cells.length;
  const op = rnd();
  if (cells === 0 || op < 0.1) {
    nb.insertCell(int(cells + 1), {
      cell_type: rnd() < 0.5 ? 'code' : 'markdown',
      source: `new ${n}`
    });
  } else if (op < 0.5) {
    const cell = nb.getCell(int(cells));
    const len = cell.source.length;
    const at = int(len + 1);
    cell.updateSource(at, at, String.fromCharCode(97 + int(26)).repeat(1 + int(3)));
  } else if (op < 0.65) {
    const cell = nb.getCell(int(cells));
    const len = cell.source.length;
    if (len > 0) {
      const at = int(len);
      cell.updateSource(at, Math.min(len, at + 1 + int(3)), '');
    }
  } else if (op < 0.72 && cells > 1) {
    nb.deleteCell(int(cells));
  } else if (op < 0.8 && cells > 1) {
    nb.moveCell(int(cells), int(cells));
  } else if (op < 0.88) {
    nb.setMetadata(`k${int(5)}`, { by: n, v: int(100) });
  } else if (op < 0.94) {
    nb.getCell(int(cells)).setMetadata(`m${int(3)}`, n);
  } else {
    const cell = nb.getCell(int(cells));
    if (cell.cell_type === 'code') {
      (cell as any).setOutputs([
        {
          output_type: 'execute_result',
          data: { 'text/plain': `out ${n}` },
          metadata: {},
          execution_count: n
        }
      ]);
    }
  }
}

it('converges: 5 peers, thousands of random edits, disconnects, then peers, room and file agree', async () => {
  const dir = tempDir('opsbook-converge-');
  fs.writeFileSync(path.join(dir, 'a.ipynb'), JSON.stringify(notebook('start')));
  const s = await startServer({
    notebookDir: dir,
    collabMessagesPerSecond: 1_000_000,
    collabCompactAfterUpdates: 500,
    collabAutosaveDelayMs: 60_000,
    collabDiskPollMs: 60_000,
    logLevel: 'info'
  });
  const peers: Peer[] = [];
  try {
    const { room, sessionId } = await openSession(s.request, 'a.ipynb');
    for (let i = 0; i < PEERS; i++) {
      const p = new Peer(s.port, room, sessionId);
      peers.push(p);
      await p.connect();
    }
    const rnd = seeded(SEED);
    for (let n = 0; n < EDITS; n++) {
      const p = peers[Math.floor(rnd() * PEERS)];
      const roll = rnd();
      if (roll < 0.01 && p.ws) {
        await p.disconnect();
      } else if (roll < 0.03 && !p.ws) {
        await p.connect();
      }
      p.nb.transact(() => randomEdit(p, rnd, n));
      if (rnd() < 0.05) {
        await new Promise(r => setTimeout(r, Math.floor(rnd() * 5)));
      }
    }
    for (const p of peers) {
      if (!p.ws) {
        await p.connect();
      }
    }
    // Canonical JSON: Y.Map key order depends on arrival order, which legitimately differs.
    const key = (p: Peer) => canonical(p.json());
    await until(() => peers.every(p => key(p) === key(peers[0])), 10_000);
    const fresh = new Peer(s.port, room, sessionId);
    peers.push(fresh);
    await fresh.connect();
    expect(fresh.json()).toEqual(peers[0].json());
    expect(await peers[0].save(1)).toBe('success');
    const file = JSON.parse(fs.readFileSync(path.join(dir, 'a.ipynb'), 'utf8'));
    expect(file).toEqual(JSON.parse(key(peers[0])));
    expect((peers[0].json() as any).cells.length).toBeGreaterThan(0);
    expect(s.logs.filter(l => l.level === 'error' || l.level === 'warn')).toEqual([]);
  } finally {
    peers.forEach(p => p.dispose());
    await s.close();
  }
}, 30_000);
