/**
 * Roles are enforced on the server: a viewer can read notebooks but no REST route lets them
 * change one (the collaboration socket has its own test in collaboration-hostile.spec.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { notebook, startServer, tempDir, TestServer, TOKEN } from './helpers';

const VIEWER = 'v'.repeat(40);
let s: TestServer;
let dir: string;

beforeEach(async () => {
  dir = tempDir('opsbook-roles-');
  fs.writeFileSync(path.join(dir, 'a.ipynb'), JSON.stringify(notebook('original')));
  const users = path.join(tempDir(), 'users.json');
  fs.writeFileSync(
    users,
    JSON.stringify({
      users: [
        { username: 'ana', token: TOKEN, role: 'editor' },
        { username: 'vic', token: VIEWER, role: 'viewer' }
      ]
    })
  );
  s = await startServer({ notebookDir: dir, usersFile: users });
});

afterEach(() => s.close());

const onDisk = (): string => fs.readFileSync(path.join(dir, 'a.ipynb'), 'utf8');

describe('a viewer', () => {
  it('can read a notebook', async () => {
    const res = await s.request('GET', '/api/contents/a.ipynb', { token: VIEWER });
    expect(res.status).toBe(200);
  });

  it('is told nothing is writable for them (JupyterLab then opens documents read-only)', async () => {
    const file = await s.request('GET', '/api/contents/a.ipynb?content=0', { token: VIEWER });
    expect(file.json().writable).toBe(false);
    const listing = await s.request('GET', '/api/contents', { token: VIEWER });
    expect(listing.json().writable).toBe(false);
    expect(listing.json().content.map((c: { writable: boolean }) => c.writable)).toEqual(
      listing.json().content.map(() => false)
    );
    expect(listing.json().content.length).toBeGreaterThan(0);
    // The owner still can.
    const owner = await s.request('GET', '/api/contents?content=1');
    expect(owner.json().writable).toBe(true);
    expect(owner.json().content.some((c: { writable: boolean }) => c.writable)).toBe(true);
  });

  const writes: [string, string, unknown][] = [
    ['PUT', '/api/contents/a.ipynb', { type: 'notebook', content: notebook('vandalised') }],
    ['PUT', '/api/contents/b.ipynb', { type: 'notebook', content: notebook('new') }],
    ['POST', '/api/contents', { type: 'notebook' }],
    ['POST', '/api/contents', { copy_from: 'a.ipynb' }],
    ['PATCH', '/api/contents/a.ipynb', { path: 'renamed.ipynb' }],
    ['DELETE', '/api/contents/a.ipynb', undefined],
    ['POST', '/api/contents/a.ipynb/checkpoints', undefined]
  ];
  it.each(writes)('gets 403 for %s %s and nothing changes', async (method, url, body) => {
    const before = onDisk();
    const listing = fs.readdirSync(dir).sort();
    const res = await s.request(method, url, { token: VIEWER, body });
    expect(res.status).toBe(403);
    expect(res.json().message).toMatch(/viewer and cannot change documents/);
    expect(onDisk()).toBe(before);
    expect(fs.readdirSync(dir).sort()).toEqual(listing);
  });

  it('cannot restore or delete a checkpoint an editor made', async () => {
    const made = await s.request('POST', '/api/contents/a.ipynb/checkpoints');
    expect(made.status).toBe(201);
    const id = made.json().id as string;
    await s.request('PUT', '/api/contents/a.ipynb', {
      body: { type: 'notebook', content: notebook('edited by ana') }
    });
    const before = onDisk();
    for (const method of ['POST', 'DELETE']) {
      const res = await s.request(method, `/api/contents/a.ipynb/checkpoints/${id}`, {
        token: VIEWER
      });
      expect(res.status).toBe(403);
    }
    expect(onDisk()).toBe(before);
    const list = await s.request('GET', '/api/contents/a.ipynb/checkpoints', { token: VIEWER });
    expect(list.json()).toHaveLength(1);
  });
});

describe('an editor', () => {
  it('can save, rename and delete', async () => {
    expect(
      (
        await s.request('PUT', '/api/contents/a.ipynb', {
          body: { type: 'notebook', content: notebook('edited') }
        })
      ).status
    ).toBe(200);
    expect(onDisk()).toContain('edited');
    expect(
      (await s.request('PATCH', '/api/contents/a.ipynb', { body: { path: 'b.ipynb' } })).status
    ).toBe(200);
    expect((await s.request('DELETE', '/api/contents/b.ipynb')).status).toBe(204);
  });
});
