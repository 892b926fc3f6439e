/**
 * The hash chain format and its verifier (Node only), shared by the SQLite logs and exports.
 *
 * Entry n (seq = 1, 2, 3, ... with no gaps):
 *   prevHash  = hash of entry n-1; for seq 1, 64 zeros (GENESIS_HASH)
 *   payload   = canonical JSON (canonical-json.ts) of the logged object
 *   hash      = hex SHA-256( bytes(prevHash) (32 raw bytes) || UTF-8(payload) )
 *   signature = base64 Ed25519 signature of bytes(hash) (32 raw bytes) with the instance key
 *
 * The chain fixes every entry's position (each hash commits to all before it) and the signature
 * makes a rewritten chain detectable without the key. What a chain alone cannot show is entries
 * cut off its END: for that, compare with a head seen earlier (`anchor`), e.g. the signed range of
 * an export or a head the server publishes.
 *
 * `verifyEntries` walks entries in the order given and reports the FIRST bad one:
 *   missing          the next seq is absent (an entry was deleted)
 *   reordered        an entry is out of place (its seq, or its prevHash, points elsewhere)
 *   payload-edited   hash != SHA-256(prevHash || payload): the payload (or hash) was changed
 *   broken-link      prevHash is not the previous entry's hash and no other entry's either
 *   bad-signature    the signature does not verify with the public key
 *   index-mismatch   a derived query column disagrees with the payload (SQLite logs only)
 *   truncated        entries end before the anchor's seq
 *   anchor-mismatch  the entry at the anchor's seq has another hash
 *   malformed        a field has the wrong type or shape
 */
import { createHash, type KeyObject } from 'node:crypto';
import { verifyBytes } from './keys';

/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** One entry of a hash chain, as stored and exported. */
export interface ChainEntry {
  seq: number;
  prevHash: string;
  /** Canonical JSON. */
  payload: string;
  hash: string;
  /** Base64 Ed25519 signature of the hash's bytes. */
  signature: string;
}

/** Why an entry is bad (see the module comment). */
export type ChainProblem =
  | 'missing'
  | 'reordered'
  | 'payload-edited'
  | 'broken-link'
  | 'bad-signature'
  | 'index-mismatch'
  | 'truncated'
  | 'anchor-mismatch'
  | 'malformed'
  | 'untrusted-key'
  | 'bad-range-signature';

/** The first bad entry of a chain. */
export interface ChainFault {
  /** The seq of the bad entry (for `missing` and `truncated`, the seq that is absent). */
  seq: number;
  /** 0-based position in the walked entries (or export) where the fault shows. */
  position: number;
  problem: ChainProblem;
  /** A sentence for people: what is wrong and where. */
  message: string;
}

/** The outcome of verifying a chain or an export. */
export interface VerifyReport {
  ok: boolean;
  /** Entries that verified before the first fault (all of them when ok). */
  verified: number;
  /** The last good entry. */
  head: { seq: number; hash: string } | null;
  fault: ChainFault | null;
}

/** A head seen earlier that the chain must still contain. */
export interface ChainAnchor {
  seq: number;
  hash: string;
}

/** Options of `verifyEntries`. */
export interface VerifyEntriesOptions {
  publicKey: KeyObject;
  /** Seq of the first entry walked (1 for a whole chain). */
  firstSeq?: number;
  /** prevHash the first entry must have (GENESIS_HASH for a whole chain). */
  firstPrevHash?: string;
  /** The seq of the entry with this hash, if any (to tell a reorder from a broken link). */
  locateHash?: (hash: string) => number | null;
  /** True when an entry with this seq comes later in the walk (to tell a reorder from a gap). */
  seqComesLater?: (seq: number, position: number) => boolean;
  /** A message when the entry's derived columns disagree with its payload, else null. */
  checkIndex?: (entry: ChainEntry) => string | null;
  anchor?: ChainAnchor | null;
}

/** hex SHA-256(bytes(prevHash) || UTF-8(payload)). */
export function entryHash(prevHash: string, payload: string): string {
  return createHash('sha256')
    .update(Buffer.from(prevHash, 'hex'))
    .update(payload, 'utf8')
    .digest('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;

function malformed(entry: unknown): string | null {
  const e = entry as Partial<ChainEntry> | null;
  if (!e || typeof e !== 'object') return 'is not an object';
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return 'has no positive integer seq';
  if (typeof e.prevHash !== 'string' || !HEX64.test(e.prevHash)) return 'has a malformed prevHash';
  if (typeof e.hash !== 'string' || !HEX64.test(e.hash)) return 'has a malformed hash';
  if (typeof e.payload !== 'string') return 'has no payload string';
  if (typeof e.signature !== 'string') return 'has no signature string';
  return null;
}

/** Walks `entries` in order and reports the first bad one (see the module comment). */
export function verifyEntries(
  entries: Iterable<ChainEntry>,
  options: VerifyEntriesOptions
): VerifyReport {
  let expected = options.firstSeq ?? 1;
  let prev = options.firstPrevHash ?? GENESIS_HASH;
  let head: VerifyReport['head'] = null;
  let position = 0;
  const fail = (seq: number, problem: ChainProblem, message: string): VerifyReport => ({
    ok: false,
    verified: position,
    head,
    fault: { seq, position, problem, message }
  });
  for (const entry of entries) {
    const bad = malformed(entry);
    if (bad) {
      return fail(expected, 'malformed', `The entry at position ${position} ${bad}.`);
    }
    if (entry.seq !== expected) {
      const later = entry.seq > expected && !options.seqComesLater?.(expected, position);
      return later
        ? fail(
            expected,
            'missing',
            `Entry ${expected} is missing: entry ${entry.seq} follows ${expected - 1}.`
          )
        : fail(entry.seq, 'reordered', `Entry ${entry.seq} is at the place of entry ${expected}.`);
    }
    if (entryHash(entry.prevHash, entry.payload) !== entry.hash) {
      return fail(entry.seq, 'payload-edited', `Entry ${entry.seq}'s payload or hash was changed.`);
    }
    if (entry.prevHash !== prev) {
      const other = options.locateHash?.(entry.prevHash) ?? null;
      return other !== null && other !== expected - 1
        ? fail(
            entry.seq,
            'reordered',
            `Entry ${entry.seq} holds the entry that follows entry ${other}.`
          )
        : fail(
            entry.seq,
            'broken-link',
            `Entry ${entry.seq} does not link to entry ${expected - 1}.`
          );
    }
    if (!verifyBytes(options.publicKey, Buffer.from(entry.hash, 'hex'), entry.signature)) {
      return fail(entry.seq, 'bad-signature', `Entry ${entry.seq}'s signature does not verify.`);
    }
    const index = options.checkIndex?.(entry) ?? null;
    if (index) {
      return fail(entry.seq, 'index-mismatch', `Entry ${entry.seq}: ${index}`);
    }
    if (options.anchor && entry.seq === options.anchor.seq && entry.hash !== options.anchor.hash) {
      return fail(entry.seq, 'anchor-mismatch', `Entry ${entry.seq} differs from the anchor.`);
    }
    head = { seq: entry.seq, hash: entry.hash };
    prev = entry.hash;
    expected++;
    position++;
  }
  const anchor = options.anchor;
  if (anchor && expected <= anchor.seq) {
    return fail(expected, 'truncated', `Entries from ${expected} to ${anchor.seq} were cut off.`);
  }
  return { ok: true, verified: position, head, fault: null };
}
