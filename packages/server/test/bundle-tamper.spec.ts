/**
 * Tampered and hostile investigation bundles (issue #5, part 6): every change to a bundle is
 * detected and the first bad thing named exactly (member, chain and seq, snapshot id); importing
 * a bad bundle imports nothing (catalog and notebook folder unchanged). Needs `npx tsc -b
 * packages/server` first (the workers run from lib/).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import Database from 'better-sqlite3';

import { generateInstanceKey } from '@opsbook/provenance/lib/keys';

import { signManifest, tarHeader } from '../src/provenance/bundle-format';
import { verifyBundle, type BundleProblem } from '../src/provenance/bundle-verify';
import { EDITOR_TOKEN, tempDir } from './helpers';
import {
  editJson,
  instance,
  NOTEBOOK,
  readMembers,
  rewrite,
  source,
  writeMembers,
  type Source
} from './bundle-fixture';

jest.setTimeout(120_000);

describe('tampered and hostile bundles', () => {
  let src: Source;
  let b: Awaited<ReturnType<typeof instance>>;
  let small: Awaited<ReturnType<typeof instance>>;
  let file: string;
  let runSeqs: number[];
  let auditSeqs: number[];
  let snapshotId: string;

  const firstBad = async (bundle: string): Promise<BundleProblem> => {
    const { report } = await verifyBundle(bundle);
    expect(report.ok).toBe(false);
    return report.firstBad!;
  };
  const snapshotCount = () => {
    if (!fs.existsSync(path.join(b.catalogDir, 'catalog.sqlite'))) return 0;
    const db = new Database(path.join(b.catalogDir, 'catalog.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT count(*) FROM snapshots').pluck().get();
    } finally {
      db.close();
    }
  };
  /** POSTs `bundle` to B and checks that nothing was imported. */
  const refusedByB = async (bundle: string) => {
    const before = { snapshots: snapshotCount(), files: fs.readdirSync(b.notebookDir).sort() };
    const res = await b.request('POST', '/api/opsbook/bundles', {
      rawBody: fs.readFileSync(bundle),
      headers: { 'Content-Type': 'application/octet-stream' },
      token: EDITOR_TOKEN
    });
    expect(res.status).toBe(422);
    expect({ snapshots: snapshotCount(), files: fs.readdirSync(b.notebookDir).sort() }).toEqual(
      before
    );
    expect(fs.existsSync(path.join(b.notebookDir, 'imported'))).toBe(false);
    return res.json();
  };

  beforeAll(async () => {
    src = await source();
    b = await instance();
    small = await instance({ maxBundleBytes: 4096 });
    const res = await src.a.request(
      'GET',
      `/api/opsbook/bundles?notebook=${encodeURIComponent(NOTEBOOK)}`
    );
    expect(res.status).toBe(200);
    file = path.join(tempDir('opsbook-bundle-'), 'checkout.opsbundle');
    fs.writeFileSync(file, res.body);
    const manifest = JSON.parse((await readMembers(file))[0].data.toString('utf8'));
    runSeqs = manifest.runs.map((r: { seq: number }) => r.seq);
    auditSeqs = manifest.audit;
    snapshotId = manifest.snapshots[0].id;
    expect((await verifyBundle(file)).report.ok).toBe(true);
  });
  afterAll(async () => {
    await src?.engine.dispose();
    await src?.a.close();
    await b?.close();
    await small?.close();
  });

  it('names a snapshot whose data changed by one byte', async () => {
    const bad = await rewrite(file, members => {
      const m = members.find(x => x.name === `snapshots/${snapshotId}.parquet`)!;
      m.data = Buffer.from(m.data);
      m.data[Math.floor(m.data.length / 3)] ^= 0x01;
    });
    const problem = await firstBad(bad);
    expect(['snapshot-id-mismatch', 'snapshot-unreadable']).toContain(problem.code);
    expect(problem).toMatchObject({ snapshotId, member: `snapshots/${snapshotId}.parquet` });
    const { report } = await verifyBundle(bad);
    expect(report.problems.map(p => [p.code, p.member])).toContainEqual([
      'member-hash-mismatch',
      `snapshots/${snapshotId}.parquet`
    ]);
    expect((await refusedByB(bad)).report.firstBad.snapshotId).toBe(snapshotId);
  });

  it('names an edited run entry by chain and seq', async () => {
    const seq = runSeqs[1];
    const bad = await rewrite(file, members =>
      editJson(members, 'runs.json', doc => {
        const entry = doc.entries.find((e: { seq: number }) => e.seq === seq);
        entry.payload = entry.payload.replace('"rowCount":', '"rowCount":1');
      })
    );
    expect(await firstBad(bad)).toMatchObject({
      code: 'payload-edited',
      chain: 'run_log',
      seq,
      member: 'runs.json'
    });
    await refusedByB(bad);
  });

  it('names a removed run entry', async () => {
    const seq = runSeqs[1];
    const bad = await rewrite(file, members =>
      editJson(members, 'runs.json', doc => {
        doc.entries = doc.entries.filter((e: { seq: number }) => e.seq !== seq);
      })
    );
    expect(await firstBad(bad)).toMatchObject({ code: 'missing', chain: 'run_log', seq });
  });

  it('names two swapped run entries', async () => {
    const bad = await rewrite(file, members =>
      editJson(members, 'runs.json', doc => {
        [doc.entries[0], doc.entries[1]] = [doc.entries[1], doc.entries[0]];
      })
    );
    expect(await firstBad(bad)).toMatchObject({
      code: 'reordered',
      chain: 'run_log',
      seq: runSeqs[1]
    });
  });

  it('names an edited audit entry, and a notebook entry whose payload was redacted', async () => {
    const seq = auditSeqs[auditSeqs.length - 1];
    const edited = await rewrite(file, members =>
      editJson(members, 'audit.json', doc => {
        const entry = doc.entries.find((e: { seq: number }) => e.seq === seq);
        entry.payload = entry.payload.replace('"user":"eve"', '"user":"mallory"');
      })
    );
    expect(await firstBad(edited)).toMatchObject({
      code: 'payload-edited',
      chain: 'audit_log',
      seq,
      member: 'audit.json'
    });
    const hidden = await rewrite(file, members =>
      editJson(members, 'audit.json', doc => {
        const entry = doc.entries.find((e: { seq: number }) => e.seq === seq);
        delete entry.payload;
        entry.redacted = true;
      })
    );
    expect(await firstBad(hidden)).toMatchObject({
      code: 'redacted-entry',
      chain: 'audit_log',
      seq
    });
  });

  it('detects a swapped public key: the manifest, then every chain signature fails', async () => {
    const mallory = generateInstanceKey();
    const declared = await rewrite(file, members =>
      editJson(members, 'bundle.json', doc => {
        doc.instance = { publicKey: mallory.publicKeyBase64, keyId: mallory.keyId };
      })
    );
    expect(await firstBad(declared)).toMatchObject({
      code: 'bad-bundle-signature',
      member: 'bundle.json'
    });
    // Re-signed by the attacker, chains re-labelled: the chains' signatures are still A's.
    const resigned = await rewrite(file, members => {
      editJson(members, 'runs.json', doc => (doc.publicKey = mallory.publicKeyBase64));
      editJson(members, 'audit.json', doc => (doc.publicKey = mallory.publicKeyBase64));
      const manifest = members[0];
      const doc = JSON.parse(manifest.data.toString('utf8'));
      for (const m of doc.members) {
        const data = members.find(x => x.name === m.name)!.data;
        m.size = data.length;
        m.sha256 = createHash('sha256').update(data).digest('hex');
      }
      doc.instance = { publicKey: mallory.publicKeyBase64, keyId: mallory.keyId };
      manifest.data = Buffer.from(JSON.stringify(signManifest(doc, mallory)));
    });
    expect(await firstBad(resigned)).toMatchObject({
      code: 'bad-range-signature',
      chain: 'run_log',
      member: 'runs.json'
    });
    await refusedByB(resigned);
  });

  it('names a truncated file, a missing member and a hash that does not match bundle.json', async () => {
    const truncated = path.join(tempDir(), 'truncated.opsbundle');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expect((await firstBad(truncated)).code).toBe('truncated');
    await refusedByB(truncated);

    const keys = `snapshots/${snapshotId}.keys.parquet`;
    const missing = await rewrite(file, members => members.filter(m => m.name !== keys));
    expect(await firstBad(missing)).toMatchObject({ code: 'member-missing', member: keys });
    await refusedByB(missing);

    const notebook = await rewrite(file, members => {
      const m = members.find(x => x.name === 'notebook.ipynb')!;
      m.data = Buffer.from(m.data.toString('utf8').replace('"cell-logs"', '"cell-logz"'));
    });
    const problem = await firstBad(notebook);
    expect(problem).toMatchObject({ code: 'member-hash-mismatch', member: 'notebook.ipynb' });

    const listedHash = await rewrite(file, members =>
      editJson(members, 'bundle.json', doc => {
        doc.members.find((m: { name: string }) => m.name === 'notebook.ipynb').sha256 = '0'.repeat(
          64
        );
      })
    );
    const { report } = await verifyBundle(listedHash);
    expect(report.firstBad).toMatchObject({ code: 'bad-bundle-signature' });
    expect(report.problems).toContainEqual(
      expect.objectContaining({ code: 'member-hash-mismatch', member: 'notebook.ipynb' })
    );
  });

  it('refuses hostile containers with a clear error and writes nothing', async () => {
    const members = await readMembers(file);
    const traversal = writeMembers(path.join(tempDir(), 'evil.opsbundle'), [
      members[0],
      { name: '../evil.txt', data: Buffer.from('pwned') }
    ]);
    const t = await firstBad(traversal);
    expect(t).toMatchObject({ code: 'bad-member-name', member: '../evil.txt' });
    expect(t.message).toContain("'../x'");
    const answer = await refusedByB(traversal);
    expect(answer.report.firstBad.code).toBe('bad-member-name');
    expect(fs.existsSync(path.join(b.notebookDir, '..', 'evil.txt'))).toBe(false);

    // A header claiming an absurd size (8 GiB - 1) in a small file.
    const absurd = path.join(tempDir(), 'absurd.opsbundle');
    const header = tarHeader('bundle.json', 0, 0);
    header.write('77777777777\0', 124, 'ascii');
    header.write(' '.repeat(8), 148, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    fs.writeFileSync(absurd, Buffer.concat([header, Buffer.alloc(2048)]));
    expect((await firstBad(absurd)).code).toBe('member-too-large');
    await refusedByB(absurd);

    const notBundle = path.join(tempDir(), 'not.opsbundle');
    fs.writeFileSync(notBundle, JSON.stringify({ cells: [] }));
    const n = await firstBad(notBundle);
    expect(n.code).toBe('not-a-bundle');
    expect(n.message).toContain('Not an Opsbook bundle');
    await refusedByB(notBundle);

    const tooBig = await small.request('POST', '/api/opsbook/bundles', {
      rawBody: fs.readFileSync(file),
      headers: { 'Content-Type': 'application/octet-stream' }
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json().message).toContain('maxBundleBytes');
    const uploads = path.join(small.notebookDir, '.opsbook', 'bundles', 'uploads');
    expect(fs.existsSync(uploads) ? fs.readdirSync(uploads) : []).toEqual([]);
  });
});
