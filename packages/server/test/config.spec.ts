import * as path from 'node:path';

import { DEFAULTS, resolveConfig } from '../src';
import { tempDir } from './helpers';

describe('resolveConfig', () => {
  const notebookDir = tempDir();

  it('fills in the defaults', () => {
    const config = resolveConfig({ notebookDir });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8888,
      notebookDir,
      dataDir: null,
      stateDir: path.join(notebookDir, '.opsbook'),
      token: null,
      noAuth: false,
      maxBodyBytes: 50 * 1024 * 1024,
      queryTimeoutMs: 30000,
      queryMemoryLimit: '2GB',
      logLevel: 'info'
    });
    expect(config.appDir).toBe(path.resolve(__dirname, '..', '..', '..', 'build', 'app'));
  });

  it('is idempotent', () => {
    const once = resolveConfig({ notebookDir, port: 0 });
    expect(resolveConfig(once)).toEqual(once);
  });

  it.each(['0.0.0.0', '192.168.1.10', '::', 'example.com'])(
    'refuses --no-auth on the non-loopback host %s',
    host => {
      expect(() => resolveConfig({ notebookDir, host, noAuth: true })).toThrow(
        /--no-auth is only allowed on a loopback host .* but the host is/
      );
    }
  );

  it.each(['127.0.0.1', '::1', 'localhost'])('accepts --no-auth on the loopback host %s', host => {
    expect(resolveConfig({ notebookDir, host, noAuth: true }).noAuth).toBe(true);
  });

  it('names the bad field and what it expects', () => {
    expect(() => resolveConfig({ notebookDir, port: 70000 })).toThrow(
      "Invalid 'port' value '70000': expected an integer 0-65535."
    );
    expect(() => resolveConfig({ notebookDir: path.join(notebookDir, 'missing') })).toThrow(
      /'notebookDir' is not an existing directory/
    );
    expect(() => resolveConfig({ notebookDir, dataDir: '/nonexistent/data' })).toThrow(
      /'dataDir' is not an existing directory/
    );
    expect(() => resolveConfig({ notebookDir, token: 'short' })).toThrow(/at least 16 characters/);
    expect(() => resolveConfig({ notebookDir, queryMemoryLimit: 'lots' })).toThrow(
      /queryMemoryLimit/
    );
    expect(() => resolveConfig({ notebookDir, maxBodyBytes: -1 })).toThrow(/maxBodyBytes/);
  });

  it('keeps every default documented in one object', () => {
    expect(Object.keys(DEFAULTS)).toEqual(
      expect.arrayContaining(['host', 'port', 'maxBodyBytes', 'queryTimeoutMs'])
    );
  });

  it('puts the telemetry catalog in the state directory and checks pull sources', () => {
    const config = resolveConfig({ notebookDir });
    expect(config).toMatchObject({
      catalogDir: path.join(notebookDir, '.opsbook', 'catalog'),
      defaultDataset: 'default',
      maxIngestBytes: 10 * 1024 ** 3,
      pullSources: []
    });
    expect(resolveConfig({ notebookDir, stateDir: '/s' }).catalogDir).toBe('/s/catalog');
    expect(
      resolveConfig({
        notebookDir,
        pullSources: [{ name: 'prod', kind: 'prometheus', url: 'http://prom:9090/' }]
      }).pullSources
    ).toEqual([{ name: 'prod', kind: 'prometheus', url: 'http://prom:9090' }]);
    expect(() =>
      resolveConfig({
        notebookDir,
        pullSources: [{ name: 'prod', kind: 'prometheus', url: 'file:///etc/passwd' }]
      })
    ).toThrow(/an http\(s\) URL/);
    expect(() => resolveConfig({ notebookDir, defaultDataset: 'Bad-Name' })).toThrow(
      /defaultDataset/
    );
  });
});
