import * as fs from 'node:fs';
import * as path from 'node:path';

import { startServer, tempDir, TestServer } from './helpers';

const SECRET = 'TOP-SECRET-CONTENT';

describe('path traversal', () => {
  let t: TestServer;
  // Created while the tests are defined, so the variant table can name it.
  const outside = tempDir('opsbook-outside-');
  const outsideName = path.basename(outside);

  beforeAll(async () => {
    fs.writeFileSync(path.join(outside, 'secret.txt'), SECRET);
    t = await startServer();
    fs.mkdirSync(path.join(t.notebookDir, 'sub'));
    fs.writeFileSync(path.join(t.notebookDir, 'inside.txt'), 'inside');
    fs.symlinkSync(outside, path.join(t.notebookDir, 'link-out'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(t.notebookDir, 'link-file.txt'));
    fs.symlinkSync(path.join(outside, 'missing.txt'), path.join(t.notebookDir, 'dangling.txt'));
  });
  afterAll(() => t.close());

  /** Every way of naming a file outside the root, as the raw tail after /api/contents/. */
  const variants: [string, string][] = [
    ['a dot-dot segment', `../${outsideName}/secret.txt`],
    ['a nested dot-dot', `sub/../../${outsideName}/secret.txt`],
    ['an encoded dot-dot', `%2e%2e/${outsideName}/secret.txt`],
    ['an upper-case encoded dot-dot and slash', `%2E%2E%2F${outsideName}%2Fsecret.txt`],
    ['an encoded slash inside a segment', `sub%2f..%2f..%2f${outsideName}%2fsecret.txt`],
    ['an absolute path', `${outside}/secret.txt`],
    ['an encoded absolute path', encodeURIComponent(`${outside}/secret.txt`)],
    ['a Windows drive path', 'C:/Windows/win.ini'],
    ['an encoded Windows drive path', 'C%3A%5CWindows%5Cwin.ini'],
    ['backslashes', `..\\${outsideName}\\secret.txt`],
    ['encoded backslashes', `..%5c${outsideName}%5csecret.txt`],
    ['a NUL byte', 'inside.txt%00.ipynb'],
    ['a symlinked directory pointing outside', 'link-out/secret.txt'],
    ['a symlinked file pointing outside', 'link-file.txt']
  ];

  it.each(variants)(
    'refuses %s on GET with 404, a warning, and reads nothing',
    async (_name, tail) => {
      const before = t.logs.length;
      const res = await t.request('GET', `/api/contents/${tail}?content=1`);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain(SECRET);
      const warning = t.logs.slice(before).find(l => l.level === 'warn');
      expect(warning?.line).toContain(`GET /api/contents/${tail}`);
      expect(warning?.line).toContain('127.0.0.1');
    }
  );

  it.each(variants)('refuses %s on PUT with 404 and writes nothing', async (_name, tail) => {
    const res = await t.request('PUT', `/api/contents/${tail}`, {
      body: { type: 'file', format: 'text', content: 'PWNED' }
    });
    expect(res.status).toBe(404);
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe(SECRET);
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(fs.readFileSync(path.join(t.notebookDir, 'inside.txt'), 'utf8')).toBe('inside');
  });

  it('refuses to write through a symlinked directory to a new file outside', async () => {
    const res = await t.request('PUT', '/api/contents/link-out/new.txt', {
      body: { type: 'file', format: 'text', content: 'PWNED' }
    });
    expect(res.status).toBe(404);
    expect(fs.existsSync(path.join(outside, 'new.txt'))).toBe(false);
  });

  it('refuses to write through a dangling symlink (it would create a file outside)', async () => {
    const res = await t.request('PUT', '/api/contents/dangling.txt', {
      body: { type: 'file', format: 'text', content: 'PWNED' }
    });
    expect(res.status).toBe(404);
    expect(fs.existsSync(path.join(outside, 'missing.txt'))).toBe(false);
  });

  it('refuses traversal in DELETE, PATCH targets, copy sources and checkpoints', async () => {
    const del = await t.request('DELETE', `/api/contents/..%2f${outsideName}%2fsecret.txt`);
    expect(del.status).toBe(404);
    const rename = await t.request('PATCH', '/api/contents/inside.txt', {
      body: { path: `../${outsideName}/moved.txt` }
    });
    expect(rename.status).toBe(404);
    const copy = await t.request('POST', '/api/contents', {
      body: { copy_from: `../${outsideName}/secret.txt` }
    });
    expect(copy.status).toBe(404);
    const copyLink = await t.request('POST', '/api/contents', {
      body: { copy_from: 'link-file.txt' }
    });
    expect(copyLink.status).toBe(404);
    const checkpoint = await t.request('POST', '/api/contents/link-file.txt/checkpoints');
    expect(checkpoint.status).toBe(404);
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(fs.existsSync(path.join(t.notebookDir, 'inside.txt'))).toBe(true);
  });

  it('refuses traversal through /files/ and the static routes', async () => {
    for (const url of [
      `/files/..%2f${outsideName}%2fsecret.txt`,
      '/files/link-file.txt',
      `/static/..%2f..%2f${outsideName}%2fsecret.txt`,
      `/lab/api/themes/%2e%2e/%2e%2e/${outsideName}/secret.txt`
    ]) {
      const res = await t.request('GET', url);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
      expect(res.text).not.toContain(SECRET);
    }
  });

  it('hides dot-files and the state dir from direct access', async () => {
    fs.writeFileSync(path.join(t.notebookDir, '.env'), 'KEY=1');
    expect((await t.request('GET', '/api/contents/.env')).status).toBe(404);
    expect((await t.request('GET', '/api/contents/.opsbook')).status).toBe(404);
    expect(
      (await t.request('PUT', '/api/contents/.opsbook/x', { body: { type: 'file', content: '' } }))
        .status
    ).toBe(404);
  });

  it('still serves symlinks that stay inside the root', async () => {
    fs.symlinkSync(path.join(t.notebookDir, 'inside.txt'), path.join(t.notebookDir, 'alias.txt'));
    const res = await t.request('GET', '/api/contents/alias.txt');
    expect(res.status).toBe(200);
    expect(res.json().content).toBe('inside');
  });
});
