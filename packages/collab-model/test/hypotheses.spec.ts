import * as Y from 'yjs';
import {
  addHypothesis,
  deleteHypothesis,
  linkEvidence,
  readHypotheses,
  unlinkEvidence,
  updateHypothesis
} from '../src/hypotheses';

describe('hypotheses', () => {
  it('proposes a hypothesis with defaults', () => {
    const doc = new Y.Doc();
    const id = addHypothesis(doc, { title: 'DB pool exhausted', author: 'ana', time: 't0' });
    expect(readHypotheses(doc)).toEqual([
      {
        id,
        title: 'DB pool exhausted',
        status: 'proposed',
        evidence: [],
        verdict: '',
        author: 'ana',
        created: 't0',
        updated: 't0'
      }
    ]);
  });

  it('edits title, status and verdict and stamps the update time', () => {
    const doc = new Y.Doc();
    const id = addHypothesis(doc, { title: 'x', author: 'ana', time: 't0' });
    updateHypothesis(doc, id, { title: 'y', status: 'refuted', verdict: 'no' }, 't1');
    expect(readHypotheses(doc)[0]).toMatchObject({
      title: 'y',
      status: 'refuted',
      verdict: 'no',
      updated: 't1'
    });
  });

  it('rejects an unknown status with the allowed ones in the message', () => {
    const doc = new Y.Doc();
    const id = addHypothesis(doc, { title: 'x', author: 'ana' });
    expect(() => updateHypothesis(doc, id, { status: 'maybe' as 'proposed' })).toThrow(
      /proposed, supported, refuted/
    );
  });

  it('links evidence cells once each and unlinks them', () => {
    const doc = new Y.Doc();
    const id = addHypothesis(doc, { title: 'x', author: 'ana' });
    linkEvidence(doc, id, 'c1');
    linkEvidence(doc, id, 'c2');
    linkEvidence(doc, id, 'c1');
    expect(readHypotheses(doc)[0].evidence).toEqual(['c1', 'c2']);
    unlinkEvidence(doc, id, 'c1');
    expect(readHypotheses(doc)[0].evidence).toEqual(['c2']);
    expect(linkEvidence(doc, 'missing', 'c1')).toBe(false);
    expect(deleteHypothesis(doc, id)).toBe(true);
    expect(readHypotheses(doc)).toEqual([]);
  });

  it('merges concurrent edits of different fields and a concurrent duplicate link', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const id = addHypothesis(a, { title: 'x', author: 'ana' });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    updateHypothesis(a, id, { status: 'supported' });
    updateHypothesis(b, id, { verdict: 'p99 doubled' });
    linkEvidence(a, id, 'c1');
    linkEvidence(b, id, 'c1');
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    const [h] = readHypotheses(a);
    expect(h).toMatchObject({ status: 'supported', verdict: 'p99 doubled', evidence: ['c1'] });
    expect(readHypotheses(b)).toEqual(readHypotheses(a));
  });
});
