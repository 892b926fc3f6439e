/**
 * `opsbook audit verify|ls` and `opsbook runs verify|export|verify-export`, run as the built CLI
 * (`npx tsc -b packages/server` first) over a store a real server wrote, then tampered with the
 * way an attacker with the file would: triggers dropped, rows edited, deleted, reordered.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { generateInstanceKey } from '@opsbook/provenance/lib/keys';

import { parseArgs } from '../src/cli';
import { startServer, tempDir } from './helpers';

const BIN = path.resolve(__dirname, '../bin/opsbook.js');
const NOTEBOOK = 'checkout.ipynb';

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

/** An unstamped run record with no catalog input (so no catalog is needed). */
function record(runId: string, notebook: string, hash: string): Record<string, unknown> {
  return {
    format: 'opsbook.run.v1',
    runId,
    cellId: 'cell-1',
    cellVersion: 'c'.repeat(64),
    notebook: { path: notebook, fileId: null },
    sql: 'SELECT 1',
    parameters: {},
    template: null,
    inputs: [{ table: 'spans', snapshotId: null, columns: [] }],
    engine: { name: 'duckdb-wasm', version: '1.32.0', settings: {} },
    result: { encoding: 'opsbook.result.v1', hash, rowCount: 1, schema: [] },
    parents: [],
    hypothesisId: null,
    rationale: null,
    stamp: null,
    durationMs: 5
  };
}

/** A copy of the pristine store to tamper with. */
function copyStore(from: string): string {
  const dir = path.join(tempDir('opsbook-tamper-'), 'provenance');
  fs.cpSync(from, dir, { recursive: true });
  fs.chmodSync(path.join(dir, 'instance-key.pem'), 0o600);
  return dir;
}

/** Runs SQL on a store's database with the append-only triggers dropped, as an attacker would. */
function tamper(dir: string, sql: string): void {
  const db = new Database(path.join(dir, 'provenance.sqlite'));
  for (const table of ['run_log', 'audit_log']) {
    db.exec(
      `DROP TRIGGER IF EXISTS ${table}_no_update; DROP TRIGGER IF EXISTS ${table}_no_delete;`
    );
  }
  db.exec(sql);
  db.close();
}

describe('opsbook audit and opsbook runs', () => {
  let notebookDir: string;
  let store: string;
  let publicKey: string;

  beforeAll(async () => {
    notebookDir = tempDir('opsbook-nb-');
    const t = await startServer({ notebookDir });
    try {
      const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
        t.request('POST', p, { body, headers });
      // Run log: seq 1..5, runs of two notebooks interleaved. Audit log: run, run, replay, ...
      const notebooks = [NOTEBOOK, NOTEBOOK, 'other.ipynb', NOTEBOOK, NOTEBOOK];
      for (const [i, nb] of notebooks.entries()) {
        const res = await post(
          '/api/opsbook/runs',
          record(`run-${i + 1}`, nb, `${i + 1}`.repeat(64))
        );
        expect(res.status).toBe(201);
      }
      const replay = await post(
        '/api/opsbook/runs/run-1/replays',
        { hash: '9'.repeat(64), rows: 1, durationMs: 3 },
        { 'X-Opsbook-Rationale': 'nightly' }
      );
      expect(replay.json()).toMatchObject({ reproduced: false, auditSeq: 6 });
      publicKey = (await t.request('GET', '/api/opsbook/provenance/key')).json().publicKey;
    } finally {
      await t.close();
    }
    store = path.join(notebookDir, '.opsbook', 'provenance');
  });

  it('parses the audit and runs commands and refuses bad flags with usage errors', () => {
    expect(parseArgs(['audit', 'verify', '--store', '/p'])).toEqual({
      kind: 'audit',
      action: 'verify',
      store: '/p'
    });
    expect(
      parseArgs(['audit', 'ls', '--action=run', '--since', '2026-11-25T03:00:00Z', '--json'])
    ).toMatchObject({
      kind: 'audit',
      action: 'ls',
      auditAction: 'run',
      since: '2026-11-25T03:00:00.000Z',
      json: true,
      store: path.resolve('.opsbook', 'provenance')
    });
    expect(parseArgs(['runs', 'export', '--notebook', 'a.ipynb', '--out', 'x.json'])).toMatchObject(
      { kind: 'runs', action: 'export', notebook: 'a.ipynb', out: 'x.json' }
    );
    expect(parseArgs(['runs', 'verify-export', 'x.json', '--key', 'K'])).toEqual({
      kind: 'runs',
      action: 'verify-export',
      file: 'x.json',
      key: 'K'
    });
    expect(() => parseArgs(['audit', 'ls', '--action', 'delete'])).toThrow(
      /--action must be one of/
    );
    expect(() => parseArgs(['audit', 'ls', '--since', 'yesterday'])).toThrow(/--since must be/);
    expect(() => parseArgs(['runs', 'export'])).toThrow(/needs --notebook/);
    expect(() => parseArgs(['runs', 'verify', '--key', 'K'])).toThrow(/does not apply/);
    expect(() => parseArgs(['audit', 'verify', '--user', 'ana'])).toThrow(
      /is for 'opsbook audit ls'/
    );
  });

  it('verifies the intact logs in the default store of the current directory', async () => {
    const runs = await cli(['runs', 'verify'], notebookDir);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(
      /^run log OK \(.*provenance\): 5 entries verified, head seq 5 hash [0-9a-f]{64}\n$/
    );
    const audit = await cli(['audit', 'verify'], notebookDir);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/audit log OK .*: 6 entries verified, head seq 6/);
    const missing = await cli(['audit', 'verify'], tempDir());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No provenance store at .*\.opsbook\/provenance/);
  });

  it('lists audit entries with filters, as text and as JSON', async () => {
    const text = await cli(['audit', 'ls', '--action', 'replay', '--store', store], tempDir());
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^ {5}6 {2}\S+Z {2}\S+ +replay +checkout\.ipynb {2}\S.* rationale: "nightly"\n$/
    );
    expect(text.stdout).toContain(' hash=999999999999… recordedHash=111111111111… ');
    expect(text.stdout).toContain(' reproduced=false rows=1 runId=run-1 runSeq=1 ');
    const json = JSON.parse(
      (await cli(['audit', 'ls', '--notebook', 'other.ipynb', '--json', '--store', store], '/'))
        .stdout
    );
    expect(json.entries).toMatchObject([{ seq: 3, action: 'run', details: { runId: 'run-3' } }]);
    const future = await cli(
      ['audit', 'ls', '--since', '2999-01-01T00:00:00Z', '--store', store],
      '/'
    );
    expect(future.stdout).toBe('');
    expect(future.stderr).toBe('0 audit entries\n');
  });

  it('names the seq of a run whose payload was edited in the SQLite file', async () => {
    const dir = copyStore(store);
    tamper(
      dir,
      `UPDATE run_log SET payload = replace(payload, '"rowCount":1', '"rowCount":7') WHERE seq = 3`
    );
    const res = await cli(['runs', 'verify', '--store', dir], '/');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /run log FAILED .* at seq 3: payload-edited: .*\(2 entries verified before it\)/
    );
    expect((await cli(['audit', 'verify', '--store', dir], '/')).code).toBe(0);
  });

  it('names the seq of an entry whose hash was recomputed without the key', async () => {
    const dir = copyStore(store);
    const db = new Database(path.join(dir, 'provenance.sqlite'));
    const row = db.prepare('SELECT prev_hash, payload FROM run_log WHERE seq = 5').get() as {
      prev_hash: string;
      payload: string;
    };
    const payload = row.payload.replace('"user":"', '"user":"x');
    const hash = createHash('sha256')
      .update(Buffer.from(row.prev_hash, 'hex'))
      .update(payload)
      .digest('hex');
    db.close();
    tamper(
      dir,
      `UPDATE run_log SET payload = '${payload}', hash = '${hash}', user = 'x' || user WHERE seq = 5`
    );
    const res = await cli(['runs', 'verify', '--store', dir], '/');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/at seq 5: bad-signature/);
  });

  it('names the seq of an edited audit entry', async () => {
    const dir = copyStore(store);
    tamper(
      dir,
      `UPDATE audit_log SET payload = replace(payload, '"reproduced":false', '"reproduced":true') WHERE seq = 6`
    );
    const res = await cli(['audit', 'verify', '--store', dir], '/');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/audit log FAILED .* at seq 6: payload-edited/);
  });

  it('names the seq of a removed entry and of reordered entries', async () => {
    const removed = copyStore(store);
    tamper(removed, 'DELETE FROM run_log WHERE seq = 2');
    const gap = await cli(['runs', 'verify', '--store', removed], '/');
    expect(gap.code).toBe(1);
    expect(gap.stderr).toMatch(/at seq 2: missing: Entry 2 is missing/);

    const reordered = copyStore(store);
    tamper(
      reordered,
      `UPDATE audit_log SET seq = 100 WHERE seq = 2;
       UPDATE audit_log SET seq = 2 WHERE seq = 3;
       UPDATE audit_log SET seq = 3 WHERE seq = 100;`
    );
    const swapped = await cli(['audit', 'verify', '--store', reordered], '/');
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/at seq 2: reordered/);
  });

  it('exports a notebook that verifies offline with the right key only, and not once forged', async () => {
    const out = path.join(tempDir(), 'checkout-runs.json');
    const exported = await cli(
      ['runs', 'export', '--notebook', NOTEBOOK, '--out', out, '--store', store],
      '/'
    );
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(
      /Exported 4 run\(s\) of checkout\.ipynb \(run log entries 1-5\)/
    );
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(doc.publicKey).toBe(publicKey);
    const audit = await cli(['audit', 'ls', '--action', 'export', '--json', '--store', store], '/');
    expect(JSON.parse(audit.stdout).entries).toMatchObject([
      { notebook: { path: NOTEBOOK }, details: { via: 'cli', fromSeq: 1, toSeq: 5 } }
    ]);

    // "Another machine": a directory with no store at all.
    const elsewhere = tempDir('opsbook-offline-');
    const ok = await cli(['runs', 'verify-export', out, '--key', publicKey], elsewhere);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/export .* OK: 5 entries verified, head seq 5/);
    const unkeyed = await cli(['runs', 'verify-export', out], elsewhere);
    expect(unkeyed.code).toBe(0);
    expect(unkeyed.stderr).toMatch(/no --key given/);

    const wrongKey = generateInstanceKey().publicKeyBase64;
    const wrong = await cli(['runs', 'verify-export', out, '--key', wrongKey], elsewhere);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/untrusted-key/);

    const forged = path.join(elsewhere, 'forged.json');
    doc.entries[1].payload = doc.entries[1].payload.replace('"rowCount":1', '"rowCount":2');
    fs.writeFileSync(forged, JSON.stringify(doc));
    const bad = await cli(['runs', 'verify-export', forged, '--key', publicKey], elsewhere);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/FAILED at seq 2: payload-edited/);
  });
});
