import * as fs from 'node:fs';
import * as path from 'node:path';

import { findSchemas } from '../src/lab/settings';
import { fakeAppDir, startServer, TestServer } from './helpers';

function writeSchema(appDir: string, pkg: string, plugin: string, schema: unknown): void {
  const dir = path.join(appDir, 'schemas', ...pkg.split('/'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${plugin}.json`), JSON.stringify(schema));
}

describe('settings', () => {
  let t: TestServer;
  const tracker = {
    title: 'Notebook',
    type: 'object',
    properties: { kernelShutdown: { type: 'boolean', default: false } }
  };

  beforeAll(async () => {
    const appDir = fakeAppDir();
    writeSchema(appDir, '@jupyterlab/notebook-extension', 'tracker', tracker);
    writeSchema(appDir, '@jupyterlab/notebook-extension', 'panel', { type: 'object' });
    writeSchema(appDir, '@jupyterlab/apputils-extension', 'themes', { type: 'object' });
    writeSchema(appDir, 'opsbook-plain', 'plugin', { type: 'object' });
    fs.writeFileSync(
      path.join(appDir, 'schemas', '@jupyterlab', 'notebook-extension', 'package.json.orig'),
      JSON.stringify({ version: '4.6.4' })
    );
    t = await startServer({ appDir });
  });
  afterAll(() => t.close());

  it('lists every bundled schema with its id, default raw and version', async () => {
    const res = await t.request('GET', '/lab/api/settings?1700000000');
    expect(res.status).toBe(200);
    const settings = res.json().settings;
    expect(settings.map((s: { id: string }) => s.id)).toEqual([
      '@jupyterlab/apputils-extension:themes',
      '@jupyterlab/notebook-extension:panel',
      '@jupyterlab/notebook-extension:tracker',
      'opsbook-plain:plugin'
    ]);
    const trackerModel = settings.find(
      (s: { id: string }) => s.id === '@jupyterlab/notebook-extension:tracker'
    );
    expect(trackerModel).toMatchObject({
      raw: '{}',
      schema: tracker,
      settings: {},
      version: '4.6.4',
      last_modified: null
    });
  });

  it('lists ids only when asked', async () => {
    const res = (await t.request('GET', '/lab/api/settings?ids_only=true')).json();
    expect(res.settings[0]).toEqual({ id: '@jupyterlab/apputils-extension:themes' });
  });

  it('stores raw JSON5 verbatim and returns it parsed', async () => {
    const raw = '{\n  // shut kernels down with their notebook\n  kernelShutdown: true,\n}\n';
    const put = await t.request('PUT', '/lab/api/settings/@jupyterlab/notebook-extension:tracker', {
      body: { raw }
    });
    expect(put.status).toBe(204);
    const res = (
      await t.request('GET', '/lab/api/settings/@jupyterlab/notebook-extension:tracker')
    ).json();
    expect(res.raw).toBe(raw);
    expect(res.settings).toEqual({ kernelShutdown: true });
    expect(typeof res.last_modified).toBe('string');
    const stored = path.join(
      t.notebookDir,
      '.opsbook',
      'settings',
      '@jupyterlab',
      'notebook-extension',
      'tracker.jupyterlab-settings'
    );
    expect(fs.readFileSync(stored, 'utf8')).toBe(raw);
  });

  it('accepts a percent-encoded plugin id', async () => {
    const res = await t.request(
      'GET',
      `/lab/api/settings/${encodeURIComponent('@jupyterlab/notebook-extension:panel')}`
    );
    expect(res.status).toBe(200);
    expect(res.json().id).toBe('@jupyterlab/notebook-extension:panel');
  });

  it('refuses invalid JSON5 and unknown plugins', async () => {
    const bad = await t.request('PUT', '/lab/api/settings/@jupyterlab/notebook-extension:panel', {
      body: { raw: '{oops' }
    });
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(
      /Invalid settings for '@jupyterlab\/notebook-extension:panel': 'raw' is not JSON5/
    );
    const unknown = await t.request('GET', '/lab/api/settings/@nope/x:y');
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toMatch(/No settings schema for plugin '@nope\/x:y'/);
  });

  it('finds no schemas when the app has none', async () => {
    expect(await findSchemas(fakeAppDir(), '1')).toEqual([]);
  });
});
