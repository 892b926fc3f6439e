/**
 * Property tests: several peers apply random sequences of operations while their updates reach
 * each other late and out of order; once everything is delivered, every peer exports the same
 * state, and that export survives export -> import -> export.
 */
import * as Y from 'yjs';
import { exportCollabState, importCollabState } from '../src/codec';
import { addThread, readThreads, replyToThread, setThreadResolved } from '../src/comments';
import { ensureCollabRoot, ROOT_MAP } from '../src/doc';
import {
  addHypothesis,
  deleteHypothesis,
  linkEvidence,
  readHypotheses,
  unlinkEvidence,
  updateHypothesis
} from '../src/hypotheses';
import { HYPOTHESIS_STATUSES } from '../src/schema';
import { Network, random } from './peers';

const USERS = ['ana', 'ben', 'carl', 'dee'];
const CELLS = ['c1', 'c2', 'c3'];

function pick<T>(rand: () => number, items: T[]): T {
  return items[Math.floor(rand() * items.length)];
}

/** One random operation by `user` on `doc`. */
function randomOperation(doc: Y.Doc, user: string, rand: () => number, step: number): void {
  const threads = readThreads(doc);
  const hypotheses = readHypotheses(doc);
  const time = `2024-01-01T00:00:${String(step).padStart(6, '0')}Z`;
  const r = rand();
  if (r < 0.2 || !threads.length) {
    addThread(doc, {
      cellId: pick(rand, CELLS),
      author: user,
      text: `@${pick(rand, USERS)} ${step}`,
      time
    });
  } else if (r < 0.4) {
    replyToThread(doc, {
      threadId: pick(rand, threads).id,
      author: user,
      text: `re ${step}`,
      time
    });
  } else if (r < 0.5) {
    setThreadResolved(doc, pick(rand, threads).id, rand() < 0.6, user, time);
  } else if (r < 0.6 || !hypotheses.length) {
    addHypothesis(doc, { title: `h${step}`, author: user, time });
  } else if (r < 0.75) {
    updateHypothesis(
      doc,
      pick(rand, hypotheses).id,
      rand() < 0.5 ? { status: pick(rand, [...HYPOTHESIS_STATUSES]) } : { verdict: `v${step}` },
      time
    );
  } else if (r < 0.9) {
    linkEvidence(doc, pick(rand, hypotheses).id, pick(rand, CELLS), time);
  } else if (r < 0.97) {
    unlinkEvidence(doc, pick(rand, hypotheses).id, pick(rand, CELLS), time);
  } else {
    deleteHypothesis(doc, pick(rand, hypotheses).id);
  }
}

describe('the shared collaboration state', () => {
  it('is created identically by peers that initialise it concurrently', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    ensureCollabRoot(a);
    ensureCollabRoot(b);
    addThread(a, { cellId: 'c', author: 'ana', text: 'a' });
    addHypothesis(b, { title: 'b', author: 'ben' });
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(exportCollabState(a)).toEqual(exportCollabState(b));
    expect(exportCollabState(a).comments).toHaveLength(1);
    expect(exportCollabState(a).hypotheses).toHaveLength(1);
    expect(a.getMap(ROOT_MAP).get('version')).toBe(1);
  });

  it('leaves the @jupyter/ydoc parts of the document alone', () => {
    const doc = new Y.Doc();
    ensureCollabRoot(doc);
    expect([...doc.share.keys()]).toEqual([ROOT_MAP]);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`converges for random operations by 4 peers delivered out of order (seed ${seed})`, () => {
      const rand = random(seed);
      const net = new Network(4, rand);
      for (let step = 0; step < 250; step++) {
        const peer = Math.floor(rand() * net.docs.length);
        randomOperation(net.docs[peer], USERS[peer], rand, step);
        if (rand() < 0.5) {
          net.deliverSome();
        }
      }
      net.flush();
      const states = net.docs.map(doc => JSON.stringify(exportCollabState(doc)));
      expect(new Set(states).size).toBe(1);
      const state = JSON.parse(states[0]);
      expect(state.comments.length).toBeGreaterThan(0);
      const copy = new Y.Doc();
      importCollabState(copy, state);
      expect(exportCollabState(copy)).toEqual(state);
    });
  }
});
