/**
 * Investigation bundles end to end (issue #5, part 6): a bundle exported from instance A (real
 * catalog, runs of real SQL run by DuckDB-WASM in Node) verifies offline, imports into instance B
 * (separate roots), where every run replays with the same result hash against B's server and the
 * runs are listed with their origin; `opsbook bundle replay` reproduces every run offline.
 * Needs `npx tsc -b packages/server` first (the ingest and bundle workers run from lib/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';

import Database from 'better-sqlite3';

import { hashArrowTable } from '@opsbook/provenance';
import { queryPinned } from '@opsbook/query-engine/lib/pinned';

import { runBundle, type BundleCommand } from '../src/provenance/bundle-cli';
import { readBundleIndex } from '../src/provenance/bundle-format';
import { verifyBundle } from '../src/provenance/bundle-verify';
import { EDITOR_TOKEN, tempDir, TOKEN, VIEWER_TOKEN } from './helpers';
import { httpOf, instance, NOTEBOOK, source, type Source } from './bundle-fixture';

jest.setTimeout(120_000);

describe('investigation bundles between two instances', () => {
  let src: Source;
  let b: Awaited<ReturnType<typeof instance>>;
  let file: string;
  let keyA: string;
  let imported: string;

  const capture = () => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      sink: {
        stdout: (t: string) => void (out.stdout += t),
        stderr: (t: string) => void (out.stderr += t)
      }
    };
  };

  beforeAll(async () => {
    src = await source();
    b = await instance();
    keyA = (await src.a.request('GET', '/api/opsbook/provenance/key')).json().keyId;
  });
  afterAll(async () => {
    await src?.engine.dispose();
    await src?.a.close();
    await b?.close();
  });

  it('exports one streamed file holding the notebook, its snapshots, runs and audit excerpt', async () => {
    const res = await src.a.request(
      'GET',
      `/api/opsbook/bundles?notebook=${encodeURIComponent(NOTEBOOK)}`,
      {
        token: VIEWER_TOKEN
      }
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toContain('filename="checkout.opsbundle"');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    file = path.join(tempDir('opsbook-bundle-'), 'checkout.opsbundle');
    fs.writeFileSync(file, res.body);

    const names = (await readBundleIndex(file)).map(m => m.name);
    expect(names.slice(0, 4)).toEqual(['bundle.json', 'notebook.ipynb', 'runs.json', 'audit.json']);
    // Two spans snapshots (the pinned one and the one it was appended to), logs, metrics.
    expect(names.filter(n => /^snapshots\/[0-9a-f]{64}\.parquet$/.test(n))).toHaveLength(4);

    const { report } = await verifyBundle(file);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      notebook: NOTEBOOK,
      key: { keyId: keyA, trust: 'self-declared' },
      counts: { runs: 4, snapshots: 4, replays: 1 }
    });
    // The other notebook's run (and its audit entry) is inside the ranges, redacted.
    expect(report.counts.redactedEntries).toBeGreaterThanOrEqual(2);
    const runsJson = fs.readFileSync(file, 'utf8');
    expect(runsJson).not.toContain('SELECT 42 AS answer');
    expect((await verifyBundle(file, { trustedKeyId: keyA })).report.key?.trust).toBe('trusted');
    const other = await verifyBundle(file, { trustedKeyId: 'f'.repeat(64) });
    expect(other.report.ok).toBe(false);
    expect(other.report.firstBad).toMatchObject({ code: 'untrusted-key', member: 'bundle.json' });

    const audit = (await src.a.request('GET', '/api/opsbook/audit?action=export')).json().entries;
    expect(audit.at(-1)).toMatchObject({
      user: 'vic',
      notebook: { path: NOTEBOOK },
      details: { format: 'opsbook.bundle.v1', bundle: res.headers['x-opsbook-bundle'], runs: 4 }
    });
  });

  it('imports into another instance: viewers are refused, snapshots and notebook arrive, runs carry their origin', async () => {
    const body = fs.readFileSync(file);
    const headers = { 'Content-Type': 'application/octet-stream' };
    const refused = await b.request('POST', '/api/opsbook/bundles', {
      rawBody: body,
      headers,
      token: VIEWER_TOKEN
    });
    expect(refused.status).toBe(403);
    expect(fs.existsSync(path.join(b.notebookDir, 'imported'))).toBe(false);

    const res = await b.request('POST', `/api/opsbook/bundles?trust=${keyA}`, {
      rawBody: body,
      headers,
      token: EDITOR_TOKEN
    });
    expect(res.status).toBe(201);
    const answer = res.json();
    imported = answer.notebook;
    expect(imported).toBe('imported/checkout.ipynb');
    expect(answer).toMatchObject({ runs: 4, report: { ok: true, key: { trust: 'trusted' } } });
    expect(answer.snapshots.imported).toHaveLength(4);
    expect(fs.readFileSync(path.join(b.notebookDir, imported), 'utf8')).toBe(
      fs.readFileSync(path.join(src.a.notebookDir, NOTEBOOK), 'utf8')
    );

    const listed = (
      await b.request('GET', `/api/opsbook/runs?notebook=${encodeURIComponent(imported)}`, {
        token: VIEWER_TOKEN
      })
    ).json().runs;
    expect(listed.map((r: { record: { runId: string } }) => r.record.runId)).toEqual(
      src.runs.map(r => r.runId)
    );
    for (const run of listed) {
      expect(run.origin).toMatchObject({
        keyId: keyA,
        bundle: answer.bundleId,
        notebook: NOTEBOOK,
        importedAs: imported
      });
      expect(Buffer.from(run.signature, 'base64')).toHaveLength(64);
    }
    const one = await b.request('GET', `/api/opsbook/runs/${src.runs[2].runId}`);
    expect(one.status).toBe(200);
    expect(one.json()).toMatchObject({ record: src.runs[2], origin: { keyId: keyA } });

    const importEntry = (await b.request('GET', '/api/opsbook/audit?action=import')).json().entries;
    expect(importEntry).toHaveLength(1);
    expect(importEntry[0]).toMatchObject({
      user: 'eve',
      notebook: { path: imported },
      details: { bundle: answer.bundleId, runs: 4, from: { notebook: NOTEBOOK, keyId: keyA } }
    });

    // Again: a new notebook path (nothing overwritten), every snapshot already there.
    const again = (
      await b.request('POST', '/api/opsbook/bundles', { rawBody: body, headers })
    ).json();
    expect(again.notebook).toBe('imported/checkout-2.ipynb');
    expect(again.snapshots).toEqual({ imported: [], skipped: answer.snapshots.imported });
  });

  it('replays every imported run against the importing server, every one reproduced', async () => {
    const { createNodeEngine } = await import('@opsbook/query-engine/lib/node');
    const engine = await createNodeEngine();
    try {
      for (const run of src.runs) {
        const pins = Object.fromEntries(run.inputs.map(i => [i.table, i.snapshotId as string]));
        const { hash } = await queryPinned(run.sql, {
          engine,
          http: httpOf(b),
          pins,
          hash: t => hashArrowTable(t, { createHash: () => createHash('sha256') })
        });
        expect(hash).toMatchObject({ hash: run.result.hash, rowCount: run.result.rowCount });
      }
    } finally {
      await engine.dispose();
    }
    // A replay POSTed for an imported run is recorded like a local one, under the imported path.
    const run = src.runs[1];
    const replay = await b.request('POST', `/api/opsbook/runs/${run.runId}/replays`, {
      body: { hash: run.result.hash, rows: run.result.rowCount, durationMs: 3 },
      token: EDITOR_TOKEN
    });
    expect(replay.status).toBe(201);
    expect(replay.json()).toMatchObject({ reproduced: true, user: 'eve' });
    const replays = (await b.request('GET', `/api/opsbook/runs/${run.runId}/replays`)).json()
      .replays;
    expect(replays).toHaveLength(1);
    const entry = (await b.request('GET', '/api/opsbook/audit?action=replay')).json().entries[0];
    expect(entry.notebook.path).toBe(imported);
  });

  it("'opsbook bundle replay' reproduces every run offline and exits 0", async () => {
    const { out, sink } = capture();
    const code = await runBundle({ kind: 'bundle', action: 'replay', file }, sink);
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    expect(out.stdout).toContain('replay OK');
    expect(out.stdout).toContain('4 reproduced, 0 diverged, 0 not replayable, of 4 run(s)');
    expect(out.stdout.match(/^reproduced /gm)).toHaveLength(4);
  });

  it("'opsbook bundle export|verify|import' work on the stores without a server", async () => {
    const stateDir = path.join(src.a.notebookDir, '.opsbook');
    const out1 = capture();
    const bundle = path.join(tempDir(), 'cli.opsbundle');
    const exported: BundleCommand = {
      kind: 'bundle',
      action: 'export',
      notebook: NOTEBOOK,
      out: bundle,
      stateDir,
      catalogDir: src.a.catalogDir,
      provenanceDir: path.join(stateDir, 'provenance'),
      notebookDir: src.a.notebookDir
    };
    expect(await runBundle(exported, out1.sink)).toBe(0);
    expect(out1.out.stdout).toContain('4 run(s)');

    const keyFile = path.join(tempDir(), 'key.json');
    fs.writeFileSync(keyFile, (await src.a.request('GET', '/api/opsbook/provenance/key')).text);
    const out2 = capture();
    expect(
      await runBundle({ kind: 'bundle', action: 'verify', file: bundle, trust: keyFile }, out2.sink)
    ).toBe(0);
    expect(out2.out.stdout).toMatch(/^bundle OK .*signed by the trusted key/);

    const target = tempDir('opsbook-cli-import-');
    fs.mkdirSync(path.join(target, 'notebooks'));
    const out3 = capture();
    const code = await runBundle(
      {
        kind: 'bundle',
        action: 'import',
        file: bundle,
        stateDir: path.join(target, 'state'),
        catalogDir: path.join(target, 'state', 'catalog'),
        provenanceDir: path.join(target, 'state', 'provenance'),
        notebookDir: path.join(target, 'notebooks')
      },
      out3.sink
    );
    expect(code).toBe(0);
    expect(out3.out.stdout).toContain(
      'Imported as imported/checkout.ipynb: 4 run(s), 4 snapshot(s)'
    );
    const db = new Database(path.join(target, 'state', 'catalog', 'catalog.sqlite'), {
      readonly: true
    });
    expect(db.prepare('SELECT count(*) FROM snapshots').pluck().get()).toBe(4);
    db.close();
  });

  it('refuses to export from a run log edited in the database, naming the seq', async () => {
    const db = new Database(
      path.join(src.a.notebookDir, '.opsbook', 'provenance', 'provenance.sqlite')
    );
    db.exec('DROP TRIGGER IF EXISTS run_log_no_update');
    db.prepare(
      'UPDATE run_log SET payload = replace(payload, \'"rowCount":\', \'"rowCount": \') WHERE seq = 2'
    ).run();
    db.close();
    const res = await src.a.request(
      'GET',
      `/api/opsbook/bundles?notebook=${encodeURIComponent(NOTEBOOK)}`,
      { token: TOKEN }
    );
    expect(res.status).toBe(409);
    expect(res.json().message).toContain('run log fails verification at seq 2 (payload-edited');
  });
});
