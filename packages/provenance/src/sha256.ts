/**
 * An incremental SHA-256 (FIPS 180-4) in plain TypeScript, for Node and the browser alike.
 *
 * Why not WebCrypto: `crypto.subtle.digest` only hashes one buffer that is already complete, so
 * hashing a 10^7-row result would mean materialising its whole canonical encoding first. Why not
 * `node:crypto`: this module is also bundled for the browser. `@noble/hashes` is not installed.
 * The test suite checks this implementation against `node:crypto` on random inputs.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
]);

const INITIAL = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
];

/** An incremental SHA-256: `update` any number of times, then `digest` once. */
export class Sha256 {
  private readonly _state = new Int32Array(INITIAL);
  private readonly _block = new Uint8Array(64);
  private readonly _w = new Int32Array(64);
  private _blockLength = 0;
  private _bytes = 0;
  private _done = false;

  /** Adds bytes to the message. */
  update(data: Uint8Array): this {
    if (this._done) {
      throw new Error('Sha256.update: this hash was already digested; create a new Sha256.');
    }
    this._bytes += data.length;
    let offset = 0;
    if (this._blockLength > 0) {
      const take = Math.min(64 - this._blockLength, data.length);
      this._block.set(data.subarray(0, take), this._blockLength);
      this._blockLength += take;
      offset = take;
      if (this._blockLength < 64) {
        return this;
      }
      this._compress(this._block, 0);
      this._blockLength = 0;
    }
    // Whole blocks straight from the input: no copy.
    const whole = offset + Math.floor((data.length - offset) / 64) * 64;
    if (whole > offset) {
      this._compress(data, offset, whole);
      offset = whole;
    }
    if (offset < data.length) {
      this._block.set(data.subarray(offset), 0);
      this._blockLength = data.length - offset;
    }
    return this;
  }

  /** Finishes the hash and returns its 32 bytes. */
  digest(): Uint8Array {
    if (this._done) {
      throw new Error('Sha256.digest: this hash was already digested; create a new Sha256.');
    }
    const bits = this._bytes * 8;
    const pad = new Uint8Array((this._blockLength < 56 ? 56 : 120) - this._blockLength + 8);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    // The message length in bits as a 64-bit big-endian integer (exact up to 2^53 bits).
    view.setUint32(pad.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    this._done = true;
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) {
      outView.setUint32(i * 4, this._state[i]);
    }
    return out;
  }

  /** Compresses the 64-byte blocks of data[offset, end); state stays in locals across blocks. */
  private _compress(data: Uint8Array, offset: number, end = offset + 64): void {
    const w = this._w;
    const s = this._state;
    let a0 = s[0];
    let b0 = s[1];
    let c0 = s[2];
    let d0 = s[3];
    let e0 = s[4];
    let f0 = s[5];
    let g0 = s[6];
    let h0 = s[7];
    for (let at = offset; at < end; at += 64) {
      for (let i = 0; i < 16; i++) {
        const j = at + i * 4;
        w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
      }
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15];
        const y = w[i - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      let a = a0;
      let b = b0;
      let c = c0;
      let d = d0;
      let e = e0;
      let f = f0;
      let g = g0;
      let h = h0;
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const ch = (e & f) ^ (~e & g);
        const t1 = (h + S1 + ch + K[i] + w[i]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const maj = (a & b) ^ (a & c) ^ (b & c);
        const t2 = (S0 + maj) | 0;
        h = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      a0 = (a0 + a) | 0;
      b0 = (b0 + b) | 0;
      c0 = (c0 + c) | 0;
      d0 = (d0 + d) | 0;
      e0 = (e0 + e) | 0;
      f0 = (f0 + f) | 0;
      g0 = (g0 + g) | 0;
      h0 = (h0 + h) | 0;
    }
    s[0] = a0;
    s[1] = b0;
    s[2] = c0;
    s[3] = d0;
    s[4] = e0;
    s[5] = f0;
    s[6] = g0;
    s[7] = h0;
  }
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  }
  return out;
}

/** Bytes of a hex string; throws on anything that is not an even number of hex digits. */
export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
    throw new Error(
      `Expected a hex string of whole bytes, got ${JSON.stringify(hex.slice(0, 80))}.`
    );
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

const encoder = new TextEncoder();

/** SHA-256 of a string's UTF-8 bytes (or of bytes), as 64 lower-case hex digits. */
export function sha256Hex(input: string | Uint8Array): string {
  return toHex(
    new Sha256().update(typeof input === 'string' ? encoder.encode(input) : input).digest()
  );
}
