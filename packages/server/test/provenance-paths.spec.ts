/**
 * notebook-paths.ts's resolution against a model of the files: thousands of random creates,
 * writes and renames of files and directories (paths reused on purpose), then every path's
 * spans must hold exactly the entries of the file at that path now, and a captured path must
 * move to where its file is. Pure: no server, no store.
 */
import {
  forwardPath,
  inSpan,
  pathsSince,
  spansOf,
  type PathMove
} from '../src/provenance/notebook-paths';
import { seeded } from './helpers';

// 'a' is a string prefix of 'ab': a directory move of 'a' must not touch 'ab'.
const DIRS = ['a', 'ab', 'a/a', 'a/ab', 'ab/a', 'ab/ab'];
const PATHS = ['f0.ipynb', 'f1.ipynb', ...DIRS.flatMap(d => [`${d}/f0.ipynb`, `${d}/f1.ipynb`])];

interface Entry {
  seq: number;
  path: string;
  file: number;
  /** The audit head when it was written (a hook's mark). */
  mark: number;
}

/** One random history: the entries, the moves, and where each file is at the end. */
function simulate(seed: number, steps: number) {
  const rand = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const files = new Map<string, number>(); // path -> file
  const entries: Entry[] = [];
  const moves: PathMove[] = [];
  let nextFile = 0;
  let audit = 0;
  const under = (p: string, d: string) => p === d || p.startsWith(d + '/');
  for (let i = 0; i < steps; i++) {
    const op = rand();
    const free = PATHS.filter(p => !files.has(p) && ![...files.keys()].some(f => under(p, f)));
    if (op < 0.2 && free.length) {
      files.set(pick(free), nextFile++);
    } else if (op < 0.6 && files.size) {
      const [path, file] = pick([...files]);
      entries.push({ seq: entries.length + 1, path, file, mark: audit });
    } else if (op < 0.85 && files.size && free.length) {
      const [from, file] = pick([...files]);
      const to = pick(free);
      files.delete(from);
      files.set(to, file);
      moves.push({
        from,
        to,
        audit: ++audit,
        runs: entries.length,
        versions: entries.length,
        time: ''
      });
    } else {
      const full = DIRS.filter(d => [...files.keys()].some(p => under(p, d)));
      const from = full.length ? pick(full) : null;
      const targets = DIRS.filter(
        d =>
          from !== null &&
          !under(d, from) &&
          !under(from, d) &&
          ![...files.keys()].some(p => under(p, d))
      );
      if (from === null || targets.length === 0) continue;
      const to = pick(targets);
      for (const [p, file] of [...files]) {
        if (under(p, from)) {
          files.delete(p);
          files.set(to + p.slice(from.length), file);
        }
      }
      moves.push({
        from,
        to,
        audit: ++audit,
        runs: entries.length,
        versions: entries.length,
        time: ''
      });
    }
  }
  return { entries, moves, files };
}

describe('notebook paths across renames', () => {
  it('gives every path exactly the entries of the file that is there now', () => {
    let renamed = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { entries, moves, files } = simulate(seed, 80);
      renamed += moves.length;
      for (const path of PATHS) {
        const spans = spansOf(path, moves);
        const found = entries
          .filter(e => spans.some(s => s.path === e.path && inSpan(s, 'versions', e.seq)))
          .map(e => e.seq);
        const file = files.get(path);
        const expected = entries.filter(e => e.file === file).map(e => e.seq);
        expect({ seed, path, found }).toEqual({ seed, path, found: expected });
      }
    }
    expect(renamed).toBeGreaterThan(1000);
  });

  it('moves a path captured before renames to where its file is now', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { entries, moves, files } = simulate(seed, 80);
      const where = new Map([...files].map(([p, f]) => [f, p]));
      for (const e of entries) {
        const now = where.get(e.file);
        expect({ seed, seq: e.seq, now: forwardPath(e.path, moves, e.mark) }).toEqual({
          seed,
          seq: e.seq,
          now
        });
        const since = pathsSince(e.path, moves, 'versions', e.seq);
        expect(since[0]).toBe(e.path);
        expect(since[since.length - 1]).toBe(now);
      }
    }
  });

  it('keeps a path that was never renamed as one unbounded span', () => {
    const moves: PathMove[] = [
      { from: 'a/x.ipynb', to: 'b.ipynb', audit: 1, runs: 3, versions: 5, time: '' }
    ];
    expect(spansOf('ab/x.ipynb', moves)).toEqual([{ path: 'ab/x.ipynb', after: null, upTo: null }]);
    expect(spansOf('b.ipynb', moves).map(s => s.path)).toEqual(['b.ipynb', 'a/x.ipynb']);
    expect(spansOf('a/x.ipynb', moves)).toEqual([
      { path: 'a/x.ipynb', after: moves[0], upTo: null }
    ]);
  });
});
