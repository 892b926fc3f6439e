import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as Y from 'yjs';
import {
  collabStateOfMetadata,
  exportCollabState,
  exportCollabStateFromUpdate,
  importCollabState,
  importCollabStateAsUpdate,
  withCollabState
} from '../src/codec';
import { addThread, readThreads, replyToThread, setThreadResolved } from '../src/comments';
import { addHypothesis, linkEvidence, readHypotheses } from '../src/hypotheses';

const schema = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'schema', 'collaboration.schema.json'), 'utf8')
);
const validate = new Ajv({ allErrors: true }).compile(schema);

function sampleDoc(): Y.Doc {
  const doc = new Y.Doc();
  const t = addThread(doc, { cellId: 'c1', author: 'ana', text: '@ben spike here', time: 't1' });
  replyToThread(doc, { threadId: t, author: 'ben', text: 'GC pause', time: 't2' });
  setThreadResolved(doc, t, true, 'ben', 't3');
  const h = addHypothesis(doc, { title: 'GC', author: 'ben', time: 't4' });
  linkEvidence(doc, h, 'c1', 't5');
  return doc;
}

describe('collaboration state codec', () => {
  it('exports plain JSON that the generated schema accepts', () => {
    const state = exportCollabState(sampleDoc());
    expect(validate(state)).toBe(true);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state.version).toBe(1);
  });

  it('round-trips through import into a fresh document', () => {
    const state = exportCollabState(sampleDoc());
    const fresh = new Y.Doc();
    const result = importCollabState(fresh, JSON.parse(JSON.stringify(state)));
    expect(result).toEqual({ imported: true, threads: 1, hypotheses: 1, problems: [] });
    expect(exportCollabState(fresh)).toEqual(state);
  });

  it('imports idempotently', () => {
    const state = exportCollabState(sampleDoc());
    const doc = new Y.Doc();
    importCollabState(doc, state);
    expect(importCollabState(doc, state)).toMatchObject({ threads: 0, hypotheses: 0 });
    expect(exportCollabState(doc)).toEqual(state);
  });

  it('refuses another version without touching the document', () => {
    const doc = sampleDoc();
    const before = exportCollabState(doc);
    const result = importCollabState(doc, { version: 2, comments: [{ id: 'x' }] });
    expect(result.imported).toBe(false);
    expect(result.problems[0]).toMatch(/version 2.*version 1 only/);
    expect(importCollabState(doc, 'garbage').imported).toBe(false);
    expect(exportCollabState(doc)).toEqual(before);
  });

  it('ignores unknown fields and skips malformed entries, reporting them', () => {
    const doc = new Y.Doc();
    const result = importCollabState(doc, {
      version: 1,
      future: { x: 1 },
      comments: [
        {
          id: 'ok',
          cellId: 'c',
          author: 'ana',
          created: 't',
          extra: 1,
          messages: [
            { id: 'm', author: 'ana', time: 't', text: 'hi @ben', mentions: ['forged'] },
            { id: 'bad' }
          ]
        },
        { id: 'empty', cellId: 'c', messages: [] },
        42
      ],
      hypotheses: [{ id: 'h', title: 'T', status: 'maybe', evidence: ['c', 7, 'c'] }, {}]
    });
    expect(result.imported).toBe(true);
    expect(result.threads).toBe(1);
    expect(result.hypotheses).toBe(1);
    expect(result.problems).toHaveLength(5);
    const [thread] = readThreads(doc);
    expect(thread.messages).toEqual([
      { id: 'm', author: 'ana', time: 't', text: 'hi @ben', mentions: ['ben'] }
    ]);
    expect(readHypotheses(doc)[0]).toMatchObject({ status: 'proposed', evidence: ['c'] });
    expect(validate(exportCollabState(doc))).toBe(true);
  });

  it('reads and writes the notebook metadata key, keeping other opsbook keys', () => {
    const state = exportCollabState(sampleDoc());
    const metadata = withCollabState({ kernelspec: {}, opsbook: { other: 1 } }, state);
    expect(metadata).toEqual({ kernelspec: {}, opsbook: { other: 1, collaboration: state } });
    expect(collabStateOfMetadata(metadata)).toBe(state);
    const empty = exportCollabState(new Y.Doc());
    expect(withCollabState({ opsbook: { collaboration: state } }, empty)).toEqual({});
    expect(collabStateOfMetadata({})).toBeUndefined();
  });
});

describe('collaboration state codec over updates (for another copy of yjs)', () => {
  it('imports into and exports from a document it only sees as updates', () => {
    const state = exportCollabState(sampleDoc());
    const room = new Y.Doc();
    room.getArray('cells').push(['kept']);
    const { update, result } = importCollabStateAsUpdate(Y.encodeStateAsUpdate(room), state);
    expect(result).toMatchObject({ imported: true, threads: 1, hypotheses: 1 });
    Y.applyUpdate(room, update);
    expect(room.getArray('cells').toArray()).toEqual(['kept']);
    expect(exportCollabStateFromUpdate(Y.encodeStateAsUpdate(room))).toEqual(state);
    const again = importCollabStateAsUpdate(Y.encodeStateAsUpdate(room), state);
    expect(again.result).toMatchObject({ threads: 0, hypotheses: 0 });
  });
});
