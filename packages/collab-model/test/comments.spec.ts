import * as Y from 'yjs';
import {
  addThread,
  deleteThread,
  readThreads,
  replyToThread,
  setThreadResolved
} from '../src/comments';
import { observeCollab } from '../src/doc';

describe('comment threads', () => {
  it('opens a thread with its first message and parsed mentions', () => {
    const doc = new Y.Doc();
    const id = addThread(doc, { cellId: 'cell-1', author: 'ana', text: '@ben look', time: 't1' });
    const [thread] = readThreads(doc);
    expect(thread).toMatchObject({ id, cellId: 'cell-1', author: 'ana', created: 't1' });
    expect(thread.resolved).toBe(false);
    expect(thread.messages).toHaveLength(1);
    expect(thread.messages[0]).toMatchObject({
      author: 'ana',
      text: '@ben look',
      mentions: ['ben']
    });
  });

  it('replies, resolves and reopens, recording who resolved', () => {
    const doc = new Y.Doc();
    const id = addThread(doc, { cellId: 'c', author: 'ana', text: 'why?' });
    expect(replyToThread(doc, { threadId: id, author: 'ben', text: 'cache miss' })).toBeTruthy();
    expect(setThreadResolved(doc, id, true, 'ben', 't9')).toBe(true);
    let [thread] = readThreads(doc);
    expect(thread.messages.map(m => m.author)).toEqual(['ana', 'ben']);
    expect(thread).toMatchObject({ resolved: true, resolvedBy: 'ben', resolvedAt: 't9' });
    setThreadResolved(doc, id, false, 'ana');
    [thread] = readThreads(doc);
    expect(thread).toMatchObject({ resolved: false, resolvedBy: null, resolvedAt: null });
  });

  it('reports a reply to a missing thread instead of creating one', () => {
    const doc = new Y.Doc();
    expect(replyToThread(doc, { threadId: 'nope', author: 'a', text: 'x' })).toBeNull();
    expect(setThreadResolved(doc, 'nope', true, 'a')).toBe(false);
    expect(deleteThread(doc, 'nope')).toBe(false);
    expect(readThreads(doc)).toEqual([]);
  });

  it('filters threads by cell', () => {
    const doc = new Y.Doc();
    addThread(doc, { cellId: 'a', author: 'ana', text: '1', time: '1' });
    addThread(doc, { cellId: 'b', author: 'ana', text: '2', time: '2' });
    expect(readThreads(doc, 'b').map(t => t.messages[0].text)).toEqual(['2']);
  });

  it('keeps both threads when two users comment at the same time', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    addThread(a, { cellId: 'c', author: 'ana', text: 'from ana' });
    addThread(b, { cellId: 'c', author: 'ben', text: 'from ben' });
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(readThreads(a)).toHaveLength(2);
    expect(readThreads(b)).toEqual(readThreads(a));
  });

  it('notifies observers of local and remote changes', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const seen: boolean[] = [];
    const stop = observeCollab(b, local => seen.push(local));
    addThread(a, { cellId: 'c', author: 'ana', text: 'x' });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    addThread(b, { cellId: 'c', author: 'ben', text: 'y' });
    stop();
    addThread(b, { cellId: 'c', author: 'ben', text: 'z' });
    expect(seen).toEqual([false, true]);
  });
});
