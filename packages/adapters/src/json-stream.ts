/**
 * Streaming extraction of array elements from large JSON documents, with memory bounded by the
 * largest element rather than the document. The scanner walks the bytes (JSON's structural
 * characters are ASCII, so UTF-8 needs no decoding to find them), descends only into the objects
 * on a target path, skips everything else, and hands each element of a target array to
 * `JSON.parse` on its own. Examples of targets:
 * - OTLP/JSON: `resourceSpans`, `resourceLogs`, `resourceMetrics` (one element per resource);
 * - Prometheus API: `data.result` (one element per series);
 * - the empty path: each top-level value is one element (webhook payloads).
 * Several top-level values in a row (JSON lines, concatenated JSON) are accepted. Small scalars
 * near the top (`status`, `data.resultType`) are reported too.
 */
import { concatBytes, decodeUtf8 } from './bytes';
import { ErrorCode, ErrorDetails } from './errors';

/** An event of the scanner. */
export type JsonEvent =
  | {
      kind: 'element';
      /** The target path, joined with dots ('' for a top-level value). */
      target: string;
      /** Index of the element within its array (or of the top-level value). */
      index: number;
      value: unknown;
      byteOffset: number;
      /** Index of the top-level document (0 for a single document). */
      document: number;
    }
  | { kind: 'scalar'; path: string; value: unknown; document: number }
  | { kind: 'document-end'; document: number }
  | {
      kind: 'error';
      code: ErrorCode;
      details: ErrorDetails;
      byteOffset: number;
      /** Set when the error is confined to one element (the scan goes on after it). */
      target?: string;
      index?: number;
      /** Whether the scan stops here. */
      fatal: boolean;
      raw?: string;
    };

interface Frame {
  type: 'object' | 'array';
  path: string[];
  target: boolean;
  state: 'key' | 'colon' | 'value' | 'comma';
  key: string;
  count: number;
}

interface Capture {
  mode: 'element' | 'scalar' | 'skip';
  path: string[];
  target: string;
  index: number;
  start: number;
  depth: number;
  inString: boolean;
  escape: boolean;
  primitive: boolean;
  parts: Uint8Array[];
  size: number;
  tooLarge: boolean;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const MAX_SCALAR_BYTES = 64 * 1024;

/** The index of the first `byte` in `bytes` at or after `from`, or `bytes.length` when none. */
function indexIn(bytes: Uint8Array, byte: number, from: number): number {
  const at = bytes.indexOf(byte, from);
  return at < 0 ? bytes.length : at;
}

/** Options of `streamJsonElements`. */
export interface JsonStreamOptions {
  /** Target array paths, e.g. `[['resourceSpans'], ['data', 'result']]`, or `[[]]`. */
  targets: string[][];
  /** Largest element kept; larger ones yield a non-fatal `record-too-large` error. */
  maxElementBytes: number;
}

/** Scans `chunks` and yields elements, scalars and errors (see `JsonEvent`). */
export async function* streamJsonElements(
  chunks: AsyncIterable<Uint8Array>,
  options: JsonStreamOptions
): AsyncGenerator<JsonEvent> {
  const targets = options.targets.map(t => t.join('\u0000'));
  const isTarget = (path: string[]) => targets.includes(path.join('\u0000'));
  const isPrefix = (path: string[]) =>
    options.targets.some(t => t.length > path.length && path.every((p, i) => t[i] === p));
  const wholeDocuments = targets.includes('');

  const stack: Frame[] = [];
  let document = 0;
  let offset = 0; // absolute byte offset of the current byte

  // Capture/skip of one value.
  let capturing = null as Capture | null;
  // Key being read in an object frame.
  let keyBytes: number[] | null = null;
  let keyEscape = false;

  const events: JsonEvent[] = [];

  const syntax = (reason: string): JsonEvent => ({
    kind: 'error',
    code: 'json-syntax',
    details: { reason },
    byteOffset: offset,
    fatal: true
  });

  const finishValue = () => {
    const frame = stack[stack.length - 1];
    if (frame) {
      frame.state = 'comma';
    } else {
      events.push({ kind: 'document-end', document });
      document++;
    }
  };

  const completeCapture = () => {
    const cap = capturing!;
    capturing = null;
    if (cap.mode === 'skip') {
      finishValue();
      return;
    }
    if (cap.tooLarge) {
      events.push({
        kind: 'error',
        code: 'record-too-large',
        details: { limit: options.maxElementBytes },
        byteOffset: cap.start,
        target: cap.target,
        index: cap.index,
        fatal: false
      });
      finishValue();
      return;
    }
    const bytes = concatBytes(cap.parts, cap.size);
    const text = decodeUtf8(bytes);
    if (typeof text !== 'string') {
      events.push({
        kind: 'error',
        code: 'invalid-utf8',
        details: { at: cap.start + text.invalidAt },
        byteOffset: cap.start + text.invalidAt,
        target: cap.target,
        index: cap.index,
        fatal: false
      });
      finishValue();
      return;
    }
    try {
      const value = JSON.parse(text);
      if (cap.mode === 'element') {
        events.push({
          kind: 'element',
          target: cap.target,
          index: cap.index,
          value,
          byteOffset: cap.start,
          document
        });
      } else {
        events.push({ kind: 'scalar', path: cap.path.join('.'), value, document });
      }
    } catch (error) {
      events.push({
        kind: 'error',
        code: 'json-syntax',
        details: { reason: (error as Error).message },
        byteOffset: cap.start,
        target: cap.target,
        index: cap.index,
        fatal: false,
        raw: text.slice(0, 1024)
      });
    }
    finishValue();
  };

  const startValue = (byte: number, path: string[], inTarget: Frame | null) => {
    const index = inTarget ? inTarget.count : document;
    if (inTarget || (wholeDocuments && stack.length === 0)) {
      const target = inTarget ? inTarget.path.join('.') : '';
      if (inTarget) {
        inTarget.count++;
      }
      capturing = newCapture('element', path, target, index, byte);
    } else if (byte === 0x7b && (stack.length === 0 || isPrefix(path))) {
      stack.push({ type: 'object', path, target: false, state: 'key', key: '', count: 0 });
    } else if (byte === 0x5b && isTarget(path)) {
      stack.push({ type: 'array', path, target: true, state: 'value', key: '', count: 0 });
    } else if (stack.length === 0) {
      return false;
    } else if (byte !== 0x7b && byte !== 0x5b && path.length <= 2) {
      capturing = newCapture('scalar', path, '', 0, byte);
    } else {
      capturing = newCapture('skip', path, '', 0, byte);
    }
    return true;
  };

  const newCapture = (
    mode: 'element' | 'scalar' | 'skip',
    path: string[],
    target: string,
    index: number,
    byte: number
  ): Capture => ({
    mode,
    path,
    target,
    index,
    start: offset,
    depth: 0,
    inString: false,
    escape: false,
    primitive: byte !== 0x7b && byte !== 0x5b && byte !== 0x22,
    parts: [] as Uint8Array[],
    size: 0,
    tooLarge: false
  });

  for await (const chunk of chunks) {
    let captureFrom = -1;
    // Positions of the next quote and backslash in `chunk` at or after the scan (chunk.length: none).
    let nextQuote = -1;
    let nextBackslash = -1;
    const keep = (end: number) => {
      const cap = capturing;
      if (!cap || cap.mode === 'skip' || captureFrom < 0) {
        return;
      }
      const piece = chunk.subarray(captureFrom, end);
      cap.size += piece.length;
      const limit = cap.mode === 'scalar' ? MAX_SCALAR_BYTES : options.maxElementBytes;
      if (cap.size > limit) {
        cap.tooLarge = true;
        cap.parts = [];
        if (cap.mode === 'scalar') {
          cap.mode = 'skip';
        }
      } else if (!cap.tooLarge) {
        cap.parts.push(piece.slice());
      }
    };
    for (let i = 0; i < chunk.length; i++, offset++) {
      const byte = chunk[i];
      const cap = capturing;
      if (cap) {
        if (captureFrom < 0) {
          captureFrom = i;
        }
        if (cap.primitive) {
          if (byte === 0x2c || byte === 0x7d || byte === 0x5d || WS.has(byte)) {
            keep(i);
            captureFrom = -1;
            completeCapture();
            // Fall through: the delimiter belongs to the enclosing frame.
          } else {
            continue;
          }
        } else {
          if (cap.inString) {
            if (cap.escape) {
              cap.escape = false;
            } else if (byte === 0x5c) {
              cap.escape = true;
            } else if (byte === 0x22) {
              cap.inString = false;
              if (cap.depth === 0) {
                keep(i + 1);
                captureFrom = -1;
                completeCapture();
              }
            } else {
              // Plain string content: jump to the next quote or backslash, found by the native
              // indexOf rather than this loop (most bytes of OTLP/JSON are inside strings, and this
              // loop was the scanner's main cost).
              if (nextQuote < i) {
                nextQuote = indexIn(chunk, 0x22, i);
              }
              if (nextBackslash < i) {
                nextBackslash = indexIn(chunk, 0x5c, i);
              }
              const stop = Math.min(nextQuote, nextBackslash);
              offset += stop - 1 - i;
              i = stop - 1;
            }
          } else if (byte === 0x22) {
            cap.inString = true;
          } else if (byte === 0x7b || byte === 0x5b) {
            cap.depth++;
          } else if (byte === 0x7d || byte === 0x5d) {
            cap.depth--;
            if (cap.depth === 0) {
              keep(i + 1);
              captureFrom = -1;
              completeCapture();
            }
          }
          if (events.length) {
            yield* events.splice(0);
          }
          continue;
        }
      }
      if (events.length) {
        yield* events.splice(0);
      }
      if (keyBytes) {
        if (keyEscape) {
          keyEscape = false;
          keyBytes.push(byte);
        } else if (byte === 0x5c) {
          keyEscape = true;
          keyBytes.push(byte);
        } else if (byte === 0x22) {
          const frame = stack[stack.length - 1];
          frame.key = JSON.parse(`"${new TextDecoder().decode(new Uint8Array(keyBytes))}"`);
          frame.state = 'colon';
          keyBytes = null;
        } else {
          keyBytes.push(byte);
        }
        continue;
      }
      if (WS.has(byte)) {
        continue;
      }
      const frame = stack[stack.length - 1];
      if (!frame) {
        if (!startValue(byte, [], null)) {
          yield {
            kind: 'error',
            code: 'not-a-json-object',
            details: { expected: 'a JSON object', found: `"${String.fromCharCode(byte)}"` },
            byteOffset: offset,
            fatal: true
          };
          return;
        }
        if (capturing) {
          captureFrom = i;
          i--;
          offset--;
          // Re-run this byte through the capture branch.
          (capturing as { start: number }).start = offset + 1;
        }
        continue;
      }
      if (frame.type === 'object') {
        if (frame.state === 'key') {
          if (byte === 0x22) {
            keyBytes = [];
          } else if (byte === 0x7d && frame.count === 0) {
            stack.pop();
            finishValue();
          } else {
            yield syntax(`expected a key or "}" but found "${String.fromCharCode(byte)}"`);
            return;
          }
        } else if (frame.state === 'colon') {
          if (byte !== 0x3a) {
            yield syntax(`expected ":" but found "${String.fromCharCode(byte)}"`);
            return;
          }
          frame.state = 'value';
        } else if (frame.state === 'value') {
          frame.count++;
          startValue(byte, [...frame.path, frame.key], null);
          if (capturing) {
            captureFrom = i;
            i--;
            offset--;
            (capturing as { start: number }).start = offset + 1;
          }
        } else if (byte === 0x2c) {
          frame.state = 'key';
        } else if (byte === 0x7d) {
          stack.pop();
          finishValue();
        } else {
          yield syntax(`expected "," or "}" but found "${String.fromCharCode(byte)}"`);
          return;
        }
      } else {
        if (frame.state === 'value') {
          if (byte === 0x5d && frame.count === 0) {
            stack.pop();
            finishValue();
            continue;
          }
          startValue(byte, frame.path, frame);
          captureFrom = i;
          i--;
          offset--;
          (capturing as unknown as { start: number }).start = offset + 1;
        } else if (byte === 0x2c) {
          frame.state = 'value';
        } else if (byte === 0x5d) {
          stack.pop();
          finishValue();
        } else {
          yield syntax(`expected "," or "]" but found "${String.fromCharCode(byte)}"`);
          return;
        }
      }
    }
    keep(chunk.length);
    if (events.length) {
      yield* events.splice(0);
    }
  }
  // End of input.
  if (capturing) {
    const cap = capturing;
    if (cap.primitive && stack.length > 0) {
      completeCapture();
      yield* events.splice(0);
    } else {
      yield {
        kind: 'error',
        code: 'json-truncated',
        details: { inside: cap.target ? `element ${cap.index} of "${cap.target}"` : 'a value' },
        byteOffset: offset,
        target: cap.target || undefined,
        index: cap.mode === 'element' ? cap.index : undefined,
        fatal: true
      };
      return;
    }
  }
  if (stack.length > 0 || keyBytes) {
    const frame = stack[stack.length - 1];
    yield {
      kind: 'error',
      code: 'json-truncated',
      details: { inside: frame.path.length ? `"${frame.path.join('.')}"` : 'the top-level object' },
      byteOffset: offset,
      fatal: true
    };
  }
}
