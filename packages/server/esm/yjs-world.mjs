// One ES module graph for everything Yjs on the server. `@jupyter/ydoc` is ESM-only and imports
// `yjs` through the "import" condition, so the server must use that same copy (yjs refuses to mix
// types from two copies). See packages/server/src/collaboration/yjs.ts.
export * as Y from 'yjs';
export * as sync from 'y-protocols/sync';
export * as awareness from 'y-protocols/awareness';
export * as encoding from 'lib0/encoding';
export * as decoding from 'lib0/decoding';
export { YNotebook, YFile } from '@jupyter/ydoc';

// A JSON copy made in this module graph's realm. yjs stores a plain object only if its
// `constructor` is this realm's `Object`; under jest the server's own objects come from jest's
// sandbox realm, so values written into Y types go through this first.
export const plain = value => JSON.parse(JSON.stringify(value));
