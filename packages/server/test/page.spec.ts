import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { isHashedName, pageLocation, renderPage } from '../src/lab/page';
import { startServer, TestServer, TOKEN } from './helpers';

/** The page config embedded in a served page. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
function configOf(html: string): Record<string, any> {
  const m = /<script id="jupyter-config-data" type="application\/json">(.*?)<\/script>/s.exec(html);
  return JSON.parse(m![1]);
}

describe('the app page', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer();
    fs.writeFileSync(
      path.join(t.appDir, 'main.0123456789abcdef.js'),
      'console.log("app");\n'.repeat(200)
    );
    fs.writeFileSync(path.join(t.appDir, 'duckdb-eh.wasm'), Buffer.alloc(4096, 1));
    fs.writeFileSync(path.join(t.appDir, 'style.css'), 'body{}');
  });
  afterAll(() => t.close());

  it('serves /lab with the page config injected', async () => {
    const res = await t.request('GET', '/lab');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-cache');
    const config = configOf(res.text);
    expect(config).toMatchObject({
      baseUrl: '/',
      wsUrl: `ws://127.0.0.1:${t.port}/`,
      appUrl: '/lab',
      token: TOKEN,
      appendToken: false,
      themesUrl: '/lab/api/themes',
      settingsUrl: '/lab/api/settings',
      translationsApiUrl: '/lab/api/translations',
      treePath: '',
      workspace: 'default',
      appName: 'Opsbook',
      disabledExtensions: [],
      notebookStartsKernel: true,
      exposeAppInBrowser: true,
      fullStaticUrl: '/static',
      opsbook: { datasetsUrl: '/api/datasets', queryTimeoutMs: 30000, queryMemoryLimit: '2GB' }
    });
    expect(typeof config.appVersion).toBe('string');
  });

  it('passes the tree path, escaping < so a file name cannot close the script', async () => {
    // A file name cannot hold '/', but '<' alone would open the way: it must never appear raw.
    const name = '<script>alert(1)<!--.ipynb';
    const res = await t.request('GET', `/lab/tree/dir/${encodeURIComponent(name)}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>alert(1)');
    expect(res.text).toContain('\\u003cscript\\u003ealert(1)\\u003c!--');
    expect(configOf(res.text).treePath).toBe(`dir/${name}`);
  });

  it('serves workspace URLs', async () => {
    const res = await t.request('GET', '/lab/workspaces/incident-42/tree/a.ipynb');
    expect(configOf(res.text)).toMatchObject({ workspace: 'incident-42', treePath: 'a.ipynb' });
  });

  it('re-reads index.html after a rebuild', async () => {
    const file = path.join(t.appDir, 'index.html');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, original.replace('<body>', '<body data-build="2">'));
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await t.request('GET', '/lab')).text).toContain('data-build="2"');
  });

  it('keeps $ patterns in values literal', () => {
    const html = renderPage('<x>__OPSBOOK_PAGE_CONFIG__</x>', { treePath: "$&$'" });
    expect(JSON.parse(html.slice(3, -4))).toEqual({ treePath: "$&$'" });
  });

  it('parses page locations', () => {
    expect(pageLocation('/lab')).toEqual({ treePath: '', workspace: 'default' });
    expect(pageLocation('/lab/tree/a%20b/c.ipynb')).toEqual({
      treePath: 'a b/c.ipynb',
      workspace: 'default'
    });
    expect(pageLocation('/lab/tree/../x')).toEqual({ treePath: '', workspace: 'default' });
    expect(pageLocation('/api/contents')).toBeNull();
  });

  it('serves static files with their MIME types and immutable caching for hashed names', async () => {
    const js = await t.request('GET', '/static/main.0123456789abcdef.js', { token: null });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const wasm = await t.request('GET', '/static/duckdb-eh.wasm', { token: null });
    expect(wasm.headers['content-type']).toBe('application/wasm');
    expect(wasm.headers['cache-control']).toBe('no-cache');
    const css = await t.request('GET', '/static/style.css', { token: null });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const index = await t.request('GET', '/static/index.html', { token: null });
    expect(index.headers['cache-control']).toBe('no-cache');
    expect((await t.request('GET', '/static/missing.js', { token: null })).status).toBe(404);
    expect(isHashedName('123.4f6e0a1b2c3d4e5f.js')).toBe(true);
    expect(isHashedName('index.html')).toBe(false);
  });

  it('gzips compressible files when the client accepts it', async () => {
    const gz = await t.request('GET', '/static/main.0123456789abcdef.js', {
      headers: { 'Accept-Encoding': 'gzip, br' }
    });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(zlib.gunzipSync(gz.body).toString()).toBe('console.log("app");\n'.repeat(200));
    expect(Number(gz.headers['content-length'])).toBeLessThan(4000);
    const again = await t.request('GET', '/static/main.0123456789abcdef.js', {
      headers: { 'Accept-Encoding': 'gzip' }
    });
    expect(again.body).toEqual(gz.body);
    const plain = await t.request('GET', '/static/main.0123456789abcdef.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const wasm = await t.request('GET', '/static/duckdb-eh.wasm', {
      headers: { 'Accept-Encoding': 'gzip' }
    });
    expect(wasm.headers['content-encoding']).toBe('gzip');
  });

  it('answers a matching ETag with 304', async () => {
    const first = await t.request('GET', '/static/style.css');
    const second = await t.request('GET', '/static/style.css', {
      headers: { 'If-None-Match': String(first.headers.etag) }
    });
    expect(second.status).toBe(304);
  });

  it('says how to fix a missing build', async () => {
    const other = await startServer({ appDir: path.join(t.appDir, 'nope') });
    try {
      const res = await other.request('GET', '/lab');
      expect(res.status).toBe(500);
      expect(res.json().message).toMatch(
        /The app page is missing .*index.html.*build the frontend first/
      );
    } finally {
      await other.close();
    }
  });
});
