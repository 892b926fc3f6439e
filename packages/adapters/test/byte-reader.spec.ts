import { ByteReader, WireError } from '../src/byte-reader';

/** Splits `bytes` into chunks of random sizes (1..max), seeded. */
function* randomChunks(bytes: Uint8Array, seed: number, max: number): Generator<Uint8Array> {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < bytes.length;) {
    const size = 1 + (next() % max);
    yield bytes.subarray(i, i + size);
    i += size;
  }
}

async function* asAsync(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

/** A varint-length-prefixed record stream: [len][len bytes of value i]... */
function records(count: number): { bytes: Uint8Array; lengths: number[] } {
  const parts: number[] = [];
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) {
    const length = (i * 37) % 300;
    lengths.push(length);
    for (let v = length; ; v = Math.floor(v / 128)) {
      parts.push(v >= 128 ? (v % 128) | 0x80 : v);
      if (v < 128) break;
    }
    for (let j = 0; j < length; j++) parts.push(i % 256);
  }
  return { bytes: new Uint8Array(parts), lengths };
}

describe('ByteReader', () => {
  it('reads, skips and keeps positions the same whatever the chunking', async () => {
    const { bytes, lengths } = records(200);
    for (let seed = 1; seed <= 20; seed++) {
      const reader = new ByteReader(asAsync(randomChunks(bytes, seed, 1 + seed * 13)));
      let position = 0;
      for (const [i, length] of lengths.entries()) {
        expect(reader.position).toBe(position);
        expect(await reader.varint('length')).toBe(length);
        position += length >= 128 ? 2 : 1;
        if (i % 3 === 0) {
          await reader.skip(length, 'record');
        } else {
          const data = await reader.read(length, 'record');
          expect(data.length).toBe(length);
          expect(data.every(b => b === i % 256)).toBe(true);
        }
        position += length;
      }
      expect(await reader.atEnd()).toBe(true);
      expect(reader.position).toBe(bytes.length);
    }
  });

  it('reports a truncated run with the byte where the input ends', async () => {
    const reader = new ByteReader(asAsync([new Uint8Array([5, 1, 2]), new Uint8Array([3])]));
    expect(await reader.varint('length')).toBe(5);
    const error = await reader.read(5, 'the record at byte 0').catch(e => e as WireError);
    expect(error).toMatchObject({
      message: 'the record at byte 0 declares 5 bytes but the input ends after 3 of them',
      at: 4,
      truncated: true
    });
  });

  it('rejects a varint longer than 10 bytes and one cut by the end of input', async () => {
    const long = new ByteReader(asAsync([new Uint8Array(11).fill(0x80)]));
    await expect(long.varint('tag')).rejects.toThrow(
      'the tag varint at byte 0 is longer than 10 bytes'
    );
    const cut = new ByteReader(asAsync([new Uint8Array([0x80, 0x80])]));
    await expect(cut.varint('tag')).rejects.toThrow(
      'the input ends inside the tag varint at byte 0'
    );
  });
});
