/**
 * Comment threads on cells: open a thread, reply, resolve and reopen. Each function is one Yjs
 * transaction on the notebook's document (see `doc.ts` for the layout), so a peer sees a whole
 * change or none of it.
 */
import * as Y from 'yjs';
import { byCreation, COLLAB_ORIGIN, EntryMap, str, threadsMap } from './doc';
import { newId, nowIso } from './ids';
import { parseMentions } from './mentions';
import type { CommentMessage, CommentThread } from './schema';

/** Arguments of `addThread`. */
export interface IAddThreadOptions {
  /** The cell commented on. */
  cellId: string;
  /** Username of the writer. */
  author: string;
  /** The opening comment. */
  text: string;
  /** Thread id (default: a new one). */
  id?: string;
  /** Id of the opening message (default: a new one). */
  messageId?: string;
  /** Time (default: now). */
  time?: string;
}

/** Arguments of `replyToThread`. */
export interface IReplyOptions {
  threadId: string;
  author: string;
  text: string;
  /** Message id (default: a new one). */
  id?: string;
  /** Time (default: now). */
  time?: string;
}

/** Builds a message, with its mentions parsed from the text. */
export function newMessage(
  author: string,
  text: string,
  id?: string,
  time?: string
): CommentMessage {
  return {
    id: id ?? newId('m'),
    author,
    time: time ?? nowIso(),
    text,
    mentions: parseMentions(text)
  };
}

/** Opens a thread on a cell with its first comment; returns the thread id. */
export function addThread(ydoc: Y.Doc, options: IAddThreadOptions): string {
  const id = options.id ?? newId('c');
  const time = options.time ?? nowIso();
  const threads = threadsMap(ydoc);
  ydoc.transact(() => {
    threads.set(
      id,
      buildThread({
        id,
        cellId: options.cellId,
        author: options.author,
        created: time,
        resolved: false,
        resolvedBy: null,
        resolvedAt: null,
        messages: [newMessage(options.author, options.text, options.messageId, time)]
      })
    );
  }, COLLAB_ORIGIN);
  return id;
}

/** The Y.Map of a thread (used by `addThread` and the import). */
export function buildThread(thread: CommentThread): EntryMap {
  const map = new Y.Map<unknown>();
  map.set('id', thread.id);
  map.set('cellId', thread.cellId);
  map.set('author', thread.author);
  map.set('created', thread.created);
  map.set('resolved', thread.resolved);
  map.set('resolvedBy', thread.resolvedBy);
  map.set('resolvedAt', thread.resolvedAt);
  const messages = new Y.Array<CommentMessage>();
  messages.push(thread.messages.map(m => ({ ...m, mentions: [...m.mentions] })));
  map.set('messages', messages);
  return map;
}

/** Adds a reply to a thread; returns the message id, or null when the thread does not exist. */
export function replyToThread(ydoc: Y.Doc, options: IReplyOptions): string | null {
  const thread = threadsMap(ydoc).get(options.threadId);
  const messages = thread?.get('messages');
  if (!(messages instanceof Y.Array)) {
    return null;
  }
  const message = newMessage(options.author, options.text, options.id, options.time);
  ydoc.transact(() => messages.push([message]), COLLAB_ORIGIN);
  return message.id;
}

/**
 * Resolves (`resolved: true`) or reopens a thread, recording who did it; returns false when the
 * thread does not exist.
 */
export function setThreadResolved(
  ydoc: Y.Doc,
  threadId: string,
  resolved: boolean,
  by: string,
  time: string = nowIso()
): boolean {
  const thread = threadsMap(ydoc).get(threadId);
  if (!thread) {
    return false;
  }
  ydoc.transact(() => {
    thread.set('resolved', resolved);
    thread.set('resolvedBy', resolved ? by : null);
    thread.set('resolvedAt', resolved ? time : null);
  }, COLLAB_ORIGIN);
  return true;
}

/** Deletes a thread; returns false when it does not exist. */
export function deleteThread(ydoc: Y.Doc, threadId: string): boolean {
  const threads = threadsMap(ydoc);
  if (!threads.has(threadId)) {
    return false;
  }
  ydoc.transact(() => threads.delete(threadId), COLLAB_ORIGIN);
  return true;
}

/** Reads one thread as plain JSON. */
export function readThread(map: EntryMap, id: string): CommentThread {
  const messages = map.get('messages');
  const resolvedBy = map.get('resolvedBy');
  const resolvedAt = map.get('resolvedAt');
  return {
    id,
    cellId: str(map, 'cellId'),
    author: str(map, 'author'),
    created: str(map, 'created'),
    resolved: map.get('resolved') === true,
    resolvedBy: typeof resolvedBy === 'string' ? resolvedBy : null,
    resolvedAt: typeof resolvedAt === 'string' ? resolvedAt : null,
    messages:
      messages instanceof Y.Array
        ? (messages.toArray() as CommentMessage[]).map(m => ({ ...m, mentions: [...m.mentions] }))
        : []
  };
}

/** Every thread as plain JSON, ordered by creation; only those on `cellId` when given. */
export function readThreads(ydoc: Y.Doc, cellId?: string): CommentThread[] {
  const threads: CommentThread[] = [];
  threadsMap(ydoc).forEach((map, id) => {
    if (map instanceof Y.Map) {
      const thread = readThread(map, id);
      if (cellId === undefined || thread.cellId === cellId) {
        threads.push(thread);
      }
    }
  });
  return threads.sort(byCreation);
}
