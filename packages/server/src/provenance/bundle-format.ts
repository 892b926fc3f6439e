/**
 * Investigation bundles (`opsbook.bundle.v1`): the container and its signed table of contents.
 *
 * A bundle is ONE POSIX ustar tar file (`<notebook>.opsbundle`; `tar tvf` lists it). Members, in
 * this order:
 *
 *   bundle.json                        the signed manifest (`BundleManifest`), always first
 *   notebook.ipynb                     the notebook as saved
 *   runs.json                          `BundleChainExcerpt` of the run log
 *   audit.json                         `BundleChainExcerpt` of the audit log
 *   snapshots/<id>.parquet             each snapshot's Parquet file, as the catalog stores it
 *   snapshots/<id>.keys.parquet        and its idempotence keys
 *
 * Each member: a 512-byte ustar header (name <= 100 bytes, no prefix, mode 0644, uid/gid 0, size in
 * 11 octal digits, so a member is < 8 GiB, mtime = the manifest's `createdAt`, typeflag '0',
 * magic "ustar\0" version "00", checksum as POSIX says), the bytes, zero padding to 512. Two zero
 * blocks end the archive. A reader takes ONLY these names (anything else, `../` included, is
 * refused), regular files, no duplicates, and sizes that fit in the file.
 *
 * `bundle.json` lists every other member with its size and SHA-256 and is signed with the
 * exporting instance's Ed25519 key: `signature` = base64 Ed25519 of SHA-256(canonical JSON of the
 * manifest without `signature`). The chains inside runs.json and audit.json carry their own
 * per-entry signatures (chain.ts), so a bundle is checked member by member and entry by entry.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Writable } from 'node:stream';

import { BUNDLE_FORMAT, type ContainerProblem } from '@opsbook/provenance/lib/bundle-report';
import { canonicalJson } from '@opsbook/provenance/lib/canonical-json';
import type { ChainEntry } from '@opsbook/provenance/lib/chain';
import type { ExportRange } from '@opsbook/provenance/lib/hash-chain';
import { signBytes, verifyBytes, publicKeyFromBase64 } from '@opsbook/provenance/lib/keys';
import type { InstanceKey } from '@opsbook/provenance/lib/keys';

export { BUNDLE_FORMAT, type ContainerProblem } from '@opsbook/provenance/lib/bundle-report';

/** File name extension of bundles. */
export const BUNDLE_EXTENSION = '.opsbundle';

/** Member names. */
export const MANIFEST_MEMBER = 'bundle.json';
export const NOTEBOOK_MEMBER = 'notebook.ipynb';
export const RUNS_MEMBER = 'runs.json';
export const AUDIT_MEMBER = 'audit.json';

/** Largest JSON member (manifest, notebook, chain excerpts): they are parsed in memory. */
export const MAX_JSON_MEMBER_BYTES = 128 * 1024 * 1024;

/** Largest member the ustar size field can hold (11 octal digits). */
export const MAX_MEMBER_BYTES = 8 ** 11 - 1;

/** Most members a bundle may have (two per snapshot plus four). */
export const MAX_MEMBERS = 20_000;

const BLOCK = 512;
const HEX64 = /^[0-9a-f]{64}$/;
const SNAPSHOT_MEMBER = /^snapshots\/([0-9a-f]{64})(\.keys)?\.parquet$/;

/** The Parquet member of snapshot `id` (and, with `keys`, its keys file). */
export function snapshotMember(id: string, keys = false): string {
  return `snapshots/${id}${keys ? '.keys' : ''}.parquet`;
}

/** Whether `name` is a member name a bundle may hold. */
export function isMemberName(name: string): boolean {
  return (
    [MANIFEST_MEMBER, NOTEBOOK_MEMBER, RUNS_MEMBER, AUDIT_MEMBER].includes(name) ||
    SNAPSHOT_MEMBER.test(name)
  );
}

/** A chain entry whose payload was left out (another notebook's): hash and signature only. */
export interface RedactedEntry {
  seq: number;
  prevHash: string;
  hash: string;
  signature: string;
  redacted: true;
}

/**
 * A contiguous range of a chain, as `HashChain.export` signs it, where entries that are not the
 * notebook's are redacted: their payload is dropped, their hash and signature kept, so the links
 * still verify (see docs/provenance.md, "Investigation bundles").
 */
export interface BundleChainExcerpt {
  format: string;
  publicKey: string;
  range: ExportRange;
  rangeSignature: string;
  entries: (ChainEntry | RedactedEntry)[];
}

/** One snapshot as the catalog describes it (enough to re-derive its id and re-insert it). */
export interface BundleSnapshot {
  id: string;
  dataset: string;
  table: string;
  schemaVersion: number;
  rowCount: number;
  /** Time range, ns since the epoch, as decimal strings. */
  timeRange: { min: string; max: string };
  bytes: number;
  source: string;
  adapter: { name: string; version: string };
  parents: string[];
  quality: unknown;
  ingestedBy: string;
  ingestedAt: string;
}

/** A member of the bundle as the manifest lists it. */
export interface BundleMemberInfo {
  name: string;
  size: number;
  sha256: string;
}

/** `bundle.json`. */
export interface BundleManifest {
  format: string;
  createdAt: string;
  createdBy: string;
  /** The exporting instance: base64 raw Ed25519 public key and its SHA-256 (key id). */
  instance: { publicKey: string; keyId: string };
  /** The notebook's path on the exporting instance. */
  notebook: { path: string };
  /** Every member but bundle.json, in archive order. */
  members: BundleMemberInfo[];
  /** Seqs and run ids of the notebook's runs in runs.json (the rest is redacted). */
  runs: { seq: number; runId: string }[];
  /** Seqs of the notebook's audit entries in audit.json (runs, replays, exports, ...). */
  audit: number[];
  snapshots: BundleSnapshot[];
  /** base64 Ed25519 of SHA-256(canonical JSON of this object without `signature`). */
  signature: string;
}

/** SHA-256 of the manifest's signed content. */
function manifestDigest(manifest: Omit<BundleManifest, 'signature'>): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { signature, ...rest } = manifest as BundleManifest;
  return createHash('sha256')
    .update(canonicalJson(rest as unknown as Record<string, unknown>))
    .digest();
}

/** Signs a manifest with the instance key. */
export function signManifest(
  manifest: Omit<BundleManifest, 'signature'>,
  key: InstanceKey
): BundleManifest {
  return { ...manifest, signature: signBytes(key, manifestDigest(manifest)) };
}

/** Whether the manifest's signature verifies with the key it declares (false when malformed). */
export function manifestSignatureValid(manifest: BundleManifest): boolean {
  try {
    return verifyBytes(
      publicKeyFromBase64(manifest.instance.publicKey),
      manifestDigest(manifest),
      manifest.signature
    );
  } catch {
    return false;
  }
}

/** The key id (SHA-256 hex of the raw key) of a base64 public key. */
export function keyIdOf(publicKeyBase64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Writing.

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** The 512-byte ustar header of a regular file. */
export function tarHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) {
    throw new Error(`Bundle member name too long for ustar: ${name}`);
  }
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_MEMBER_BYTES) {
    throw new Error(`Bundle member ${name} is too large for ustar (${size} bytes).`);
  }
  header.write(name, 0, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(Math.max(0, Math.floor(mtimeSeconds)), 12), 136, 'ascii');
  header.write(' '.repeat(8), 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write('opsbook', 265, 'ascii');
  header.write('opsbook', 297, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return header;
}

/** Zero padding after a member of `size` bytes. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** Bytes a member of `size` takes in the archive. */
export function tarMemberBytes(size: number): number {
  return BLOCK + size + ((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Writes `chunk` to `out`, waiting for 'drain' when its buffer is full. */
export async function writeChunk(out: Writable, chunk: Buffer): Promise<void> {
  if (out.destroyed) {
    throw new Error('The bundle output was closed before the bundle was written.');
  }
  if (!out.write(chunk)) {
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        out.off('drain', done);
        out.off('close', closed);
        out.off('error', done);
        if (error) reject(error);
        else resolve();
      };
      const closed = () => done(new Error('The bundle output was closed while writing.'));
      out.on('drain', done);
      out.on('close', closed);
      out.on('error', done);
    });
  }
}

/** Streams `file` to `out` in 1 MiB chunks, checking it still has `size` bytes. */
export async function copyFileTo(out: Writable, file: string, size: number): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(
        buffer,
        0,
        Math.min(buffer.length, size - done),
        done
      );
      if (bytesRead === 0) {
        throw new Error(`${file} became shorter while it was written into a bundle.`);
      }
      await writeChunk(out, Buffer.from(buffer.subarray(0, bytesRead)));
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Reading.

/** A container that cannot be read, naming the member (or offset) where reading stopped. */
export class BundleContainerError extends Error {
  constructor(
    readonly problem: ContainerProblem,
    message: string,
    readonly member: string | null = null
  ) {
    super(message);
    this.name = 'BundleContainerError';
  }
}

/** Where a member's bytes are in the bundle file. */
export interface MemberLocation {
  name: string;
  /** Offset of the first data byte. */
  offset: number;
  size: number;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('latin1');
}

function parseOctal(text: string): number | null {
  const trimmed = text.trim();
  return /^[0-7]{1,11}$/.test(trimmed) ? parseInt(trimmed, 8) : null;
}

/**
 * Reads the member index of a bundle file (headers only: memory is O(members)). Throws a
 * `BundleContainerError` for anything that is not a well-formed bundle container.
 */
export async function readBundleIndex(file: string): Promise<MemberLocation[]> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const members: MemberLocation[] = [];
    const seen = new Set<string>();
    const header = Buffer.alloc(BLOCK);
    let position = 0;
    for (;;) {
      const last = members[members.length - 1]?.name ?? null;
      if (position + BLOCK > size) {
        throw members.length === 0
          ? new BundleContainerError(
              'not-a-bundle',
              `Not an Opsbook bundle: ${file} is empty or too short.`
            )
          : new BundleContainerError(
              'truncated',
              `The bundle is truncated: it ends after member '${last}' without the end-of-archive blocks.`,
              last
            );
      }
      await handle.read(header, 0, BLOCK, position);
      if (header.every(b => b === 0)) {
        if (members.length === 0) {
          throw new BundleContainerError(
            'not-a-bundle',
            'Not an Opsbook bundle: it holds no members.'
          );
        }
        return members;
      }
      const stored = parseOctal(field(header, 148, 8));
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
      const ustar = header.subarray(257, 262).toString('latin1') === 'ustar';
      if (stored === null || stored !== sum || !ustar) {
        throw members.length === 0
          ? new BundleContainerError(
              'not-a-bundle',
              `Not an Opsbook bundle (${BUNDLE_FORMAT}, a ustar tar beginning with ${MANIFEST_MEMBER}): the first 512 bytes are not a tar header.`
            )
          : new BundleContainerError(
              'bad-header',
              `The bundle's member header at byte ${position} (after member '${last}') is corrupt.`,
              last
            );
      }
      const name = field(header, 0, 100);
      const prefix = field(header, 345, 155);
      const shown = prefix ? `${prefix}/${name}` : name;
      if (prefix !== '' || !isMemberName(name)) {
        throw new BundleContainerError(
          'bad-member-name',
          `The bundle has a member named ${JSON.stringify(shown)}, which is not a bundle member name (paths like '../x' or '/etc/x' are never accepted).`,
          shown
        );
      }
      if (members.length === 0 && name !== MANIFEST_MEMBER) {
        throw new BundleContainerError(
          'not-a-bundle',
          `Not an Opsbook bundle: the first member is '${name}', not ${MANIFEST_MEMBER}.`,
          name
        );
      }
      const type = String.fromCharCode(header[156]);
      if (type !== '0' && type !== '\0') {
        throw new BundleContainerError(
          'bad-member-type',
          `Bundle member '${name}' is not a regular file (type '${type}').`,
          name
        );
      }
      if (seen.has(name)) {
        throw new BundleContainerError(
          'duplicate-member',
          `The bundle holds member '${name}' twice.`,
          name
        );
      }
      const memberSize = parseOctal(field(header, 124, 12));
      if (memberSize === null) {
        throw new BundleContainerError(
          'member-too-large',
          `Bundle member '${name}' has an unreadable or oversized size field.`,
          name
        );
      }
      if (!name.startsWith('snapshots/') && memberSize > MAX_JSON_MEMBER_BYTES) {
        throw new BundleContainerError(
          'member-too-large',
          `Bundle member '${name}' claims ${memberSize} bytes; at most ${MAX_JSON_MEMBER_BYTES} are accepted.`,
          name
        );
      }
      if (position + tarMemberBytes(memberSize) > size) {
        throw new BundleContainerError(
          'truncated',
          `The bundle is truncated in member '${name}': it claims ${memberSize} bytes, the file ends before them.`,
          name
        );
      }
      if (members.length >= MAX_MEMBERS) {
        throw new BundleContainerError(
          'too-many-members',
          `The bundle has more than ${MAX_MEMBERS} members.`
        );
      }
      seen.add(name);
      members.push({ name, offset: position + BLOCK, size: memberSize });
      position += tarMemberBytes(memberSize);
    }
  } finally {
    await handle.close();
  }
}

/** Reads a (JSON-sized) member into memory. */
export async function readMember(file: string, member: MemberLocation): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(member.size);
    const { bytesRead } = await handle.read(buffer, 0, member.size, member.offset);
    if (bytesRead !== member.size) {
      throw new BundleContainerError('truncated', `Bundle member '${member.name}' is cut short.`);
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

/** SHA-256 (hex) of a member, streamed. */
export async function sha256Member(file: string, member: MemberLocation): Promise<string> {
  const hash = createHash('sha256');
  if (member.size > 0) {
    const stream = fs.createReadStream(file, {
      start: member.offset,
      end: member.offset + member.size - 1,
      highWaterMark: 1024 * 1024
    });
    for await (const chunk of stream) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Copies a member to `target` (created exclusively), streamed and fsynced. */
export async function extractMember(
  file: string,
  member: MemberLocation,
  target: string
): Promise<void> {
  const out = await fs.promises.open(target, 'wx', 0o644);
  const input = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    let done = 0;
    while (done < member.size) {
      const want = Math.min(buffer.length, member.size - done);
      const { bytesRead } = await input.read(buffer, 0, want, member.offset + done);
      if (bytesRead === 0) {
        throw new BundleContainerError('truncated', `Bundle member '${member.name}' is cut short.`);
      }
      await out.write(buffer, 0, bytesRead);
      done += bytesRead;
    }
    await out.sync();
  } finally {
    await input.close();
    await out.close();
  }
}

/** Whether `value` is 64 lower-case hex digits. */
export function isHex64(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}
