import * as fs from 'node:fs';
import * as path from 'node:path';

import { notebook, startServer, TestServer } from './helpers';

describe('contents API', () => {
  let t: TestServer;

  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(() => t.close());

  it('lists the root directory without dot-files or the state dir', async () => {
    fs.writeFileSync(path.join(t.notebookDir, 'a.txt'), 'hello');
    fs.writeFileSync(path.join(t.notebookDir, '.secret'), 'x');
    fs.mkdirSync(path.join(t.notebookDir, 'sub'));
    const res = await t.request('GET', '/api/contents?content=1&_=123&contentProviderId=undefined');
    expect(res.status).toBe(200);
    const model = res.json();
    expect(model.type).toBe('directory');
    expect(model.content.map((m: { name: string }) => m.name).sort()).toEqual(['a.txt', 'sub']);
    const file = model.content.find((m: { name: string }) => m.name === 'a.txt');
    expect(file).toMatchObject({
      path: 'a.txt',
      type: 'file',
      content: null,
      size: 5,
      writable: true
    });
    expect(typeof file.created).toBe('string');
    expect(typeof file.last_modified).toBe('string');
  });

  it('reads a text file with content and hash, and without content when content=0', async () => {
    fs.writeFileSync(path.join(t.notebookDir, 'a.txt'), 'hello');
    const full = (await t.request('GET', '/api/contents/a.txt?content=1&hash=1')).json();
    expect(full).toMatchObject({
      type: 'file',
      format: 'text',
      content: 'hello',
      mimetype: 'text/plain'
    });
    expect(full.hash).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(full.hash_algorithm).toBe('sha256');
    const bare = (await t.request('GET', '/api/contents/a.txt?content=0')).json();
    expect(bare.content).toBeNull();
    expect(bare.hash).toBeNull();
  });

  it('returns binary files as base64', async () => {
    fs.writeFileSync(path.join(t.notebookDir, 'b.bin'), Buffer.from([0xff, 0x00, 0xfe]));
    const model = (await t.request('GET', '/api/contents/b.bin')).json();
    expect(model.format).toBe('base64');
    expect(Buffer.from(model.content, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0xfe]));
  });

  it('saves a new notebook (201), then overwrites it (200) with new last_modified and hash', async () => {
    const first = await t.request('PUT', '/api/contents/n.ipynb', {
      body: { type: 'notebook', format: 'json', content: notebook('a') }
    });
    expect(first.status).toBe(201);
    expect(first.json().content).toBeNull();
    expect(first.json().hash).toMatch(/^[0-9a-f]{64}$/);
    await new Promise(r => setTimeout(r, 15));
    const second = await t.request('PUT', '/api/contents/n.ipynb', {
      body: { type: 'notebook', format: 'json', content: notebook('b') }
    });
    expect(second.status).toBe(200);
    expect(second.json().hash).not.toBe(first.json().hash);
    expect(second.json().last_modified > first.json().last_modified).toBe(true);
    const read = (await t.request('GET', '/api/contents/n.ipynb')).json();
    expect(read.type).toBe('notebook');
    expect(read.format).toBe('json');
    expect(read.content.cells[0].source).toBe('b');
  });

  it('writes notebooks like nbformat: sorted keys, one-space indent, trailing newline', async () => {
    await t.request('PUT', '/api/contents/n.ipynb', {
      body: { type: 'notebook', content: notebook() }
    });
    const text = fs.readFileSync(path.join(t.notebookDir, 'n.ipynb'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.startsWith('{\n "cells": [\n  {\n   "cell_type": "code",')).toBe(true);
    expect(text.indexOf('"metadata"')).toBeLessThan(text.indexOf('"nbformat"'));
    expect(JSON.parse(text)).toEqual(notebook());
  });

  it('refuses a malformed notebook or body with 400 and a clear message', async () => {
    const badJson = await t.request('PUT', '/api/contents/n.ipynb', {
      rawBody: '{"type": "notebook", '
    });
    expect(badJson.status).toBe(400);
    expect(badJson.json().message).toMatch(/not valid JSON/);
    const noCells = await t.request('PUT', '/api/contents/n.ipynb', {
      body: { type: 'notebook', content: { nbformat: 4, metadata: {} } }
    });
    expect(noCells.status).toBe(400);
    expect(noCells.json().message).toMatch(/'cells' is missing/);
    const v3 = await t.request('PUT', '/api/contents/n.ipynb', {
      body: { type: 'notebook', content: { nbformat: 3, cells: [] } }
    });
    expect(v3.json().message).toMatch(/'nbformat' is 3, not 4/);
    expect(fs.existsSync(path.join(t.notebookDir, 'n.ipynb'))).toBe(false);
  });

  it('reports an unreadable notebook on disk with 400', async () => {
    fs.writeFileSync(path.join(t.notebookDir, 'broken.ipynb'), '{not json');
    const res = await t.request('GET', '/api/contents/broken.ipynb');
    expect(res.status).toBe(400);
    expect(res.json().message).toMatch(/Unreadable notebook 'broken.ipynb'/);
  });

  it('creates untitled notebooks, files and directories with increasing names', async () => {
    const nb1 = await t.request('POST', '/api/contents', { body: { type: 'notebook' } });
    const nb2 = await t.request('POST', '/api/contents/', { body: { type: 'notebook' } });
    const file = await t.request('POST', '/api/contents', { body: { type: 'file', ext: '.md' } });
    const dir1 = await t.request('POST', '/api/contents', { body: { type: 'directory' } });
    const dir2 = await t.request('POST', '/api/contents', { body: { type: 'directory' } });
    expect([nb1, nb2, file, dir1, dir2].map(r => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect([nb1, nb2, file, dir1, dir2].map(r => r.json().path)).toEqual([
      'Untitled.ipynb',
      'Untitled1.ipynb',
      'untitled.md',
      'Untitled Folder',
      'Untitled Folder 1'
    ]);
    const created = JSON.parse(fs.readFileSync(path.join(t.notebookDir, 'Untitled.ipynb'), 'utf8'));
    expect(created).toEqual({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 });
    const inDir = await t.request('POST', '/api/contents/Untitled%20Folder', {
      body: { type: 'file', ext: '.txt' }
    });
    expect(inDir.json().path).toBe('Untitled Folder/untitled.txt');
  });

  it('copies a file as name-Copy1 in the same directory', async () => {
    fs.writeFileSync(path.join(t.notebookDir, 'a.ipynb'), JSON.stringify(notebook()));
    const copy = await t.request('POST', '/api/contents', { body: { copy_from: 'a.ipynb' } });
    expect(copy.status).toBe(201);
    expect(copy.json().path).toBe('a-Copy1.ipynb');
    const again = await t.request('POST', '/api/contents', {
      body: { copy_from: 'a-Copy1.ipynb' }
    });
    expect(again.json().path).toBe('a-Copy2.ipynb');
    expect(fs.readFileSync(path.join(t.notebookDir, 'a-Copy1.ipynb'), 'utf8')).toBe(
      JSON.stringify(notebook())
    );
  });

  it('renames a file, refusing to overwrite an existing one', async () => {
    fs.writeFileSync(path.join(t.notebookDir, 'a.txt'), 'A');
    fs.writeFileSync(path.join(t.notebookDir, 'b.txt'), 'B');
    fs.mkdirSync(path.join(t.notebookDir, 'sub'));
    const taken = await t.request('PATCH', '/api/contents/a.txt', { body: { path: 'b.txt' } });
    expect(taken.status).toBe(409);
    const moved = await t.request('PATCH', '/api/contents/a.txt', { body: { path: 'sub/c.txt' } });
    expect(moved.status).toBe(200);
    expect(moved.json()).toMatchObject({ name: 'c.txt', path: 'sub/c.txt' });
    expect(fs.existsSync(path.join(t.notebookDir, 'a.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(t.notebookDir, 'sub', 'c.txt'), 'utf8')).toBe('A');
  });

  it('deletes files and non-empty directories into the trash', async () => {
    fs.writeFileSync(path.join(t.notebookDir, 'a.txt'), 'A');
    fs.mkdirSync(path.join(t.notebookDir, 'd'));
    fs.writeFileSync(path.join(t.notebookDir, 'd', 'x.txt'), 'X');
    expect((await t.request('DELETE', '/api/contents/a.txt')).status).toBe(204);
    expect((await t.request('DELETE', '/api/contents/d')).status).toBe(204);
    expect(fs.readdirSync(t.notebookDir).filter(n => !n.startsWith('.'))).toEqual([]);
    expect((await t.request('GET', '/api/contents/a.txt')).status).toBe(404);
    expect(fs.readdirSync(path.join(t.notebookDir, '.opsbook', 'trash')).length).toBe(2);
  });

  it('saves text and base64 files and creates directories with PUT', async () => {
    const text = await t.request('PUT', '/api/contents/t.md', {
      body: { type: 'file', format: 'text', content: '# hi' }
    });
    expect(text.status).toBe(201);
    const bin = await t.request('PUT', '/api/contents/b.bin', {
      body: { type: 'file', format: 'base64', content: Buffer.from([1, 2, 3]).toString('base64') }
    });
    expect(bin.status).toBe(201);
    expect(fs.readFileSync(path.join(t.notebookDir, 'b.bin'))).toEqual(Buffer.from([1, 2, 3]));
    const dir = await t.request('PUT', '/api/contents/newdir', { body: { type: 'directory' } });
    expect(dir.status).toBe(201);
    expect(fs.statSync(path.join(t.notebookDir, 'newdir')).isDirectory()).toBe(true);
  });

  it('assembles a chunked upload and only then replaces the file', async () => {
    const put = (chunk: number, data: string) =>
      t.request('PUT', '/api/contents/big.txt', {
        body: {
          type: 'file',
          format: 'base64',
          chunk,
          content: Buffer.from(data).toString('base64')
        }
      });
    const first = await put(1, 'abc');
    expect(first.status).toBe(201);
    expect(first.json()).toMatchObject({ path: 'big.txt', size: 3 });
    expect(fs.existsSync(path.join(t.notebookDir, 'big.txt'))).toBe(false);
    await put(2, 'def');
    const last = await put(-1, 'ghi');
    expect(last.status).toBe(201);
    expect(fs.readFileSync(path.join(t.notebookDir, 'big.txt'), 'utf8')).toBe('abcdefghi');
    expect(fs.readdirSync(t.notebookDir).filter(n => n.includes('opsbook-upload'))).toEqual([]);
  });

  it('ignores unknown query parameters and answers 404 for missing files', async () => {
    const res = await t.request(
      'GET',
      '/api/contents/nope.ipynb?contentProviderId=undefined&1700000000'
    );
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({
      message: "No file or directory at 'nope.ipynb'.",
      reason: 'Not Found'
    });
  });
});
