/**
 * `HashChain`: an append-only, hash-chained, signed log in one SQLite table (Node only). The run
 * log and the audit log are two chains. The entry format is in chain.ts.
 *
 * Table `<name>`:
 *   seq INTEGER PRIMARY KEY, prev_hash TEXT, payload TEXT, hash TEXT UNIQUE, signature TEXT,
 *   then one TEXT column per index (derived from the payload at append, for queries; `verify`
 *   checks they still match the payload).
 * Triggers refuse every UPDATE and DELETE on it: the API has no such path, and the triggers stop
 * a stray statement. Neither stops someone who edits the file; `verify` is what detects that.
 *
 * Export document (format "opsbook.chain-export.v1"): the entries of a seq range, the public key,
 * and the range { fromSeq, toSeq, count, firstPrevHash, lastHash } signed by the instance key, so
 * a truncated or trimmed export is detected offline by `verifyExport`.
 */
import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import {
  entryHash,
  GENESIS_HASH,
  verifyEntries,
  type ChainAnchor,
  type ChainEntry,
  type VerifyReport
} from './chain';
import { publicKeyFromBase64, signBytes, verifyBytes, type InstanceKey } from './keys';

/** The format tag of exported ranges. */
export const CHAIN_EXPORT_FORMAT = 'opsbook.chain-export.v1';

const NAME = /^[a-z_][a-z0-9_]*$/;

/** A query column derived from each payload. */
export type IndexFn = (payload: Record<string, unknown>) => string | null;

/** Options of `HashChain`. */
export interface HashChainOptions {
  db: Database.Database;
  /** Table name: a plain lower-case SQL identifier. */
  table: string;
  key: InstanceKey;
  /** Derived query columns by name (plain lower-case identifiers). */
  indexes?: Record<string, IndexFn>;
  /** Index columns whose non-null values must be unique (enforced by SQLite, so across processes). */
  unique?: string[];
}

/** The signed range of an export. */
export interface ExportRange {
  log: string;
  fromSeq: number;
  toSeq: number;
  count: number;
  firstPrevHash: string;
  lastHash: string;
}

/** A range of a chain as a self-contained JSON document. */
export interface ChainExport {
  format: string;
  /** Base64 of the raw Ed25519 public key of the instance that signed it. */
  publicKey: string;
  range: ExportRange;
  /** Base64 Ed25519 signature of SHA-256(canonical JSON of { format, publicKey, range }). */
  rangeSignature: string;
  entries: ChainEntry[];
}

interface Row {
  seq: number;
  prev_hash: string;
  payload: string;
  hash: string;
  signature: string;
  [index: string]: unknown;
}

const toEntry = (r: Row): ChainEntry => ({
  seq: r.seq,
  prevHash: r.prev_hash,
  payload: r.payload,
  hash: r.hash,
  signature: r.signature
});

/** An append-only, hash-chained, signed log in one SQLite table (see the module comment). */
export class HashChain {
  readonly table: string;
  private readonly _db: Database.Database;
  private readonly _key: InstanceKey;
  private readonly _indexes: [string, IndexFn][];
  private readonly _append: (payload: Record<string, unknown>) => ChainEntry;

  constructor(options: HashChainOptions) {
    const { db, table, key } = options;
    if (!NAME.test(table)) {
      throw new Error(`HashChain: table name ${JSON.stringify(table)} must match ${NAME}.`);
    }
    this._indexes = Object.entries(options.indexes ?? {});
    for (const [name] of this._indexes) {
      if (!NAME.test(name) || ['seq', 'prev_hash', 'payload', 'hash', 'signature'].includes(name)) {
        throw new Error(
          `HashChain: index column ${JSON.stringify(name)} is not a free identifier.`
        );
      }
    }
    this.table = table;
    this._db = db;
    this._key = key;
    const extra = this._indexes.map(([name]) => `, ${name} TEXT`).join('');
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${table} (
        seq INTEGER PRIMARY KEY,
        prev_hash TEXT NOT NULL,
        payload TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        signature TEXT NOT NULL${extra}
      );
      CREATE TRIGGER IF NOT EXISTS ${table}_no_update BEFORE UPDATE ON ${table}
        BEGIN SELECT RAISE(ABORT, '${table} is append-only: entries cannot be changed'); END;
      CREATE TRIGGER IF NOT EXISTS ${table}_no_delete BEFORE DELETE ON ${table}
        BEGIN SELECT RAISE(ABORT, '${table} is append-only: entries cannot be deleted'); END;
    `);
    for (const [name] of this._indexes) {
      const unique = options.unique?.includes(name) ? 'UNIQUE ' : '';
      db.exec(`CREATE ${unique}INDEX IF NOT EXISTS ${table}_${name} ON ${table} (${name})`);
    }
    const last = db.prepare(`SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1`);
    const columns = [
      'seq',
      'prev_hash',
      'payload',
      'hash',
      'signature',
      ...this._indexes.map(([n]) => n)
    ];
    const insert = db.prepare(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`
    );
    const append = db.transaction((payload: Record<string, unknown>): ChainEntry => {
      const head = last.get() as { seq: number; hash: string } | undefined;
      const text = canonicalJson(payload);
      const prevHash = head?.hash ?? GENESIS_HASH;
      const hash = entryHash(prevHash, text);
      const entry: ChainEntry = {
        seq: (head?.seq ?? 0) + 1,
        prevHash,
        payload: text,
        hash,
        signature: signBytes(this._key, Buffer.from(hash, 'hex'))
      };
      const derived = this._indexes.map(([, fn]) => fn(payload));
      insert.run(entry.seq, entry.prevHash, entry.payload, entry.hash, entry.signature, ...derived);
      return entry;
    });
    // IMMEDIATE: take the write lock before reading the head, so two processes never both
    // append after the same entry.
    this._append = payload => append.immediate(payload);
  }

  /** Base64 of the raw public key that verifies this chain. */
  get publicKey(): string {
    return this._key.publicKeyBase64;
  }

  /** Appends `payload` (a plain JSON object) and returns the new entry. */
  append(payload: Record<string, unknown>): ChainEntry {
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new TypeError(`${this.table}.append: the payload must be a plain JSON object.`);
    }
    return this._append(payload);
  }

  /** The last entry's seq and hash, or null for an empty chain. */
  head(): ChainAnchor | null {
    const row = this._db
      .prepare(`SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`)
      .get() as ChainAnchor | undefined;
    return row ?? null;
  }

  /** The entry with this seq, or null. */
  get(seq: number): ChainEntry | null {
    const row = this._db.prepare(`SELECT * FROM ${this.table} WHERE seq = ?`).get(seq) as
      Row | undefined;
    return row ? toEntry(row) : null;
  }

  /** Entries with fromSeq <= seq <= toSeq, in order. */
  entries(fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): ChainEntry[] {
    return (
      this._db
        .prepare(`SELECT * FROM ${this.table} WHERE seq BETWEEN ? AND ? ORDER BY seq`)
        .all(fromSeq, toSeq) as Row[]
    ).map(toEntry);
  }

  /**
   * Entries whose index columns equal the given values (and, for `range`, whose column lies in
   * [from, to], compared as text), in seq order. Column names must be the chain's indexes.
   */
  find(
    where: Record<string, string | undefined>,
    range?: { column: string; from?: string; to?: string },
    limit = 10_000
  ): ChainEntry[] {
    const known = new Set(this._indexes.map(([n]) => n));
    const clauses: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of Object.entries(where)) {
      if (value === undefined) continue;
      if (!known.has(column)) {
        throw new Error(`${this.table}.find: ${JSON.stringify(column)} is not an index column.`);
      }
      clauses.push(`${column} = ?`);
      params.push(value);
    }
    if (range) {
      if (!known.has(range.column)) {
        throw new Error(
          `${this.table}.find: ${JSON.stringify(range.column)} is not an index column.`
        );
      }
      if (range.from !== undefined) {
        clauses.push(`${range.column} >= ?`);
        params.push(range.from);
      }
      if (range.to !== undefined) {
        clauses.push(`${range.column} <= ?`);
        params.push(range.to);
      }
    }
    const sql =
      `SELECT * FROM ${this.table}` +
      (clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '') +
      ' ORDER BY seq LIMIT ?';
    return (this._db.prepare(sql).all(...params, limit) as Row[]).map(toEntry);
  }

  /**
   * Walks the whole chain and reports the first bad entry. Pass a head seen earlier as `anchor`
   * to also detect entries cut off the end.
   */
  verify(options: { anchor?: ChainAnchor | null } = {}): VerifyReport {
    const locate = this._db.prepare(`SELECT seq FROM ${this.table} WHERE hash = ?`).pluck();
    const rows = this._db.prepare(`SELECT * FROM ${this.table} ORDER BY seq`);
    const indexes = this._indexes;
    const stored = new Map<number, Row>();
    const entries = function* () {
      for (const row of rows.iterate() as IterableIterator<Row>) {
        stored.set(row.seq, row);
        yield toEntry(row);
        stored.delete(row.seq);
      }
    };
    return verifyEntries(entries(), {
      publicKey: this._key.publicKey,
      locateHash: hash => (locate.get(hash) as number | undefined) ?? null,
      // Rows come in ascending seq order: a skipped seq can never come later.
      seqComesLater: () => false,
      checkIndex: entry => {
        if (indexes.length === 0) return null;
        const row = stored.get(entry.seq)!;
        const payload = JSON.parse(entry.payload) as Record<string, unknown>;
        for (const [name, fn] of indexes) {
          if ((row[name] ?? null) !== fn(payload)) {
            return `its ${name} column (${JSON.stringify(row[name])}) disagrees with its payload.`;
          }
        }
        return null;
      },
      anchor: options.anchor ?? null
    });
  }

  /** The entries fromSeq..toSeq (default: all) as a signed, self-contained document. */
  export(fromSeq = 1, toSeq?: number): ChainExport {
    const head = this.head();
    const to = toSeq ?? head?.seq ?? 0;
    if (
      !Number.isSafeInteger(fromSeq) ||
      fromSeq < 1 ||
      fromSeq > to + 1 ||
      !Number.isSafeInteger(to) ||
      to > (head?.seq ?? 0)
    ) {
      throw new RangeError(
        `${this.table}.export: range ${fromSeq}..${to} is outside the chain (1..${head?.seq ?? 0}).`
      );
    }
    const entries = this.entries(fromSeq, to);
    const firstPrevHash =
      entries[0]?.prevHash ??
      (fromSeq === 1 ? GENESIS_HASH : (this.get(fromSeq - 1)?.hash ?? GENESIS_HASH));
    const range: ExportRange = {
      log: this.table,
      fromSeq,
      toSeq: to,
      count: entries.length,
      firstPrevHash,
      lastHash: entries.length ? entries[entries.length - 1].hash : firstPrevHash
    };
    const publicKey = this._key.publicKeyBase64;
    return {
      format: CHAIN_EXPORT_FORMAT,
      publicKey,
      range,
      rangeSignature: signBytes(this._key, rangeDigest(publicKey, range)),
      entries
    };
  }
}

/** SHA-256 of the canonical JSON of `{ format, publicKey, range }`: what `rangeSignature` signs. */
export function rangeDigest(publicKey: string, range: ExportRange): Buffer {
  return createHash('sha256')
    .update(canonicalJson({ format: CHAIN_EXPORT_FORMAT, publicKey, range }))
    .digest();
}

/**
 * Checks an exported range offline: the public key (against `trustedPublicKey` when given), the
 * signed range, then every entry as `HashChain.verify` does, and that the entries cover the range
 * exactly. Never throws on a bad document: the report says what is wrong.
 */
export function verifyExport(doc: unknown, trustedPublicKey?: string): VerifyReport {
  const d = doc as Partial<ChainExport> | null;
  const fault = (
    problem: 'malformed' | 'untrusted-key' | 'bad-range-signature',
    message: string
  ): VerifyReport => ({
    ok: false,
    verified: 0,
    head: null,
    fault: { seq: d?.range?.fromSeq ?? 0, position: 0, problem, message }
  });
  if (!d || typeof d !== 'object' || d.format !== CHAIN_EXPORT_FORMAT) {
    return fault('malformed', `Not a chain export: "format" must be "${CHAIN_EXPORT_FORMAT}".`);
  }
  if (!Array.isArray(d.entries) || !d.range || typeof d.publicKey !== 'string') {
    return fault('malformed', 'The export lacks "entries", "range" or "publicKey".');
  }
  if (trustedPublicKey !== undefined && d.publicKey !== trustedPublicKey) {
    return fault('untrusted-key', 'The export is signed by a key other than the trusted one.');
  }
  let publicKey;
  try {
    publicKey = publicKeyFromBase64(d.publicKey);
  } catch (error) {
    return fault('malformed', (error as Error).message);
  }
  const range = d.range;
  let digest: Buffer;
  try {
    digest = rangeDigest(d.publicKey, range);
  } catch (error) {
    return fault('malformed', `The export's range is not plain JSON: ${(error as Error).message}`);
  }
  if (typeof d.rangeSignature !== 'string' || !verifyBytes(publicKey, digest, d.rangeSignature)) {
    return fault('bad-range-signature', 'The signature over the exported range does not verify.');
  }
  const positions = new Map<number, number>();
  const hashes = new Map<string, number>();
  d.entries.forEach((e, i) => {
    if (e && typeof e === 'object') {
      if (!positions.has(e.seq)) positions.set(e.seq, i);
      hashes.set(e.hash, e.seq);
    }
  });
  const report = verifyEntries(d.entries, {
    publicKey,
    firstSeq: range.fromSeq,
    firstPrevHash: range.firstPrevHash,
    locateHash: hash => hashes.get(hash) ?? null,
    seqComesLater: (seq, position) => (positions.get(seq) ?? -1) > position,
    anchor: range.count > 0 ? { seq: range.toSeq, hash: range.lastHash } : null
  });
  if (report.ok && (report.verified !== range.count || d.entries.length !== range.count)) {
    return {
      ...report,
      ok: false,
      fault: {
        seq: range.fromSeq + report.verified,
        position: report.verified,
        problem: 'malformed',
        message: `The export holds ${d.entries.length} entries; its signed range says ${range.count}.`
      }
    };
  }
  return report;
}
