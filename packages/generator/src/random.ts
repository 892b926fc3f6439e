/**
 * A small seeded pseudo-random number generator.
 *
 * We need the same seed to give byte-identical telemetry on every machine and Node version, so
 * `Math.random` is out. The core is sfc32 (Chris Doty-Humphrey's "small fast counting" generator:
 * 128-bit state, 32-bit output, passes PractRand), seeded through splitmix32 so that nearby seeds
 * (1, 2, 3...) still give unrelated streams. Everything is 32-bit integer arithmetic via `Math.imul`
 * and `| 0`, which JavaScript defines exactly, so results do not depend on the platform.
 */

/** Two lower-case hex digits for every byte value; building ids from it avoids `toString(16)`. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0')
);

/**
 * Mixes a 32-bit state into a well-distributed 32-bit value (the splitmix32 finaliser).
 */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A deterministic random stream (sfc32) with the distributions the generator needs.
 *
 * Each concern (traces, metrics, calibration) takes its own stream from `Random.derive`, so that,
 * for example, changing the number of spans does not change the metrics.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** The second value of the last Box-Muller pair, or NaN when none is pending. */
  private spare = NaN;

  /**
   * Creates a stream from a 32-bit seed (other numbers are truncated to 32 bits).
   */
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // The first outputs of sfc32 are still correlated with the seed; the reference code skips 12.
    for (let i = 0; i < 12; i++) {
      this.uint32();
    }
  }

  /**
   * Returns an independent stream for one concern, named by a small integer, of a user seed.
   */
  static derive(seed: number, stream: number): Random {
    return new Random(mix32((seed >>> 0) ^ mix32(Math.imul(stream + 1, 0x27d4eb2d))));
  }

  /** Returns a uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Returns a uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Returns a uniform float in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Returns a uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Returns true with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Returns a standard normal variate (Box-Muller, caching the second value of each pair). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const value = this.spare;
      this.spare = NaN;
      return value;
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.next()));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /**
   * Returns a log-normal variate with the given median and shape; latencies are log-normal in
   * practice (a hump near the median and a long right tail).
   */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Picks an index with probability proportional to `cumulative` weights (ascending, last = total). */
  pickCumulative(cumulative: readonly number[]): number {
    const x = this.next() * cumulative[cumulative.length - 1];
    for (let i = 0; i < cumulative.length; i++) {
      if (x < cumulative[i]) {
        return i;
      }
    }
    return cumulative.length - 1;
  }

  /** Returns `words` random 32-bit words as lower-case hex (8 characters per word). */
  hex(words: number): string {
    let out = '';
    for (let i = 0; i < words; i++) {
      const u = this.uint32();
      out +=
        HEX_BYTE[u >>> 24] +
        HEX_BYTE[(u >>> 16) & 255] +
        HEX_BYTE[(u >>> 8) & 255] +
        HEX_BYTE[u & 255];
    }
    return out;
  }

  /** Returns a W3C trace id: 32 hex characters, never all zeros (which means "invalid"). */
  traceId(): string {
    const id = this.hex(4);
    return id === '0'.repeat(32) ? this.traceId() : id;
  }

  /** Returns a span id: 16 hex characters, never all zeros. */
  spanId(): string {
    const id = this.hex(2);
    return id === '0'.repeat(16) ? this.spanId() : id;
  }
}

/**
 * A 32-bit FNV-1a hash of a string, for stable names (pod hashes) that must not consume randomness.
 */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(h);
}
