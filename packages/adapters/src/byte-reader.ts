/**
 * A pull reader over a stream of byte chunks that knows its absolute byte position, for binary
 * formats read piece by piece (protobuf framing). It buffers only what the caller asks for: a
 * varint, or one length-prefixed piece; `skip` discards without buffering.
 *
 * Problems are thrown as `WireError` with the byte offset they are at, for the caller to turn into
 * a catalogued ingest error.
 */
import { concatBytes } from './bytes';

/** A malformed or truncated binary input, at byte `at` of the decoded input. */
export class WireError extends Error {
  /** 0-based byte offset of the problem. */
  readonly at: number;
  /** Whether the input simply ended early. */
  readonly truncated: boolean;

  constructor(reason: string, at: number, truncated: boolean) {
    super(reason);
    this.name = 'WireError';
    this.at = at;
    this.truncated = truncated;
  }
}

/** Reads varints and byte runs from chunks, tracking the absolute position. */
export class ByteReader {
  /** Buffered bytes; `buf[0]` is at absolute offset `base`, `buf[off]` is the next unread. */
  private buf: Uint8Array = new Uint8Array(0);
  private off = 0;
  private base = 0;
  private ended = false;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.source = chunks[Symbol.asyncIterator]();
  }

  /** Absolute offset of the next unread byte. */
  get position(): number {
    return this.base + this.off;
  }

  private get buffered(): number {
    return this.buf.length - this.off;
  }

  private async pull(): Promise<Uint8Array | null> {
    while (!this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
      } else if (next.value.length > 0) {
        return next.value;
      }
    }
    return null;
  }

  /** Makes sure `n` (small) bytes are buffered; false when the input ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      const chunk = await this.pull();
      if (!chunk) {
        return false;
      }
      const rest = this.buf.subarray(this.off);
      this.base += this.off;
      this.buf = rest.length ? concatBytes([rest, chunk]) : chunk;
      this.off = 0;
    }
    return true;
  }

  /** The byte `i` places ahead (after `fill(i + 1)` returned true). */
  peek(i: number): number {
    return this.buf[this.off + i];
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /**
   * Reads a base-128 varint (at most 10 bytes, value at most 2^53 - 1). `what` names the value in
   * error messages.
   */
  async varint(what: string): Promise<number> {
    const start = this.position;
    await this.fill(10);
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (i >= this.buffered) {
        throw new WireError(
          `the input ends inside the ${what} varint at byte ${start}`,
          start,
          true
        );
      }
      const byte = this.buf[this.off + i];
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) {
          throw new WireError(`the ${what} varint at byte ${start} is too large`, start, false);
        }
        this.off += i + 1;
        return value;
      }
    }
    throw new WireError(
      `the ${what} varint at byte ${start} is longer than 10 bytes`,
      start,
      false
    );
  }

  /**
   * Reads exactly `n` bytes (a view when they sit in one chunk, else a copy); `what` names them in
   * error messages (`the resource entry at byte 0`).
   */
  async read(n: number, what: string): Promise<Uint8Array> {
    const start = this.position;
    if (this.buffered >= n) {
      const out = this.buf.subarray(this.off, this.off + n);
      this.off += n;
      return out;
    }
    const pieces = [this.buf.subarray(this.off)];
    let have = pieces[0].length;
    this.base += this.buf.length;
    this.buf = new Uint8Array(0);
    this.off = 0;
    while (have < n) {
      const chunk = await this.pull();
      if (!chunk) {
        throw new WireError(
          `${what} declares ${n} bytes but the input ends after ${have} of them`,
          start + have,
          true
        );
      }
      const take = Math.min(n - have, chunk.length);
      pieces.push(chunk.subarray(0, take));
      have += take;
      if (take < chunk.length) {
        // The chunk starts at `base`; keep its unread rest.
        this.buf = chunk;
        this.off = take;
      } else {
        this.base += chunk.length;
      }
    }
    return concatBytes(pieces, n);
  }

  /** Skips `n` bytes without keeping them. */
  async skip(n: number, what: string): Promise<void> {
    const start = this.position;
    let left = n;
    for (;;) {
      const step = Math.min(left, this.buffered);
      this.off += step;
      left -= step;
      if (left === 0) {
        return;
      }
      this.base += this.buf.length;
      this.buf = new Uint8Array(0);
      this.off = 0;
      const chunk = await this.pull();
      if (!chunk) {
        throw new WireError(
          `${what} declares ${n} bytes but the input ends after ${n - left} of them`,
          start + n - left,
          true
        );
      }
      this.buf = chunk;
    }
  }
}
