/**
 * A probe of V8's `Array.prototype.concat` fast path, run in every process of the collaboration
 * benchmark. V8 keeps concat fast while no object in the process defines
 * `Symbol.isConcatSpreadable`; once one does (apache-arrow sets it on its Vector, Table and
 * RecordBatch prototypes), every concat in the process takes the generic slow path. yjs'
 * `YEvent.changes` concatenates once per inserted item, so a 2,000-cell insert pays it 2,000
 * times. The timing also depends on the process's heap (the probe allocates a growing array), so
 * `concatFastPath` asks V8 directly. Kept free of imports so it can run in the server child before
 * anything else.
 */

/**
 * Whether V8's concat fast path is still on in this process (its "is concat spreadable"
 * protector is intact): true or false, or null in a process started without
 * `--allow-natives-syntax` (the server children have it; the benchmark process does not).
 */
export function concatFastPath() {
  try {
    return new Function('return %IsConcatSpreadableProtector()')();
  } catch {
    return null;
  }
}

/** ms for 2,000 concats of a growing array with one-element arrays (median of 3). */
export function concatProbe(n = 2000) {
  const runs = [];
  for (let r = 0; r < 3; r++) {
    let a = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      a = a.concat([{ i }]);
    }
    runs.push(performance.now() - t0);
  }
  return runs.sort((x, y) => x - y)[1];
}
