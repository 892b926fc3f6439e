/**
 * Byte-level input handling shared by every adapter: any input becomes an async iterable of byte
 * chunks; gzip input (detected by its magic bytes) is decompressed with the platform's
 * `DecompressionStream` (Node >= 18 and browsers) under a size cap; UTF-8 is validated with the
 * offset of the first bad byte.
 */
import { IngestError } from './errors';

/** Anything an adapter can read: bytes, text, or a (possibly async) iterable of byte chunks. */
export type ByteInput =
  | Uint8Array
  | string
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>;

const encoder = new TextEncoder();

/** Normalises any `ByteInput` to an async iterable of byte chunks. */
export async function* toChunks(input: ByteInput): AsyncGenerator<Uint8Array> {
  if (typeof input === 'string') {
    yield encoder.encode(input);
  } else if (input instanceof Uint8Array) {
    yield input;
  } else if (typeof (input as ReadableStream).getReader === 'function') {
    const reader = (input as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          return;
        }
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  } else {
    yield* input as AsyncIterable<Uint8Array>;
  }
}

/** Whether `chunk` starts with the gzip magic bytes 1f 8b. */
export function isGzip(chunk: Uint8Array): boolean {
  return chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b;
}

/**
 * Decompresses a gzip stream, failing with `decompressed-too-large` as soon as the output passes
 * `maxBytes` (so a bomb costs at most `maxBytes` of work, never that much memory at once).
 */
export async function* gunzip(
  input: AsyncIterable<Uint8Array>,
  maxBytes: number
): AsyncGenerator<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new IngestError('unsupported-environment', {
      feature: 'gzip decompression (DecompressionStream)',
      hint: 'Use Node 18+ or a current browser, or decompress the file first.'
    });
  }
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  const pump = (async () => {
    try {
      for await (const chunk of input) {
        await writer.write(chunk as Uint8Array<ArrayBuffer>);
      }
      await writer.close();
    } catch {
      // The reader side reports the failure (corrupt data or our own cancel).
    }
  })();
  const reader = stream.readable.getReader();
  let total = 0;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        throw new IngestError('gzip-corrupt', { reason: (error as Error).message });
      }
      if (result.done) {
        break;
      }
      total += result.value.length;
      if (total > maxBytes) {
        throw new IngestError('decompressed-too-large', { limit: maxBytes }, { byteOffset: total });
      }
      yield result.value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    await writer.abort().catch(() => undefined);
    await pump;
  }
}

/**
 * The offset of the first byte that is not valid UTF-8 (overlong forms, surrogates and code points
 * past U+10FFFF included), or -1 when `bytes` is valid.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) {
        return i;
      }
      cp = (cp << 6) | (next & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return i;
    }
    i += need + 1;
  }
  return -1;
}

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 strictly. Returns the text, or the offset of the first invalid byte (relative to
 * `bytes`) when the bytes are not valid UTF-8.
 */
export function decodeUtf8(bytes: Uint8Array): string | { invalidAt: number } {
  try {
    return strict.decode(bytes);
  } catch {
    return { invalidAt: Math.max(0, firstInvalidUtf8(bytes)) };
  }
}

/** Concatenates byte chunks. */
export function concatBytes(chunks: Uint8Array[], length?: number): Uint8Array {
  if (chunks.length === 1) {
    return chunks[0];
  }
  const out = new Uint8Array(length ?? chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
