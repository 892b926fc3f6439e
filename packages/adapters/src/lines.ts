/**
 * Splits a byte stream into lines with bounded memory: a line longer than `maxLineBytes` is not
 * buffered; its bytes are counted and skipped up to the next newline, and it is reported as
 * `tooLong`. Lines end at LF; a trailing CR is removed. A leading UTF-8 BOM is dropped.
 */
import { concatBytes, decodeUtf8 } from './bytes';

/** One line of input: its text, or why it has none. */
export interface Line {
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte. */
  byteOffset: number;
  /** Length in bytes, without the line ending. */
  length: number;
  /** The decoded text, when the line is valid UTF-8 and within the limit. */
  text?: string;
  /** Set when the line is longer than the limit (`text` is then absent). */
  tooLong?: boolean;
  /** Offset within the line of the first invalid UTF-8 byte (`text` is then absent). */
  invalidUtf8At?: number;
  /** The first bytes of a line that could not be decoded, for the quarantine. */
  head?: string;
}

/** Yields the lines of `chunks`, each at most `maxLineBytes` long (see `Line`). */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number
): AsyncGenerator<Line> {
  let parts: Uint8Array[] = [];
  let length = 0;
  let tooLong = false;
  let lineNo = 1;
  let lineStart = 0;
  let offset = 0;
  let first = true;

  const finish = (): Line => {
    let bytes = tooLong ? new Uint8Array(0) : concatBytes(parts, length);
    let lineLength = length;
    if (!tooLong && bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) {
      bytes = bytes.subarray(0, bytes.length - 1);
      lineLength--;
    }
    const result: Line = { line: lineNo, byteOffset: lineStart, length: lineLength };
    if (tooLong) {
      result.tooLong = true;
    } else {
      const decoded = decodeUtf8(bytes);
      if (typeof decoded === 'string') {
        result.text = decoded;
      } else {
        result.invalidUtf8At = decoded.invalidAt;
        result.head = new TextDecoder().decode(bytes.subarray(0, 200));
      }
    }
    parts = [];
    length = 0;
    tooLong = false;
    return result;
  };

  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        chunk = chunk.subarray(3);
        offset = 3;
        lineStart = 3;
      }
    }
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      length += piece.length;
      if (!tooLong) {
        if (length > maxLineBytes) {
          tooLong = true;
          parts = [];
        } else if (piece.length > 0) {
          // Copy: the caller may reuse its chunk buffers.
          parts.push(piece.slice());
        }
      }
      if (newline === -1) {
        offset += chunk.length - start;
        break;
      }
      offset += end - start + 1;
      yield finish();
      lineNo++;
      lineStart = offset;
      start = newline + 1;
    }
  }
  if (length > 0 || tooLong) {
    yield finish();
  }
}

/** What `reportUnreadable` needs from the ingest context (kept structural: no import cycle). */
interface ProblemSink {
  limits: { maxLineBytes: number };
  problem(
    code: 'line-too-long' | 'invalid-utf8',
    details: Record<string, number>,
    position: { line: number; byteOffset: number },
    raw?: string
  ): void;
}

/**
 * True for a line with text. A line without (too long, or not UTF-8) is reported to the ingest
 * context, so the row accounting sees it. Every line-oriented adapter calls this first.
 */
export function readableLine(line: Line, ctx: ProblemSink): line is Line & { text: string } {
  const position = { line: line.line, byteOffset: line.byteOffset };
  if (line.tooLong) {
    ctx.problem('line-too-long', { length: line.length, limit: ctx.limits.maxLineBytes }, position);
    return false;
  }
  if (line.text === undefined) {
    const at = line.byteOffset + line.invalidUtf8At!;
    ctx.problem('invalid-utf8', { at }, { ...position, byteOffset: at }, line.head);
    return false;
  }
  return true;
}
