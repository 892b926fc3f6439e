/**
 * The codec between the live shared document and the saved notebook. On save the server writes
 * `exportCollabState(ydoc)` to `metadata.opsbook.collaboration` (plain JSON, so stock Jupyter
 * keeps it untouched); on load it calls `importCollabState(ydoc, value)` once, before any client
 * joins the room.
 *
 * The import is defensive, because the file may have been edited by hand or by a newer Opsbook:
 * a value that is not version 1 is not imported at all (the caller should then keep the original
 * metadata on save rather than overwrite it); inside a version 1 value, unknown fields are ignored
 * and malformed threads, messages or hypotheses are skipped and reported, never thrown.
 */
import * as Y from 'yjs';
import { buildThread } from './comments';
import { COLLAB_ORIGIN, ensureCollabRoot, hypothesesMap, threadsMap } from './doc';
import { buildHypothesis, isHypothesisStatus, readHypotheses } from './hypotheses';
import { readThreads } from './comments';
import { parseMentions } from './mentions';
import {
  COLLAB_STATE_VERSION,
  type CollabStateV1,
  type CommentMessage,
  type CommentThread,
  type Hypothesis
} from './schema';

/** What `importCollabState` did. */
export interface ImportResult {
  /** False when the value was refused as a whole (missing, not an object, other version). */
  imported: boolean;
  /** Threads added to the document. */
  threads: number;
  /** Hypotheses added to the document. */
  hypotheses: number;
  /** What was skipped and why, for the server log. */
  problems: string[];
}

/** The collaboration state of the document as plain JSON, in a deterministic order. */
export function exportCollabState(ydoc: Y.Doc): CollabStateV1 {
  return {
    version: COLLAB_STATE_VERSION,
    comments: readThreads(ydoc),
    hypotheses: readHypotheses(ydoc)
  };
}

/**
 * Adds the threads and hypotheses of a saved state to the document (entries whose id is already
 * there are kept as they are, so importing twice changes nothing).
 */
export function importCollabState(ydoc: Y.Doc, value: unknown): ImportResult {
  const result: ImportResult = { imported: false, threads: 0, hypotheses: 0, problems: [] };
  if (!isObject(value)) {
    result.problems.push('metadata.opsbook.collaboration is not an object');
    return result;
  }
  if (value.version !== COLLAB_STATE_VERSION) {
    result.problems.push(
      `metadata.opsbook.collaboration has version ${JSON.stringify(value.version)}; ` +
        `this Opsbook reads version ${COLLAB_STATE_VERSION} only (left as it is)`
    );
    return result;
  }
  result.imported = true;
  ensureCollabRoot(ydoc);
  const threads = threadsMap(ydoc);
  const hypotheses = hypothesesMap(ydoc);
  ydoc.transact(() => {
    list(value.comments).forEach((raw, i) => {
      const thread = toThread(raw, `comments[${i}]`, result.problems);
      if (thread && !threads.has(thread.id)) {
        threads.set(thread.id, buildThread(thread));
        result.threads++;
      }
    });
    list(value.hypotheses).forEach((raw, i) => {
      const h = toHypothesis(raw, `hypotheses[${i}]`, result.problems);
      if (h && !hypotheses.has(h.id)) {
        hypotheses.set(h.id, buildHypothesis(h));
        result.hypotheses++;
      }
    });
  }, COLLAB_ORIGIN);
  return result;
}

/** Reads `metadata.opsbook.collaboration` of a notebook's metadata, or undefined. */
export function collabStateOfMetadata(metadata: unknown): unknown {
  if (!isObject(metadata) || !isObject(metadata.opsbook)) {
    return undefined;
  }
  return metadata.opsbook.collaboration;
}

/**
 * A copy of a notebook's metadata with `opsbook.collaboration` set to `state` (other `opsbook`
 * keys kept); an empty state removes the key so untouched notebooks stay byte-identical.
 */
export function withCollabState(
  metadata: Record<string, unknown>,
  state: CollabStateV1
): Record<string, unknown> {
  const opsbook = isObject(metadata.opsbook) ? { ...metadata.opsbook } : {};
  if (state.comments.length === 0 && state.hypotheses.length === 0) {
    delete opsbook.collaboration;
  } else {
    opsbook.collaboration = state;
  }
  const copy = { ...metadata };
  if (Object.keys(opsbook).length) {
    copy.opsbook = opsbook;
  } else {
    delete copy.opsbook;
  }
  return copy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function toMessage(raw: unknown, where: string, problems: string[]): CommentMessage | null {
  if (!isObject(raw) || !isString(raw.id) || !isString(raw.author) || !isString(raw.text)) {
    problems.push(`${where}: a message needs string id, author and text (skipped)`);
    return null;
  }
  return {
    id: raw.id,
    author: raw.author,
    time: isString(raw.time) ? raw.time : '',
    text: raw.text,
    // Recomputed from the text: the text is what users see, so it is the truth.
    mentions: parseMentions(raw.text)
  };
}

function toThread(raw: unknown, where: string, problems: string[]): CommentThread | null {
  if (!isObject(raw) || !isString(raw.id) || !raw.id || !isString(raw.cellId)) {
    problems.push(`${where}: a thread needs a string id and cellId (skipped)`);
    return null;
  }
  const messages = list(raw.messages)
    .map((m, i) => toMessage(m, `${where}.messages[${i}]`, problems))
    .filter((m): m is CommentMessage => m !== null);
  if (!messages.length) {
    problems.push(`${where}: a thread needs at least one message (skipped)`);
    return null;
  }
  const resolved = raw.resolved === true;
  return {
    id: raw.id,
    cellId: raw.cellId,
    author: isString(raw.author) ? raw.author : messages[0].author,
    created: isString(raw.created) ? raw.created : messages[0].time,
    resolved,
    resolvedBy: resolved && isString(raw.resolvedBy) ? raw.resolvedBy : null,
    resolvedAt: resolved && isString(raw.resolvedAt) ? raw.resolvedAt : null,
    messages
  };
}

function toHypothesis(raw: unknown, where: string, problems: string[]): Hypothesis | null {
  if (!isObject(raw) || !isString(raw.id) || !raw.id || !isString(raw.title)) {
    problems.push(`${where}: a hypothesis needs a string id and title (skipped)`);
    return null;
  }
  if (raw.status !== undefined && !isHypothesisStatus(raw.status)) {
    problems.push(`${where}: unknown status ${JSON.stringify(raw.status)} read as 'proposed'`);
  }
  const created = isString(raw.created) ? raw.created : '';
  return {
    id: raw.id,
    title: raw.title,
    status: isHypothesisStatus(raw.status) ? raw.status : 'proposed',
    evidence: list(raw.evidence).filter(isString),
    verdict: isString(raw.verdict) ? raw.verdict : '',
    author: isString(raw.author) ? raw.author : '',
    created,
    updated: isString(raw.updated) ? raw.updated : created
  };
}

/**
 * `exportCollabState` for a caller whose documents come from another copy of yjs (the server
 * loads yjs as ES modules with `@jupyter/ydoc`; this CommonJS package gets `yjs.cjs`, and shared
 * types of two copies cannot be mixed): give it `Y.encodeStateAsUpdate(doc)`.
 */
export function exportCollabStateFromUpdate(docUpdate: Uint8Array): CollabStateV1 {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, docUpdate);
  const state = exportCollabState(doc);
  doc.destroy();
  return state;
}

/**
 * `importCollabState` for a caller with another copy of yjs: give it
 * `Y.encodeStateAsUpdate(doc)` and apply the returned `update` to that document with its own
 * `Y.applyUpdate` (the update holds only what the import added; empty changes are harmless).
 */
export function importCollabStateAsUpdate(
  docUpdate: Uint8Array,
  value: unknown
): { update: Uint8Array; result: ImportResult } {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, docUpdate);
  const before = Y.encodeStateVector(doc);
  const result = importCollabState(doc, value);
  const update = Y.encodeStateAsUpdate(doc, before);
  doc.destroy();
  return { update, result };
}
