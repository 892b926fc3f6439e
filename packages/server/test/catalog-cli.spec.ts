/**
 * `opsbook ingest` and `opsbook catalog ls|show`, run as the built CLI (`npx tsc -b
 * packages/server` first), and a running server reading what the CLI ingested.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ADAPTER_KINDS } from '@opsbook/adapters';

import { parseArgs } from '../src/cli';
import { INGEST_KINDS } from '../src/catalog/protocol';
import { startServer, tempDir } from './helpers';

const BIN = path.resolve(__dirname, '../bin/opsbook.js');
const OTLP = path.resolve(__dirname, '../../adapters/test/fixtures/otlp');
const SHARED_OTLP = '/work/shared/data/otlp';

/** Runs the built CLI in `cwd`. */
function cli(
  args: string[],
  cwd: string
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, [BIN, ...args], { cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** An OTLP example: the shared copy when present, else the adapters' test fixture. */
function example(name: string): string {
  const shared = path.join(SHARED_OTLP, name);
  return fs.existsSync(shared) ? shared : path.join(OTLP, name);
}

describe('opsbook ingest and opsbook catalog', () => {
  it('accepts exactly the adapter kinds of the adapters registry', () => {
    expect([...INGEST_KINDS].sort()).toEqual(Object.keys(ADAPTER_KINDS).sort());
  });

  it('parses ingest, catalog and the new serve flags', () => {
    expect(
      parseArgs([
        'ingest',
        'a.json',
        'b.json',
        '--as',
        'otlp',
        '--dataset=checkout',
        '--store',
        '/s'
      ])
    ).toEqual({
      kind: 'ingest',
      files: ['a.json', 'b.json'],
      as: 'otlp',
      dataset: 'checkout',
      store: '/s',
      table: undefined,
      onError: 'reject',
      services: undefined
    });
    expect(parseArgs(['catalog', 'show', 'checkout', '--json', '--store', '/s'])).toEqual({
      kind: 'catalog',
      action: 'show',
      name: 'checkout',
      store: '/s',
      json: true
    });
    const serve = parseArgs([
      'serve',
      '--store',
      '/s',
      '--prometheus',
      'prod=http://prom:9090',
      '--prometheus=dev=http://dev:9090',
      '--alertmanager',
      'am=http://am:9093'
    ]);
    expect(serve).toMatchObject({
      config: {
        catalogDir: '/s',
        pullSources: [
          { name: 'prod', kind: 'prometheus', url: 'http://prom:9090' },
          { name: 'dev', kind: 'prometheus', url: 'http://dev:9090' },
          { name: 'am', kind: 'alertmanager', url: 'http://am:9093' }
        ]
      }
    });
    expect(() => parseArgs(['ingest', 'a.json', '--as', 'yaml'])).toThrow(/--as must be one of/);
    expect(() => parseArgs(['ingest', '--as', 'otlp'])).toThrow(/at least one FILE/);
    expect(() => parseArgs(['catalog', 'show'])).toThrow(/catalog show NAME/);
    expect(() => parseArgs(['serve', '--prometheus', 'noequals'])).toThrow(/NAME=URL/);
  });

  it('ingests files, adds nothing the second time, and lists and shows the dataset', async () => {
    const cwd = tempDir('opsbook-cli-');
    const store = path.join(cwd, 'store');
    const files = [example('trace.json'), example('logs.json')];
    const first = await cli(['ingest', ...files, '--as', 'otlp', '--store', store], cwd);
    expect(first.stderr).toMatch(/ingest .*trace\.json/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/trace\.json -> dataset 'default' \(otlp-json/);
    expect(first.stdout).toMatch(/rows in 1, stored 1, duplicates dropped 0, quarantined 0/);
    expect(first.stdout).toMatch(/snapshot spans [0-9a-f]{64}/);

    const again = await cli(['ingest', files[0], '--store', store], cwd);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/rows in 1, stored 0, duplicates dropped 1/);
    expect(again.stdout).toMatch(/nothing new/);

    const ls = JSON.parse((await cli(['catalog', 'ls', '--store', store, '--json'], cwd)).stdout);
    expect(ls.datasets).toHaveLength(1);
    expect(ls.datasets[0]).toMatchObject({
      name: 'default',
      tables: { spans: { rows: 1 }, logs: { rows: 1 } }
    });
    const show = JSON.parse(
      (await cli(['catalog', 'show', 'default', '--store', store, '--json'], cwd)).stdout
    );
    // Two snapshots: the second ingest made none.
    expect(show.snapshots.map((s: { table: string }) => s.table)).toEqual(['spans', 'logs']);
    expect(show.snapshots[0].source).toBe(files[0]);

    const text = await cli(['catalog', 'show', 'default', '--store', store], cwd);
    expect(text.stdout).toMatch(/Snapshots \(2, oldest first\)/);
    expect(text.stdout).toMatch(/adapter otlp-json@/);
    const unknown = await cli(['catalog', 'show', 'nope', '--store', store], cwd);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No dataset 'nope'/);
  });

  it('exits 1 with the file and position of a rejected record, and 2 on usage errors', async () => {
    const cwd = tempDir('opsbook-cli-');
    const bad = path.join(cwd, 'bad.jsonl');
    fs.writeFileSync(bad, '{"timestamp":"2024-03-01T00:00:00Z","message":"ok"}\nnot json\n');
    const failed = await cli(['ingest', bad, '--store', path.join(cwd, 's')], cwd);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${bad}: line 2, byte 52:`);
    expect(failed.stderr).toMatch(/Nothing was stored from/);
    const quarantined = await cli(
      ['ingest', bad, '--store', path.join(cwd, 's'), '--on-error', 'quarantine'],
      cwd
    );
    expect(quarantined.code).toBe(0);
    expect(quarantined.stdout).toMatch(/quarantined 1 x not-json-line/);

    expect((await cli(['ingest', path.join(cwd, 'x.unknown')], cwd)).code).toBe(2);
    expect((await cli(['ingest', bad, '--as', 'csv'], cwd)).code).toBe(2);
    expect((await cli(['ingest', bad, '--table', 'tables'], cwd)).code).toBe(2);
  });

  it('ingests into the store a running server reads by default', async () => {
    const notebookDir = tempDir('opsbook-nb-');
    const server = await startServer({ notebookDir });
    try {
      const ingested = await cli(['ingest', example('trace.json')], notebookDir);
      expect(ingested.code).toBe(0);
      const list = (await server.request('GET', '/api/opsbook/catalog')).json();
      expect(list.datasets.map((d: { name: string }) => d.name)).toEqual(['default']);
      const datasets = (await server.request('GET', '/api/datasets')).json();
      expect(datasets.datasets.map((d: { name: string }) => d.name)).toEqual([
        'default_spans',
        'spans'
      ]);
    } finally {
      await server.close();
    }
  });

  it('keeps apache-arrow out of the server process unless an ingest command runs', async () => {
    const script = `
      require(${JSON.stringify(path.resolve(__dirname, '../lib/index.js'))});
      require(${JSON.stringify(path.resolve(__dirname, '../lib/cli.js'))});
      require(${JSON.stringify(path.resolve(__dirname, '../lib/catalog/routes.js'))});
      require(${JSON.stringify(path.resolve(__dirname, '../lib/datasets/snapshots.js'))});
      const loaded = Object.keys(require.cache).filter(k => k.includes('apache-arrow'));
      process.stdout.write(String(loaded.length));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], (error, stdout) =>
        error ? reject(error) : resolve(stdout)
      )
    );
    expect(out).toBe('0');
  });
});
