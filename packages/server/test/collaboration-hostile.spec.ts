/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary notebook JSON */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { notebook, startServer, tempDir, TestServer, TOKEN } from './helpers';
import { frame, openSession, Peer, until } from './collab-client';

const VIEWER_TOKEN = 'v'.repeat(40);
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) {
    await fn();
  }
});

async function setup(
  overrides = {}
): Promise<{ s: TestServer; a: Peer; room: string; sessionId: string }> {
  const dir = tempDir('opsbook-hostile-');
  fs.writeFileSync(path.join(dir, 'a.ipynb'), JSON.stringify(notebook('safe')));
  const users = path.join(tempDir(), 'users.json');
  fs.writeFileSync(
    users,
    JSON.stringify({
      users: [
        { username: 'ana', display_name: 'Ana Silva', token: TOKEN },
        { username: 'vic', display_name: 'Vic Viewer', token: VIEWER_TOKEN, role: 'viewer' }
      ]
    })
  );
  const s = await startServer({ notebookDir: dir, usersFile: users, ...overrides });
  cleanup.push(() => s.close());
  const { room, sessionId } = await openSession(s.request, 'a.ipynb');
  const a = new Peer(s.port, room, sessionId);
  cleanup.push(() => a.dispose());
  await a.connect();
  return { s, a, room, sessionId };
}

async function attacker(s: TestServer, room: string, sessionId: string): Promise<Peer> {
  const p = new Peer(s.port, room, sessionId);
  cleanup.push(() => p.dispose());
  await p.connect();
  return p;
}

const HOSTILE: [string, Uint8Array | string, boolean][] = [
  ['a text frame', 'hello', false],
  ['a truncated varint', new Uint8Array([0x80, 0x80]), true],
  ['an unknown message type', new Uint8Array([9, 0]), true],
  ['a sync payload longer than the frame', new Uint8Array([0, 2, 50, 1, 2]), true],
  ['an invalid Yjs update', frame(0, 2, new Uint8Array([1, 1, 200, 200, 200, 9, 9])), true],
  [
    'an invalid awareness state',
    frame(1, null, new Uint8Array([1, 5, 1, 3, 0x7b, 0x7b, 0x7b])),
    true
  ]
];

describe('hostile collaboration frames', () => {
  it.each(HOSTILE)(
    'closes a connection that sends %s, leaving the room working',
    async (_name, data, binary) => {
      const { s, a, room, sessionId } = await setup();
      const bad = await attacker(s, room, sessionId);
      bad.sendRaw(data, binary);
      await until(() => bad.closes.length > 0);
      expect(bad.closes[0].code).toBe(4422);
      expect(s.logs.some(l => l.line.includes('Closing collaboration connection'))).toBe(true);
      const b = await attacker(s, room, sessionId);
      a.nb.getCell(0).setSource('still works');
      await until(() => (b.json() as any).cells[0].source === 'still works');
    }
  );

  it('closes an oversize message with 1009', async () => {
    const { s, a, room, sessionId } = await setup({ collabMaxMessageBytes: 1024 });
    const bad = await attacker(s, room, sessionId);
    bad.sendRaw(frame(0, 2, new Uint8Array(4096)));
    await until(() => bad.closes.length > 0);
    expect(bad.closes[0].code).toBe(1009);
    a.nb.getCell(0).setSource('fine');
    expect(a.ws!.readyState).toBe(1);
  });

  it('closes a connection flooding messages with 4429', async () => {
    const { s, room, sessionId } = await setup({ collabMessagesPerSecond: 20 });
    const bad = await attacker(s, room, sessionId);
    for (let i = 0; i < 200; i++) {
      bad.sendRaw(new Uint8Array([3]));
    }
    await until(() => bad.closes.length > 0);
    expect(bad.closes[0].code).toBe(4429);
  });

  it('closes a connection sending an awareness state over the size limit', async () => {
    const { s, room, sessionId } = await setup({ collabMaxAwarenessBytes: 100 });
    const bad = await attacker(s, room, sessionId);
    bad.setAwareness({ junk: 'x'.repeat(500) });
    await until(() => bad.closes.length > 0);
    expect(bad.closes[0].code).toBe(4408);
  });

  it("ignores another user's awareness state relayed by a client, and keeps the connection", async () => {
    const { s, a, room, sessionId } = await setup();
    a.setAwareness({ cursor: 1 });
    const vic = new Peer(s.port, room, sessionId, VIEWER_TOKEN);
    cleanup.push(() => vic.dispose());
    await vic.connect();
    await until(() => vic.awareness.get(a.nb.ydoc.clientID));
    // Vic relays (here: forges) a newer state for Ana's client id.
    vic.setAwareness({ user: { name: 'Forged' }, cursor: 99 }, 5, a.nb.ydoc.clientID);
    vic.setAwareness({ cursor: 7 });
    await until(() => a.awareness.get(vic.nb.ydoc.clientID));
    await new Promise(r => setTimeout(r, 100));
    expect(vic.closes).toEqual([]);
    const ana = a.awareness.get(a.nb.ydoc.clientID) ?? vic.awareness.get(a.nb.ydoc.clientID);
    expect((ana as any).cursor).toBe(1);
    expect((a.awareness.get(vic.nb.ydoc.clientID)!.user as any).name).toBe('Vic Viewer');
  });

  it("rejects a viewer's update and keeps the document unchanged", async () => {
    const { s, a, room, sessionId } = await setup();
    const viewer = new Peer(s.port, room, sessionId, VIEWER_TOKEN);
    cleanup.push(() => viewer.dispose());
    await viewer.connect();
    expect((viewer.json() as any).cells[0].source).toBe('safe');
    viewer.nb.getCell(0).setSource('vandalised');
    await until(() => viewer.raws.some(r => r.type === 'error' && r.reason === 'read_only'));
    expect((a.json() as any).cells[0].source).toBe('safe');
    expect(await a.save(1)).toBe('success');
    expect(fs.readFileSync(path.join(s.notebookDir, 'a.ipynb'), 'utf8')).not.toContain(
      'vandalised'
    );
    // The viewer still follows the document.
    a.nb.getCell(0).setSource('safe edit');
    await until(() => ((viewer.json() as any).cells[0].source as string).includes('safe edit'));
  });

  it('stamps awareness with the authenticated identity in the global awareness room', async () => {
    const { s } = await setup();
    const one = new Peer(s.port, 'JupyterLab:globalAwareness', '');
    const two = new Peer(s.port, 'JupyterLab:globalAwareness', '', VIEWER_TOKEN);
    cleanup.push(
      () => one.dispose(),
      () => two.dispose()
    );
    await one.connect();
    await two.connect();
    two.setAwareness({ user: { username: 'ana', name: 'Ana Silva' }, current: 'a.ipynb' });
    const seen = await until(() => one.awareness.get(two.nb.ydoc.clientID));
    expect(seen.user).toMatchObject({ username: 'vic', name: 'Vic Viewer', initials: 'VV' });
    expect(seen.current).toBe('a.ipynb');
  });
});
