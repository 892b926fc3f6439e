import { createHash } from 'node:crypto';
import { fromHex, Sha256, sha256Hex, toHex } from '../src/sha256';
import { pick, seeded } from './helpers';

describe('Sha256', () => {
  it('matches node:crypto on random messages fed in random pieces', () => {
    const rand = seeded(256);
    for (let trial = 0; trial < 300; trial++) {
      const message = Uint8Array.from({ length: pick(rand, 700) }, () => pick(rand, 256));
      const hash = new Sha256();
      for (let at = 0; at < message.length;) {
        const step = 1 + pick(rand, 150);
        hash.update(message.subarray(at, at + step));
        at += step;
      }
      expect(toHex(hash.digest())).toBe(createHash('sha256').update(message).digest('hex'));
    }
  });

  it('hashes the FIPS 180-4 examples and UTF-8 strings', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    );
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('é☃')).toBe(createHash('sha256').update('é☃').digest('hex'));
  });

  it('refuses to be used after digest', () => {
    const hash = new Sha256();
    hash.digest();
    expect(() => hash.update(new Uint8Array(1))).toThrow(/already digested/);
  });

  it('round-trips hex and rejects malformed hex', () => {
    expect(toHex(fromHex('00ff10'))).toBe('00ff10');
    expect(() => fromHex('abc')).toThrow(/hex string/);
  });
});
