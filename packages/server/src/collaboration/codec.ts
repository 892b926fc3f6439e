/**
 * How a file becomes a shared document and back. A codec owns the layout of `@jupyter/ydoc`
 * (YNotebook for notebooks, YFile for text files), so the server's document is exactly what the
 * stock frontend expects.
 *
 * Loading is deterministic: the content is built in a fresh Y.Doc whose clientID is 0, encoded,
 * and that update is what the room starts from. Loading the same file twice gives byte-identical
 * updates, so a room rebuilt from the file never duplicates cells when a stale client reconnects
 * with the old items (Yjs sees the same ids and skips them).
 *
 * Hooks add state of our own to notebooks (comments, hypotheses): each hook owns one key path
 * under the notebook metadata, builds its part of the document from that value on load (as an
 * update from its own fixed clientID, so it cannot collide with the content's clientID 0), and
 * turns the document back into that value on save. Hooks exchange encoded updates, never Y types,
 * so a hook may use another copy of yjs than the server (see `yjs.ts`).
 */
import type { YFile, YNotebook } from '@jupyter/ydoc';

import { yjs } from './yjs';

/** The shared model of a room: a YNotebook or a YFile, which owns its Y.Doc. */
export type SharedModel = YNotebook | YFile;

/** Extra state stored under a notebook metadata key (see the file comment). */
export interface NotebookStateHook {
  /** Where the value lives in the notebook metadata, e.g. `['opsbook', 'collaboration']`. */
  key: string[];
  /** Builds this hook's part of the document from the stored value; null when there is none. */
  load(value: unknown): Uint8Array | null;
  /** Reads this hook's part out of the whole document (an encoded state update). */
  save(documentUpdate: Uint8Array): unknown;
}

/** Converts between file contents and a shared model. */
export interface DocumentCodec {
  /** The contents API type and format files of this codec are saved with. */
  readonly contentsType: 'notebook' | 'file';
  readonly contentsFormat: 'json' | 'text';
  /** A new, empty shared model (it creates and owns its Y.Doc). */
  create(): SharedModel;
  /** The deterministic initial update for file `content` (see the file comment). */
  initialUpdate(content: unknown): Uint8Array;
  /** Replaces the model's content with `content` (a reload from disk, as a normal change). */
  replace(model: SharedModel, content: unknown): void;
  /** The file content of the model, as the contents API saves it. */
  serialize(model: SharedModel): unknown;
}

/** What yjs prints when a type is read before it is part of a document. */
const PREMATURE_ACCESS = 'Invalid access: Add Yjs type to a document before reading data.';

/**
 * Runs `fn` without yjs' premature-access warning. `YNotebook.fromJSON` builds each cell before
 * inserting it and reads the new cell's types on the way (harmless: they are empty), and yjs
 * prints one warning per read: ~4 lines per cell on every notebook load, thousands for a big
 * notebook, burying the server's real log lines. Any other console output passes through; `fn`
 * is synchronous, so nothing else runs while the filter is in place.
 */
function quietly<T>(fn: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (args[0] !== PREMATURE_ACCESS) {
      warn.apply(console, args);
    }
  };
  try {
    return fn();
  } finally {
    console.warn = warn;
  }
}

/** Notebook JSON (nbformat 4), loosely typed: validation is the contents store's job. */
type NotebookJson = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** The codec for `type: "notebook"` documents. */
export function notebookCodec(hooks: NotebookStateHook[] = []): DocumentCodec {
  const { Y, YNotebook } = yjs();
  const split = (content: unknown): { notebook: NotebookJson; values: unknown[] } => {
    const notebook = structuredClone(content) as NotebookJson;
    notebook.metadata = notebook.metadata ?? {};
    const values = hooks.map(hook => takeKey(notebook.metadata!, hook.key));
    return { notebook, values };
  };
  return {
    contentsType: 'notebook',
    contentsFormat: 'json',
    create: () => new YNotebook(),
    initialUpdate(content) {
      const { notebook, values } = split(content);
      const model = new YNotebook();
      try {
        model.ydoc.clientID = 0;
        quietly(() => model.fromJSON(notebook as never));
        const parts = [Y.encodeStateAsUpdate(model.ydoc)];
        hooks.forEach((hook, i) => {
          const part = values[i] === undefined ? null : hook.load(values[i]);
          if (part) {
            parts.push(part);
          }
        });
        return parts.length === 1 ? parts[0] : Y.mergeUpdates(parts);
      } finally {
        model.dispose();
      }
    },
    replace(model, content) {
      const { notebook } = split(content);
      quietly(() => (model as YNotebook).fromJSON(notebook as never));
    },
    serialize(model) {
      const notebook = (model as YNotebook).toJSON() as unknown as NotebookJson;
      if (hooks.length > 0) {
        const whole = Y.encodeStateAsUpdate(model.ydoc);
        notebook.metadata = notebook.metadata ?? {};
        for (const hook of hooks) {
          const value = hook.save(whole);
          if (value !== undefined) {
            putKey(notebook.metadata, hook.key, value);
          }
        }
      }
      return notebook;
    }
  };
}

/** The codec for `type: "file"` documents (text files). */
export function fileCodec(): DocumentCodec {
  const { Y, YFile } = yjs();
  return {
    contentsType: 'file',
    contentsFormat: 'text',
    create: () => new YFile(),
    initialUpdate(content) {
      const model = new YFile();
      try {
        model.ydoc.clientID = 0;
        model.setSource(String(content ?? ''));
        return Y.encodeStateAsUpdate(model.ydoc);
      } finally {
        model.dispose();
      }
    },
    replace(model, content) {
      (model as YFile).setSource(String(content ?? ''));
    },
    serialize: model => (model as YFile).getSource()
  };
}

/**
 * The hook for `@opsbook/collab-model`'s comments and hypotheses, stored under
 * `metadata.opsbook.collaboration`. `Y` is the yjs copy the collab-model functions use (pass
 * `import * as Y from 'yjs'` from the module that imports them).
 */
export function collabStateHook(
  Y: {
    Doc: new () => { clientID: number };
    encodeStateAsUpdate(doc: never): Uint8Array;
    applyUpdate(doc: never, update: Uint8Array): void;
  },
  importCollabState: (ydoc: never, value: never) => void,
  exportCollabState: (ydoc: never) => unknown
): NotebookStateHook {
  return {
    key: ['opsbook', 'collaboration'],
    load(value) {
      const doc = new Y.Doc();
      // Fixed, so reloading the same file gives the same update (1: content uses 0).
      doc.clientID = 1;
      importCollabState(doc as never, value as never);
      return Y.encodeStateAsUpdate(doc as never);
    },
    save(update) {
      const doc = new Y.Doc();
      Y.applyUpdate(doc as never, update);
      return exportCollabState(doc as never);
    }
  };
}

/** Removes and returns the value at `key` (dropping emptied parents). */
function takeKey(root: Record<string, unknown>, key: string[]): unknown {
  let node: Record<string, unknown> = root;
  const parents: Record<string, unknown>[] = [];
  for (const part of key.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) {
      return undefined;
    }
    parents.push(node);
    node = next as Record<string, unknown>;
  }
  const last = key[key.length - 1];
  const value = node[last];
  delete node[last];
  for (let i = parents.length - 1; i >= 0; i--) {
    const child = parents[i][key[i]] as Record<string, unknown>;
    if (Object.keys(child).length === 0) {
      delete parents[i][key[i]];
    }
  }
  return value;
}

/** Sets `value` at `key`, creating parents. */
function putKey(root: Record<string, unknown>, key: string[], value: unknown): void {
  let node = root;
  for (const part of key.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) {
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
  }
  node[key[key.length - 1]] = value;
}
