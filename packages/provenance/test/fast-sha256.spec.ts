/**
 * The default SHA-256 of result hashes: TypeScript until the WebAssembly pool has loaded, then
 * WebAssembly, with digests identical to node:crypto either way, hashers reused after their
 * digest, and overlapping hashes still correct.
 */
import { createHash } from 'node:crypto';
import { tableFromArrays } from 'apache-arrow';

import { createSha256, fastSha256Ready, loadFastSha256 } from '../src/fast-sha256';
import { hashArrowTable } from '../src/result-hash';
import { Sha256, toHex } from '../src/sha256';
import { pick, seeded } from './helpers';

/** Feeds `message` to `hash` in random pieces and returns the hex digest. */
function hashInPieces(
  hash: { update(d: Uint8Array): unknown; digest(): Uint8Array },
  message: Uint8Array,
  rand: () => number
): string {
  for (let at = 0; at < message.length;) {
    const step = 1 + pick(rand, 3000);
    hash.update(message.subarray(at, at + step));
    at += step;
  }
  return toHex(hash.digest());
}

describe('createSha256', () => {
  it('is the TypeScript SHA-256 until the WebAssembly one has loaded', () => {
    expect(fastSha256Ready()).toBe(false);
    expect(createSha256()).toBeInstanceOf(Sha256);
  });

  it('is WebAssembly after loadFastSha256, and matches node:crypto on random messages', async () => {
    await loadFastSha256();
    expect(fastSha256Ready()).toBe(true);
    const rand = seeded(4096);
    for (let trial = 0; trial < 100; trial++) {
      const message = Uint8Array.from({ length: pick(rand, 20_000) }, () => pick(rand, 256));
      const hash = createSha256();
      expect(hash).not.toBeInstanceOf(Sha256);
      expect(hashInPieces(hash, message, rand)).toBe(
        createHash('sha256').update(message).digest('hex')
      );
    }
  });

  it('gives overlapping hashes their own state, beyond the pool', async () => {
    await loadFastSha256();
    const rand = seeded(7);
    const messages = Array.from({ length: 5 }, (_, i) =>
      Uint8Array.from({ length: 1000 + i * 777 }, () => pick(rand, 256))
    );
    const hashes = messages.map(() => createSha256());
    // Interleaved: every hash gets a piece in turn.
    for (let at = 0; at < 5000; at += 100) {
      messages.forEach((m, i) => hashes[i].update(m.subarray(at, at + 100)));
    }
    expect(hashes.map(h => toHex(h.digest()))).toEqual(
      messages.map(m => createHash('sha256').update(m).digest('hex'))
    );
  });

  it('refuses a second digest and an update after the digest', async () => {
    await loadFastSha256();
    const hash = createSha256();
    hash.digest();
    expect(() => hash.digest()).toThrow(/digest taken twice/);
    expect(() => hash.update(new Uint8Array(1))).toThrow(/update after digest/);
  });

  it('leaves result hashes unchanged', async () => {
    await loadFastSha256();
    const table = tableFromArrays({
      service: ['checkout', 'payment', 'checkout'],
      p95: new Float64Array([12.5, 80.25, -0])
    });
    expect(hashArrowTable(table)).toEqual(
      hashArrowTable(table, { createHash: () => new Sha256() })
    );
  });
});
