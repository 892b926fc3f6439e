import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { AUDIT_ACTIONS, type AuditLog } from '../src/audit-log';
import { entryHash, type ChainFault } from '../src/chain';
import { verifyExport, type ChainExport } from '../src/hash-chain';
import { generateInstanceKey, signBytes } from '../src/keys';
import { openProvenanceStore, STORE_FILE, type ProvenanceStore } from '../src/store';
import { pick, seeded, tempDir } from './helpers';

const USERS = ['ana', 'bo', 'cy', 'dee'];
const NOTEBOOKS = ['incidents/checkout.ipynb', 'incidents/db.ipynb', 'weekly.ipynb'];

/** `count` audit events by random users, at increasing times. */
function appendRandom(audit: AuditLog, rand: () => number, count: number): void {
  let time = Date.UTC(2026, 10, 25, 3, 0, 0);
  for (let i = 0; i < count; i++) {
    time += 1 + pick(rand, 60_000);
    audit.record({
      action: AUDIT_ACTIONS[pick(rand, AUDIT_ACTIONS.length)],
      user: USERS[pick(rand, USERS.length)],
      time: new Date(time).toISOString(),
      notebook: rand() < 0.9 ? { path: NOTEBOOKS[pick(rand, NOTEBOOKS.length)] } : null,
      rationale: rand() < 0.3 ? `because ${pick(rand, 1000)}` : null,
      details: { n: i }
    });
  }
}

type Tamper = 'edit' | 'edit-rehash' | 'delete' | 'swap' | 'signature' | 'index';
const TAMPERS: Tamper[] = ['edit', 'edit-rehash', 'delete', 'swap', 'signature', 'index'];

interface RawRow {
  seq: number;
  prev_hash: string;
  payload: string;
  hash: string;
  signature: string;
  user: string;
}

/**
 * Tampers with the SQLite file directly (as someone with file access would: triggers dropped)
 * and returns the fault `verify` must report. `lo..hi` bounds the seqs it may touch.
 */
function tamper(
  file: string,
  kind: Tamper,
  rand: () => number,
  lo: number,
  hi: number,
  last: number
): Pick<ChainFault, 'seq' | 'problem'> {
  const raw = new Database(file);
  try {
    raw.exec(
      'DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;'
    );
    const row = (seq: number) =>
      raw.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seq) as RawRow;
    const k = lo + pick(rand, hi - lo + 1);
    const edited = () => {
      const payload = JSON.parse(row(k).payload);
      payload.user = 'mallory';
      return JSON.stringify(payload, Object.keys(payload).sort());
    };
    switch (kind) {
      case 'edit':
        raw.prepare('UPDATE audit_log SET payload = ? WHERE seq = ?').run(edited(), k);
        return { seq: k, problem: 'payload-edited' };
      case 'edit-rehash': {
        // The attacker knows the format and recomputes the hash, but cannot sign it.
        const payload = edited();
        raw
          .prepare('UPDATE audit_log SET payload = ?, hash = ?, user = ? WHERE seq = ?')
          .run(payload, entryHash(row(k).prev_hash, payload), 'mallory', k);
        return { seq: k, problem: 'bad-signature' };
      }
      case 'delete':
        raw.prepare('DELETE FROM audit_log WHERE seq = ?').run(k);
        return { seq: k, problem: k === last ? 'truncated' : 'missing' };
      case 'swap': {
        const a = lo + pick(rand, Math.max(1, hi - lo));
        const b = a + 1 + pick(rand, hi - a);
        const ra = row(a);
        const rb = row(b);
        const put = raw.prepare(
          'UPDATE audit_log SET prev_hash = ?, payload = ?, hash = ?, signature = ?, action = ?, user = ?, time = ?, notebook = ? WHERE seq = ?'
        );
        const cols = (r: RawRow) => {
          const full = raw.prepare('SELECT * FROM audit_log WHERE seq = ?').get(r.seq) as Record<
            string,
            unknown
          >;
          return [
            full.prev_hash,
            full.payload,
            full.hash,
            full.signature,
            full.action,
            full.user,
            full.time,
            full.notebook
          ];
        };
        const ca = cols(ra);
        const cb = cols(rb);
        // The hash column is UNIQUE: park one row's hash first.
        raw.prepare('UPDATE audit_log SET hash = ? WHERE seq = ?').run('x', a);
        put.run(...ca, b);
        put.run(...cb, a);
        return { seq: a, problem: 'reordered' };
      }
      case 'signature': {
        const other = generateInstanceKey();
        raw
          .prepare('UPDATE audit_log SET signature = ? WHERE seq = ?')
          .run(signBytes(other, Buffer.from(row(k).hash, 'hex')), k);
        return { seq: k, problem: 'bad-signature' };
      }
      case 'index':
        raw.prepare('UPDATE audit_log SET user = ? WHERE seq = ?').run('mallory', k);
        return { seq: k, problem: 'index-mismatch' };
    }
  } finally {
    raw.close();
  }
}

describe('hash-chained audit log', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: ProvenanceStore;
  beforeEach(() => {
    tmp = tempDir();
    store = openProvenanceStore(tmp.dir);
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('verifies a chain of random appends by several users', () => {
    appendRandom(store.audit, seeded(1), 200);
    const report = store.audit.verify({ anchor: store.audit.chain.head() });
    expect(report).toMatchObject({ ok: true, verified: 200, fault: null, head: { seq: 200 } });
  });

  it('refuses UPDATE and DELETE on the table (triggers as a second line)', () => {
    appendRandom(store.audit, seeded(2), 3);
    const raw = new Database(path.join(tmp.dir, STORE_FILE));
    try {
      expect(() => raw.prepare("UPDATE audit_log SET payload = '{}' WHERE seq = 1").run()).toThrow(
        /append-only: entries cannot be changed/
      );
      expect(() => raw.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(
        /append-only: entries cannot be deleted/
      );
    } finally {
      raw.close();
    }
    expect(store.audit.verify().ok).toBe(true);
  });

  it('detects every random tampering and names the first bad entry exactly', () => {
    const file = path.join(tmp.dir, STORE_FILE);
    store.close();
    for (let trial = 0; trial < 60; trial++) {
      tmp.cleanup();
      tmp = tempDir();
      store = openProvenanceStore(tmp.dir);
      const rand = seeded(1000 + trial);
      const n = 6 + pick(rand, 40);
      appendRandom(store.audit, rand, n);
      const anchor = store.audit.chain.head();
      const f = path.join(tmp.dir, STORE_FILE);
      const kind = TAMPERS[pick(rand, TAMPERS.length)];
      // Half the trials tamper twice: once in the first half, once in the second; the first
      // half's fault must be the one reported.
      const twice = rand() < 0.5;
      const mid = Math.floor(n / 2);
      const expected = tamper(f, kind, rand, 1, twice ? mid : n, n);
      if (twice) {
        const second = TAMPERS.filter(t => t !== 'delete')[pick(rand, TAMPERS.length - 1)];
        tamper(f, second, rand, mid + 2, n, n);
      }
      const report = store.audit.verify({ anchor });
      expect({
        trial,
        kind,
        twice,
        fault: report.fault && { seq: report.fault.seq, problem: report.fault.problem }
      }).toEqual({
        trial,
        kind,
        twice,
        fault: expected
      });
      expect(report.ok).toBe(false);
      store.close();
    }
    expect(file).toBeTruthy();
    store = openProvenanceStore(tmp.dir);
  });

  it('detects a forged entry appended with another key', () => {
    appendRandom(store.audit, seeded(3), 5);
    const raw = new Database(path.join(tmp.dir, STORE_FILE));
    const head = store.audit.chain.head()!;
    const payload = '{"action":"export","user":"mallory"}';
    const hash = entryHash(head.hash, payload);
    raw
      .prepare(
        'INSERT INTO audit_log (seq, prev_hash, payload, hash, signature) VALUES (?, ?, ?, ?, ?)'
      )
      .run(6, head.hash, payload, hash, signBytes(generateInstanceKey(), Buffer.from(hash, 'hex')));
    raw.close();
    expect(store.audit.verify().fault).toMatchObject({ seq: 6, problem: 'bad-signature' });
  });

  it('queries events by notebook, user and time range', () => {
    const t = (m: number) => new Date(Date.UTC(2026, 10, 25, 3, m)).toISOString();
    store.audit.record({ action: 'open', user: 'ana', time: t(0), notebook: { path: 'a.ipynb' } });
    store.audit.record({
      action: 'run',
      user: 'bo',
      time: t(5),
      notebook: { path: 'a.ipynb', fileId: 'f1' },
      details: { runId: 'r1' }
    });
    store.audit.record({
      action: 'export',
      user: 'ana',
      time: t(10),
      notebook: { path: 'b.ipynb' },
      rationale: 'postmortem'
    });
    store.audit.record({ action: 'permission-change', user: 'ana', time: t(15), notebook: null });
    expect(store.audit.query({ notebook: 'a.ipynb' }).map(e => e.seq)).toEqual([1, 2]);
    expect(store.audit.query({ user: 'ana' }).map(e => e.action)).toEqual([
      'open',
      'export',
      'permission-change'
    ]);
    expect(store.audit.query({ user: 'ana', from: t(5), to: t(10) }).map(e => e.seq)).toEqual([3]);
    expect(store.audit.query({ from: t(5), to: t(15), action: 'run' })[0]).toMatchObject({
      user: 'bo',
      notebook: { path: 'a.ipynb', fileId: 'f1' },
      details: { runId: 'r1' },
      rationale: null
    });
  });

  it('rejects malformed events with the field at fault', () => {
    const time = new Date().toISOString();
    expect(() => store.audit.record({ action: 'delete' as never, user: 'ana', time })).toThrow(
      /action "delete" is not one of/
    );
    expect(() => store.audit.record({ action: 'open', user: '', time })).toThrow(/user must be/);
    expect(() => store.audit.record({ action: 'open', user: 'ana', time: '25/11/2026' })).toThrow(
      /time must be ISO-8601 UTC/
    );
    expect(() => store.audit.query({ from: 'yesterday' })).toThrow(/from must be ISO-8601 UTC/);
  });
});

describe('exported ranges', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: ProvenanceStore;
  beforeAll(() => {
    tmp = tempDir();
    store = openProvenanceStore(tmp.dir);
    appendRandom(store.audit, seeded(7), 60);
  });
  afterAll(() => {
    store.close();
    tmp.cleanup();
  });

  const copy = (doc: ChainExport): ChainExport => JSON.parse(JSON.stringify(doc));

  it('verifies offline, with and without a trusted public key', () => {
    const doc = copy(store.audit.export(11, 40));
    expect(doc.entries).toHaveLength(30);
    expect(verifyExport(doc)).toMatchObject({ ok: true, verified: 30 });
    expect(verifyExport(doc, store.key.publicKeyBase64).ok).toBe(true);
    expect(verifyExport(copy(store.audit.export())).ok).toBe(true);
  });

  it('rejects an export checked against another public key', () => {
    const doc = copy(store.audit.export(1, 10));
    const report = verifyExport(doc, generateInstanceKey().publicKeyBase64);
    expect(report.fault?.problem).toBe('untrusted-key');
    // Re-signing everything with another key does not help when the verifier trusts ours.
    doc.publicKey = generateInstanceKey().publicKeyBase64;
    expect(verifyExport(doc, store.key.publicKeyBase64).fault?.problem).toBe('untrusted-key');
    expect(verifyExport(doc).fault?.problem).toBe('bad-range-signature');
  });

  it('detects random tampering with an export and names the first bad entry', () => {
    const rand = seeded(99);
    for (let trial = 0; trial < 80; trial++) {
      const from = 1 + pick(rand, 30);
      const to = from + 4 + pick(rand, 25);
      const doc = copy(store.audit.export(from, to));
      const n = doc.entries.length;
      const i = pick(rand, n);
      let expected: Partial<ChainFault>;
      switch (pick(rand, 6)) {
        case 0: {
          const payload = JSON.parse(doc.entries[i].payload);
          payload.time = '2020-01-01T00:00:00.000Z';
          doc.entries[i].payload = JSON.stringify(payload);
          expected = { seq: from + i, problem: 'payload-edited' };
          break;
        }
        case 1:
          doc.entries.splice(i, 1);
          expected = { seq: from + i, problem: i === n - 1 ? 'truncated' : 'missing' };
          break;
        case 2: {
          const j = i + 1 + pick(rand, n - 1 - i);
          if (j >= n) {
            doc.entries.splice(i, 1);
            expected = { seq: from + i, problem: i === n - 1 ? 'truncated' : 'missing' };
            break;
          }
          [doc.entries[i], doc.entries[j]] = [doc.entries[j], doc.entries[i]];
          expected = { seq: from + j, position: i, problem: 'reordered' };
          break;
        }
        case 3:
          doc.entries[i].signature = signBytes(
            generateInstanceKey(),
            Buffer.from(doc.entries[i].hash, 'hex')
          );
          expected = { seq: from + i, problem: 'bad-signature' };
          break;
        case 4: {
          const cut = 1 + pick(rand, n - 1);
          doc.entries.length = n - cut;
          expected = { seq: to - cut + 1, problem: 'truncated' };
          break;
        }
        default:
          doc.range.count -= 1;
          expected = { problem: 'bad-range-signature' };
      }
      const report = verifyExport(doc, store.key.publicKeyBase64);
      expect({ trial, fault: report.fault && { ...report.fault, message: undefined } }).toEqual({
        trial,
        fault: expect.objectContaining(expected)
      });
    }
  });

  it('refuses documents that are not exports', () => {
    expect(verifyExport(null).fault?.problem).toBe('malformed');
    expect(verifyExport({ format: 'x' }).fault?.message).toMatch(/opsbook.chain-export.v1/);
    const doc = copy(store.audit.export(1, 3));
    const badRange = copy(doc);
    (badRange.range as unknown as Record<string, unknown>).count = NaN;
    expect(verifyExport(badRange).fault).toMatchObject({ problem: 'malformed' });
    doc.publicKey = 'not a key';
    expect(verifyExport(doc).fault?.message).toMatch(/base64 of 32 bytes/);
  });

  it('hashes each entry as SHA-256(prevHash bytes || canonical payload)', () => {
    const [first, second] = store.audit.export(1, 2).entries;
    expect(first.prevHash).toBe('0'.repeat(64));
    expect(second.hash).toBe(
      createHash('sha256')
        .update(Buffer.from(first.hash, 'hex'))
        .update(second.payload)
        .digest('hex')
    );
  });
});
