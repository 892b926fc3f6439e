/**
 * The update journal: the front of the update log, `<stateDir>/collaboration.journal`.
 *
 * An incoming update must be durable before anyone sees it. Committing it to SQLite directly
 * costs a B-tree insert, two or three WAL writes and a handful of lock calls per update, on the
 * path between a keystroke and the other users' screens. Appending it here costs ONE `write()`
 * of one record; the store then moves the records of the last `DRAIN_DELAY_MS` into SQLite in one
 * transaction, after the update was relayed, and empties the journal (`CollabStore.drain`).
 *
 * Durability is the same as SQLite's with `synchronous=NORMAL`: once `append` returns the record
 * is in the kernel, so a killed process (SIGKILL, OOM, crash) loses nothing; a power cut may lose
 * the last records. On open, records still here (the process died before a drain) are handed
 * back for the store to insert; inserting is idempotent, so a crash between the SQLite commit
 * and emptying the journal only repeats work.
 *
 * Record layout (little-endian): magic u32 'OPBJ' | body length u32 | CRC-32 of the body u32 |
 * body = room length u16 | room (UTF-8) | seq f64 | time f64 | user length u16 | user (UTF-8) |
 * update bytes (the rest). A record that is cut short or fails its CRC can only be the last one
 * written before a power cut: it and anything after it are ignored with a warning.
 */
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';

import type { Logger } from '../log';

/** One journaled update. */
export interface JournalRecord {
  room: string;
  seq: number;
  time: number;
  user: string;
  bytes: Uint8Array;
}

/** The file name inside the state dir. */
export const JOURNAL_FILE = 'collaboration.journal';

const MAGIC = 0x4a42504f; // 'OPBJ' read as little-endian u32
const HEADER = 12;

/** An append-only journal file (see the file comment). */
export class UpdateJournal {
  private constructor(
    private readonly fd: number,
    private size: number
  ) {}

  /** Opens (or creates) the journal and returns the intact records it still holds. */
  static open(file: string, log: Logger): { journal: UpdateJournal; records: JournalRecord[] } {
    const data = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
    const { records, end } = parseJournal(data);
    if (end < data.length) {
      log.warn(
        `The collaboration journal ${file} ends with ${data.length - end} unreadable bytes (a record cut short by a power loss or disk error); they were ignored, the ${records.length} records before them were kept.`
      );
    }
    const fd = fs.openSync(file, 'a');
    return { journal: new UpdateJournal(fd, data.length), records };
  }

  /** Bytes appended since the last `clear`. */
  get bytes(): number {
    return this.size;
  }

  /** Appends one record with a single write (in the kernel when this returns). */
  append(record: JournalRecord): void {
    const buf = encodeRecord(record);
    let written = 0;
    while (written < buf.length) {
      written += fs.writeSync(this.fd, buf, written, buf.length - written);
    }
    this.size += buf.length;
  }

  /** Empties the journal (its records are committed elsewhere). */
  clear(): void {
    if (this.size > 0) {
      fs.ftruncateSync(this.fd, 0);
      this.size = 0;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Encodes one record (exported for tests that damage journals on purpose). */
export function encodeRecord(record: JournalRecord): Buffer {
  const room = Buffer.from(record.room, 'utf8');
  const user = Buffer.from(record.user, 'utf8');
  const bodyLength = 2 + room.length + 8 + 8 + 2 + user.length + record.bytes.length;
  const buf = Buffer.allocUnsafe(HEADER + bodyLength);
  let o = HEADER;
  o = buf.writeUInt16LE(room.length, o);
  o += room.copy(buf, o);
  o = buf.writeDoubleLE(record.seq, o);
  o = buf.writeDoubleLE(record.time, o);
  o = buf.writeUInt16LE(user.length, o);
  o += user.copy(buf, o);
  buf.set(record.bytes, o);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(bodyLength, 4);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 8);
  return buf;
}

/** The intact records at the start of `data`, and where they end. */
export function parseJournal(data: Buffer): { records: JournalRecord[]; end: number } {
  const records: JournalRecord[] = [];
  let o = 0;
  while (o + HEADER <= data.length) {
    const length = data.readUInt32LE(o + 4);
    if (data.readUInt32LE(o) !== MAGIC || o + HEADER + length > data.length) {
      break;
    }
    const body = data.subarray(o + HEADER, o + HEADER + length);
    if (crc32(body) !== data.readUInt32LE(o + 8)) {
      break;
    }
    const record = decodeBody(body);
    if (!record) {
      break;
    }
    records.push(record);
    o += HEADER + length;
  }
  return { records, end: o };
}

function decodeBody(body: Buffer): JournalRecord | null {
  try {
    let o = 0;
    const roomLength = body.readUInt16LE(o);
    o += 2;
    const room = body.toString('utf8', o, o + roomLength);
    o += roomLength;
    const seq = body.readDoubleLE(o);
    const time = body.readDoubleLE(o + 8);
    o += 16;
    const userLength = body.readUInt16LE(o);
    o += 2;
    const user = body.toString('utf8', o, o + userLength);
    o += userLength;
    if (o > body.length) {
      return null;
    }
    return { room, seq, time, user, bytes: new Uint8Array(body.subarray(o)) };
  } catch {
    return null; // A field ran past the body: not a record we wrote.
  }
}
