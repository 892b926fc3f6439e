/**
 * Simulated peers for property tests: Y.Docs whose updates are queued and delivered to each other
 * in a random order (as Yjs's own tests do), with a seeded random generator so failures replay.
 */
import * as Y from 'yjs';

/** A small seeded PRNG (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Peers with an in-flight message queue per receiver. */
export class Network {
  readonly docs: Y.Doc[] = [];
  private queues: Uint8Array[][] = [];

  constructor(
    count: number,
    private rand: () => number
  ) {
    for (let i = 0; i < count; i++) {
      const doc = new Y.Doc();
      const index = i;
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === 'network') {
          return;
        }
        this.queues.forEach((queue, j) => j !== index && queue.push(update));
      });
      this.docs.push(doc);
      this.queues.push([]);
    }
  }

  /** Delivers some queued updates to random peers, in a random order. */
  deliverSome(): void {
    const j = Math.floor(this.rand() * this.docs.length);
    const queue = this.queues[j];
    while (queue.length && this.rand() < 0.7) {
      const k = Math.floor(this.rand() * queue.length);
      const [update] = queue.splice(k, 1);
      Y.applyUpdate(this.docs[j], update, 'network');
    }
  }

  /** Delivers everything still in flight. */
  flush(): void {
    this.queues.forEach((queue, j) => {
      while (queue.length) {
        Y.applyUpdate(this.docs[j], queue.shift()!, 'network');
      }
    });
  }
}
