/**
 * The Yjs modules the collaboration server uses, all from ONE copy of yjs.
 *
 * `@jupyter/ydoc` is published as ES modules only and imports `yjs` through the "import" export
 * condition (`yjs.mjs`), while a CommonJS `require('yjs')` gets `yjs.cjs`: two copies whose types
 * cannot be mixed in one document. So the server loads `esm/yjs-world.mjs`, which re-exports
 * yjs, y-protocols, lib0 and YNotebook/YFile from the same ES module graph, with Node's own
 * `require` (Node >= 20.19 loads ES modules synchronously). `process.getBuiltinModule` gives the
 * real `node:module` even under jest, whose module registry cannot load ES modules.
 */
import * as path from 'node:path';

import type * as Y from 'yjs';
import type * as Sync from 'y-protocols/sync';
import type * as Encoding from 'lib0/encoding';
import type * as Decoding from 'lib0/decoding';
import type { YFile, YNotebook } from '@jupyter/ydoc';

/** The modules of `esm/yjs-world.mjs`. */
export interface YjsWorld {
  Y: typeof Y;
  sync: typeof Sync;
  encoding: typeof Encoding;
  decoding: typeof Decoding;
  YNotebook: typeof YNotebook;
  YFile: typeof YFile;
  /** A JSON copy of `value` made in yjs's realm: use it for objects stored in Y types. */
  plain<T>(value: T): T;
}

let world: YjsWorld | null = null;

/** The shared Yjs modules (loaded on first use, then cached). */
export function yjs(): YjsWorld {
  if (world === null) {
    const nodeModule = process.getBuiltinModule('node:module') as typeof import('node:module');
    // `src/collaboration` and `lib/collaboration` are both two levels below the package root.
    const file = path.join(__dirname, '..', '..', 'esm', 'yjs-world.mjs');
    // yjs warns when a second copy loads, because mixing their types breaks it. The CommonJS
    // copy (used by @opsbook/collab-model, see opsbook-state.ts) and this one never share an
    // object, only encoded updates, so the warning would only alarm people reading the log.
    (globalThis as Record<string, unknown>)['__ $YJS$ __'] = false;
    world = nodeModule.createRequire(__filename)(file) as YjsWorld;
  }
  return world;
}
