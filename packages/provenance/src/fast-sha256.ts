/**
 * The SHA-256 that result hashes use by default: hash-wasm's WebAssembly SHA-256 once it has
 * loaded, the TypeScript `Sha256` before that (or where WebAssembly is unavailable). Both give the
 * same digests; the WebAssembly one is 2-2.6x faster, and hashing the full result was most of the
 * cost of recording a run in the browser (BENCHMARKS.md, "Provenance").
 *
 * Creating a WebAssembly hasher is asynchronous, but hashes are started synchronously
 * (`ResultHasher`), so `loadFastSha256` instantiates a small pool ahead of time. `createSha256`
 * takes an idle hasher from it and puts it back when its digest is taken. A hash that is
 * abandoned (an error midway) never returns its hasher, so a miss starts a replacement in the
 * background, up to `MAX_HASHERS`, and that one hash uses the TypeScript SHA-256.
 *
 * The WebAssembly module is embedded in hash-wasm's JavaScript: nothing is fetched, so this works
 * offline.
 */
import { createSHA256, type IHasher } from 'hash-wasm';

import type { IncrementalHash } from './canonical-arrow';
import { Sha256 } from './sha256';

/** Hashers kept ready: one per hash in flight (recording and a replay can overlap). */
const POOL_SIZE = 2;
/** Most hashers ever created (abandoned hashes keep theirs). */
const MAX_HASHERS = 8;

const idle: IHasher[] = [];
let created = 0;
let loading: Promise<void> | null = null;
let unavailable = false;

/** Adds one hasher to the pool (failures leave the TypeScript fallback in place). */
async function addHasher(): Promise<void> {
  if (created >= MAX_HASHERS || unavailable) {
    return;
  }
  created++;
  try {
    idle.push(await createSHA256());
  } catch {
    created--;
    unavailable = true;
  }
}

/**
 * Instantiates the WebAssembly SHA-256 pool; resolves when it is ready (or when WebAssembly is
 * unavailable, in which case hashes keep using the TypeScript SHA-256). Call it once at startup.
 */
export function loadFastSha256(): Promise<void> {
  loading ??= (async () => {
    for (let i = 0; i < POOL_SIZE; i++) {
      await addHasher();
    }
  })();
  return loading;
}

/** Whether `createSha256` currently hands out WebAssembly hashers. */
export function fastSha256Ready(): boolean {
  return idle.length > 0;
}

/** An incremental SHA-256 backed by a pooled WebAssembly hasher. */
class WasmSha256 implements IncrementalHash {
  private _hasher: IHasher | null;

  constructor(hasher: IHasher) {
    this._hasher = hasher.init();
  }

  update(data: Uint8Array): this {
    if (!this._hasher) {
      throw new Error('SHA-256: update after digest.');
    }
    this._hasher.update(data);
    return this;
  }

  digest(): Uint8Array {
    if (!this._hasher) {
      throw new Error('SHA-256: digest taken twice.');
    }
    const out = this._hasher.digest('binary');
    idle.push(this._hasher);
    this._hasher = null;
    return out;
  }
}

/** A new incremental SHA-256: WebAssembly when a pooled hasher is free, else TypeScript. */
export function createSha256(): IncrementalHash {
  const hasher = idle.pop();
  if (hasher) {
    return new WasmSha256(hasher);
  }
  if (loading !== null) {
    void addHasher(); // for the next hash
  }
  return new Sha256();
}
