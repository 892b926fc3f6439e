/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary notebook JSON */
/**
 * Durability of acknowledged edits against a crash. "Acknowledged" = the server broadcast the
 * update to another peer, which it only does after the update's log row is committed. Client A
 * edits, client B sees every edit, the server process is SIGKILLed inside the autosave delay
 * (nothing saved to the file), restarted (new session id), and every edit B saw is there, once.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { fakeAppDir, notebook, request, tempDir, TOKEN } from './helpers';
import { openSession, Peer, until } from './collab-client';

const ROOT = path.join(__dirname, '..', '..', '..');

beforeAll(() => {
  // The spawned server runs the compiled CLI.
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/server'],
    {
      cwd: ROOT
    }
  );
}, 60_000);

async function spawnServer(
  dir: string,
  appDir: string
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'packages/server/bin/opsbook.js'),
      'serve',
      '--notebooks',
      dir,
      '--port',
      '0',
      '--token',
      TOKEN,
      '--app-dir',
      appDir
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
  return { child, port };
}

it('keeps every acknowledged edit, once, after the server is SIGKILLed and restarted', async () => {
  const dir = tempDir('opsbook-kill-');
  const appDir = fakeAppDir();
  fs.writeFileSync(path.join(dir, 'a.ipynb'), JSON.stringify(notebook('first')));
  const one = await spawnServer(dir, appDir);
  const peers: Peer[] = [];
  let two: { child: ChildProcess; port: number } | null = null;
  try {
    const req = (m: string, p: string, o?: any) => request(one.port, m, p, o);
    const { room, sessionId } = await openSession(req, 'a.ipynb');
    const a = new Peer(one.port, room, sessionId);
    const b = new Peer(one.port, room, sessionId);
    peers.push(a, b);
    await a.connect();
    await b.connect();
    a.setAwareness({ autosave: true });
    for (let i = 0; i < 50; i++) {
      a.nb.insertCell(a.nb.cells.length, { cell_type: 'code', source: `acked ${i}` });
    }
    a.nb.getCell(0).setSource('first, edited');
    // Acknowledged: B has received all of them (the server logged each before relaying it).
    await until(() => b.nb.cells.length === 51 && b.nb.getCell(0).source === 'first, edited');
    const acknowledged = JSON.stringify(b.json());
    one.child.kill('SIGKILL');
    await new Promise(r => one.child.once('exit', r));
    // Killed inside the 1 s autosave delay: the file does not have the edits.
    expect(fs.readFileSync(path.join(dir, 'a.ipynb'), 'utf8')).not.toContain('acked 49');

    two = await spawnServer(dir, appDir);
    const req2 = (m: string, p: string, o?: any) => request(two!.port, m, p, o);
    const fresh = await openSession(req2, 'a.ipynb');
    expect(fresh.sessionId).not.toBe(sessionId);
    const c = new Peer(two.port, fresh.room, fresh.sessionId);
    peers.push(c);
    await c.connect();
    expect(JSON.stringify(c.json())).toBe(acknowledged);
    // The old clients reconnect (after re-PUT): no duplicated cells.
    a.port = b.port = two.port;
    a.sessionId = b.sessionId = fresh.sessionId;
    await a.connect();
    await b.connect();
    await new Promise(r => setTimeout(r, 100));
    for (const p of [a, b, c]) {
      expect(p.nb.cells.length).toBe(51);
    }
  } finally {
    peers.forEach(p => p.dispose());
    one.child.kill('SIGKILL');
    two?.child.kill('SIGKILL');
  }
}, 60_000);
