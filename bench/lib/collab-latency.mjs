/**
 * Update propagation latency: one writer types one character at the end of cell 0's source, and
 * the sample is the time from just before the insert (which sends the update synchronously) until
 * the LAST observer has applied it (its Y.Text observer fired). Writer and observers live in this
 * process, so both ends read the same `performance.now()` clock.
 *
 * Edits are paced: the next one starts `periodMs` after the previous one started (or when the
 * previous one arrived everywhere, if later), so each sample sees an idle room, as typing does,
 * and the writer stays under our server's per-connection rate limit (200 messages/s).
 */
import { sleep } from './collab-harness.mjs';

/**
 * Measures `samples` edits after `warmup` unrecorded ones. Returns `{ last, first }`: latency in ms
 * until every observer / the first observer had the edit.
 */
export async function measurePropagation(writer, observers, options) {
  const { samples, warmup, periodMs = 10, timeoutMs = 10_000 } = options;
  const text = writer.source(0);
  let pending = null;
  const detach = observers.map(o => {
    const t = o.source(0);
    const handler = () => {
      if (pending === null) {
        return;
      }
      const now = performance.now();
      pending.first ??= now;
      if (--pending.left === 0) {
        pending.resolve(now);
      }
    };
    t.observe(handler);
    return () => t.unobserve(handler);
  });
  const last = [];
  const first = [];
  try {
    for (let i = 0; i < warmup + samples; i++) {
      let timer;
      const arrived = new Promise((resolve, reject) => {
        pending = { left: observers.length, first: null, resolve };
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `edit ${i} did not reach ${pending.left} of ${observers.length} observers within ${timeoutMs} ms (writer close: ${writer.closed?.code ?? 'none'})`
              )
            ),
          timeoutMs
        );
      });
      const t0 = performance.now();
      text.insert(text.length, 'x');
      const tLast = await arrived;
      clearTimeout(timer);
      if (i >= warmup) {
        last.push(tLast - t0);
        first.push(pending.first - t0);
      }
      pending = null;
      const wait = t0 + periodMs - performance.now();
      if (wait > 0.5) {
        await sleep(wait);
      } else {
        await new Promise(r => setImmediate(r));
      }
    }
  } finally {
    pending = null;
    detach.forEach(d => d());
  }
  return { last, first };
}
