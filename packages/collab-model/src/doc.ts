/**
 * Where the collaboration state lives in the notebook's Y.Doc. Additive to `@jupyter/ydoc`'s
 * schema (`cells`, `meta`, `state`, ...), under one root map of our own:
 *
 *   ydoc.getMap('opsbook')
 *     version     1
 *     comments    Y.Map<threadId, Y.Map>     thread fields as in `CommentThread`, except
 *                   messages  Y.Array<CommentMessage>   (plain JSON objects, append-only)
 *     hypotheses  Y.Map<hypothesisId, Y.Map> fields as in `Hypothesis`, except
 *                   evidence  Y.Array<string>           (cell ids; duplicates ignored on read)
 *
 * Every field of a thread or hypothesis is its own map entry, so two users changing different
 * fields (or replying, or linking evidence) at once both win. Two peers must never create the
 * `comments` or `hypotheses` maps independently (one would replace the other, losing its
 * entries), so they are created by one fixed update, authored by a reserved client id, that
 * every peer and the server apply: applying it twice is a no-op, so all copies are the same items.
 */
import * as Y from 'yjs';
import { COLLAB_STATE_VERSION } from './schema';

/** Name of the root map on the notebook's Y.Doc. */
export const ROOT_MAP = 'opsbook';

/** Client id that authors the initial structure; no live peer writes with it. */
export const STRUCTURE_CLIENT_ID = 0x4f505342;

/** Transaction origin of every change made by this package (lets observers tell them apart). */
export const COLLAB_ORIGIN = 'opsbook-collab';

/** The keys of one thread's or hypothesis's Y.Map. */
export type EntryMap = Y.Map<unknown>;

let structureUpdate: Uint8Array | null = null;

/** The update that creates the structure; the same bytes for every peer. */
function initialUpdate(): Uint8Array {
  if (!structureUpdate) {
    const doc = new Y.Doc();
    doc.clientID = STRUCTURE_CLIENT_ID;
    const root = doc.getMap(ROOT_MAP);
    doc.transact(() => {
      root.set('version', COLLAB_STATE_VERSION);
      root.set('comments', new Y.Map());
      root.set('hypotheses', new Y.Map());
    });
    structureUpdate = Y.encodeStateAsUpdate(doc);
    doc.destroy();
  }
  return structureUpdate;
}

/** Makes sure `ydoc` holds the structure (idempotent) and returns the root map. */
export function ensureCollabRoot(ydoc: Y.Doc): Y.Map<unknown> {
  const root = ydoc.getMap<unknown>(ROOT_MAP);
  if (!(root.get('comments') instanceof Y.Map) || !(root.get('hypotheses') instanceof Y.Map)) {
    Y.applyUpdate(ydoc, initialUpdate(), COLLAB_ORIGIN);
  }
  return root;
}

/** The map of threads by id. */
export function threadsMap(ydoc: Y.Doc): Y.Map<EntryMap> {
  return ensureCollabRoot(ydoc).get('comments') as Y.Map<EntryMap>;
}

/** The map of hypotheses by id. */
export function hypothesesMap(ydoc: Y.Doc): Y.Map<EntryMap> {
  return ensureCollabRoot(ydoc).get('hypotheses') as Y.Map<EntryMap>;
}

/** A string field of an entry, or `fallback` when missing or of another type. */
export function str(map: EntryMap, key: string, fallback = ''): string {
  const value = map.get(key);
  return typeof value === 'string' ? value : fallback;
}

/** Orders entries by creation time, then id, so every peer exports them in the same order. */
export function byCreation(a: { created: string; id: string }, b: { created: string; id: string }) {
  return a.created < b.created
    ? -1
    : a.created > b.created
      ? 1
      : a.id < b.id
        ? -1
        : a.id > b.id
          ? 1
          : 0;
}

/**
 * Calls `callback` after every change to the collaboration state (local or remote, comments or
 * hypotheses), once per transaction. Returns a function that stops observing.
 */
export function observeCollab(ydoc: Y.Doc, callback: (local: boolean) => void): () => void {
  const root = ensureCollabRoot(ydoc);
  const handler = (_events: Y.YEvent<Y.AbstractType<unknown>>[], transaction: Y.Transaction) =>
    callback(transaction.local);
  root.observeDeep(handler);
  return () => root.unobserveDeep(handler);
}
