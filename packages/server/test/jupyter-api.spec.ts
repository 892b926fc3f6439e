import * as fs from 'node:fs';
import * as path from 'node:path';

import { mergeConfig } from '../src/api/jupyter';
import { startServer, TestServer } from './helpers';

describe('Jupyter service endpoints', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.close());

  it('answers the polled lists with empty values', async () => {
    expect((await t.request('GET', '/api/kernelspecs?1')).json()).toEqual({
      default: '',
      kernelspecs: {}
    });
    expect((await t.request('GET', '/api/kernels')).json()).toEqual([]);
    expect((await t.request('GET', '/api/sessions')).json()).toEqual([]);
    expect((await t.request('GET', '/api/terminals')).json()).toEqual([]);
    expect((await t.request('GET', '/api/nbconvert')).json()).toEqual({});
    const status = (await t.request('GET', '/api/status')).json();
    expect(status).toMatchObject({ connections: 0, kernels: 0 });
  });

  it('stores config sections: GET {}, PATCH merges and echoes', async () => {
    expect((await t.request('GET', '/api/config/notebook')).json()).toEqual({});
    const first = await t.request('PATCH', '/api/config/notebook', { body: { a: { b: 1 }, c: 2 } });
    expect(first.json()).toEqual({ a: { b: 1 }, c: 2 });
    const second = await t.request('PATCH', '/api/config/notebook', {
      body: { a: { d: 3 }, c: null }
    });
    expect(second.json()).toEqual({ a: { b: 1, d: 3 } });
    expect((await t.request('GET', '/api/config/notebook')).json()).toEqual({ a: { b: 1, d: 3 } });
    expect((await t.request('GET', '/api/config/..%2fx')).status).toBe(400);
    expect(mergeConfig({ x: 1 }, { x: { y: 1 } })).toEqual({ x: { y: 1 } });
  });

  it('saves and reads workspaces', async () => {
    const empty = (await t.request('GET', '/lab/api/workspaces/default')).json();
    expect(empty).toEqual({ data: {}, metadata: { id: 'default' } });
    const put = await t.request('PUT', '/lab/api/workspaces/default', {
      body: { data: { 'layout-restorer:data': { main: null } }, metadata: { id: 'default' } }
    });
    expect(put.status).toBe(204);
    const saved = (await t.request('GET', '/lab/api/workspaces/default')).json();
    expect(saved.data).toEqual({ 'layout-restorer:data': { main: null } });
    expect(saved.metadata).toMatchObject({ id: 'default' });
    expect(
      fs.existsSync(
        path.join(t.notebookDir, '.opsbook', 'workspaces', 'default.jupyterlab-workspace')
      )
    ).toBe(true);
    const list = (await t.request('GET', '/lab/api/workspaces')).json();
    expect(list.workspaces.ids).toEqual(['default']);
    expect((await t.request('PUT', '/lab/api/workspaces/..', { body: { data: {} } })).status).toBe(
      400
    );
  });

  it('answers translations for English', async () => {
    expect((await t.request('GET', '/lab/api/translations')).json()).toEqual({
      data: { en: { displayName: 'English', nativeName: 'English' } },
      message: ''
    });
    expect((await t.request('GET', '/lab/api/translations/en')).json()).toEqual({
      data: {},
      message: ''
    });
  });

  it('serves theme files from the app', async () => {
    const dir = path.join(t.appDir, 'themes', '@jupyterlab', 'theme-light-extension');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.css'), ':root{--jp-x:1}');
    const res = await t.request(
      'GET',
      '/lab/api/themes/@jupyterlab/theme-light-extension/index.css',
      { token: null }
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.text).toBe(':root{--jp-x:1}');
  });

  it('serves raw files under /files/ sandboxed, with downloads', async () => {
    fs.writeFileSync(path.join(t.notebookDir, 'page.html'), '<script>alert(1)</script>');
    const res = await t.request('GET', '/files/page.html?download=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBe('sandbox');
    expect(res.headers['content-disposition']).toContain("filename*=UTF-8''page.html");
  });

  it('accepts event websocket subscriptions (see auth.spec) and rejects wrong methods with 405', async () => {
    const res = await t.request('DELETE', '/api/kernelspecs');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
  });

  it('refuses bodies over maxBodyBytes with 413', async () => {
    const small = await startServer({ maxBodyBytes: 1024 });
    try {
      const res = await small.request('PUT', '/api/contents/a.txt', {
        body: { type: 'file', content: 'x'.repeat(5000) }
      });
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});
