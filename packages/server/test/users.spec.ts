import * as fs from 'node:fs';
import * as path from 'node:path';

import { createServer } from '../src';
import { initialsOf } from '../src/users';
import { startServer, tempDir, TestServer } from './helpers';

const ANA = 'ana-token-0123456789abcdef';
const BO = 'bo-token-0123456789abcdef';

function usersFile(users: unknown): string {
  const file = path.join(tempDir(), 'users.json');
  fs.writeFileSync(file, JSON.stringify(users));
  return file;
}

describe('users and /api/me', () => {
  let t: TestServer;

  beforeAll(async () => {
    const file = usersFile({
      users: [
        { username: 'ana', display_name: 'Ana Silva', color: '#1f77b4', token: ANA },
        { username: 'bo', display_name: 'Bo', token: BO }
      ]
    });
    // No --token: the printed token is the first user's own.
    t = await startServer({ usersFile: file, token: null });
  });
  afterAll(() => t.close());

  it("prints the first user's token", () => {
    expect(t.token).toBe(ANA);
  });

  it('returns the identity of the user owning the token', async () => {
    const ana = (await t.request('GET', '/api/me', { token: ANA })).json();
    expect(ana).toEqual({
      identity: {
        username: 'ana',
        name: 'Ana Silva',
        display_name: 'Ana Silva',
        initials: 'AS',
        avatar_url: null,
        color: '#1f77b4'
      },
      permissions: {}
    });
    const bo = (await t.request('GET', '/api/me', { token: BO })).json();
    expect(bo.identity).toMatchObject({ username: 'bo', display_name: 'Bo', initials: 'B' });
    expect(bo.identity.color).toMatch(/^#/);
  });

  it('answers the permissions asked for from the role', async () => {
    const ask = (p: unknown): string =>
      `/api/me?permissions=${encodeURIComponent(JSON.stringify(p))}`;
    const asked = { contents: ['read', 'write'], opsbook: ['ingest', 'fly'], nothing: ['read'] };
    const editor = (await t.request('GET', ask(asked), { token: BO })).json();
    expect(editor.permissions).toEqual({
      contents: ['read', 'write'],
      opsbook: ['ingest'],
      nothing: []
    });
    const bad = await t.request('GET', '/api/me?permissions=nope', { token: BO });
    expect(bad.status).toBe(400);
    const file = usersFile({ users: [{ username: 'vi', token: ANA, role: 'viewer' }] });
    const viewers = await startServer({ usersFile: file, token: null });
    try {
      const viewer = (await viewers.request('GET', ask(asked), { token: ANA })).json();
      expect(viewer.permissions).toEqual({ contents: ['read'], opsbook: [], nothing: [] });
    } finally {
      await viewers.close();
    }
  });

  it('maps an explicit --token to the first user', async () => {
    const file = usersFile({
      users: [
        { username: 'ana', token: ANA },
        { username: 'bo', token: BO }
      ]
    });
    const other = await startServer({ usersFile: file, token: 'explicit-token-0123456789' });
    try {
      expect(other.token).toBe('explicit-token-0123456789');
      const me = (
        await other.request('GET', '/api/me', { token: 'explicit-token-0123456789' })
      ).json();
      expect(me.identity.username).toBe('ana');
      expect((await other.request('GET', '/api/me', { token: BO })).json().identity.username).toBe(
        'bo'
      );
    } finally {
      await other.close();
    }
  });

  it('refuses to start with an invalid users file, naming the entry', async () => {
    const notebookDir = tempDir();
    const cases: [unknown, RegExp][] = [
      [{ users: [] }, /'users' must be a non-empty array/],
      [{ users: [{ username: 'a b' }] }, /users\[0\]: 'username'/],
      [{ users: [{ username: 'a', token: 'short' }] }, /users\[0\]: 'token' is shorter than 16/],
      [
        {
          users: [
            { username: 'a', token: ANA },
            { username: 'b', token: ANA }
          ]
        },
        /users\[1\]: two users share/
      ],
      [{ users: [{ username: 'a' }, { username: 'a' }] }, /duplicate username 'a'/]
    ];
    for (const [content, message] of cases) {
      const server = createServer(
        { notebookDir, port: 0, usersFile: usersFile(content) },
        { logSink: () => undefined }
      );
      await expect(server.listen()).rejects.toThrow(message);
      await server.close();
    }
  });

  it('derives initials from display names', () => {
    expect(initialsOf('Ana Maria Silva')).toBe('AS');
    expect(initialsOf('bo')).toBe('B');
    expect(initialsOf('  ')).toBe('?');
  });
});
