/**
 * A small diff of two results of the same SQL, for a replay that diverged: the row counts, and
 * which rows one side has that the other lacks among the first `limit` rows of each (compared as
 * multisets, so a pure reordering of those rows shows no added or removed rows).
 *
 * It works on the first rows as JSON values (`ResultTable` of `@opsbook/telemetry-cell`), because
 * the recorded run's rows are only known in that form: the cell's stored table output, or the
 * rows the recorder kept in this session. The verdict itself comes from the full-result hashes.
 */
import type { ResultTable, ResultValue } from '@opsbook/telemetry-cell';

/** How many leading rows a replay diff compares by default. */
export const DIFF_ROWS = 100;

/** What differs between a recorded and a replayed result. */
export interface ResultDiff {
  /** Column names of the replayed result. */
  columns: string[];
  /** Rows in the full results (from the record and the replay). */
  recordedRows: number;
  replayedRows: number;
  /** Leading rows compared (0 when the recorded rows are not available). */
  compared: number;
  /** Rows the replay has and the recording does not, among the compared ones. */
  added: ResultValue[][];
  /** Rows the recording has and the replay does not, among the compared ones. */
  removed: ResultValue[][];
  /** False when the recorded rows were not at hand: only the counts are compared. */
  rowsAvailable: boolean;
}

/** Diffs the first `limit` rows of `recorded` and `replayed` (see the module comment). */
export function diffResults(
  recorded: ResultTable | null,
  recordedRows: number,
  replayed: ResultTable,
  limit = DIFF_ROWS
): ResultDiff {
  const columns = replayed.columns.map(c => c.name);
  if (!recorded) {
    return {
      columns,
      recordedRows,
      replayedRows: replayed.totalRows,
      compared: 0,
      added: [],
      removed: [],
      rowsAvailable: false
    };
  }
  const left = recorded.rows.slice(0, limit);
  const right = replayed.rows.slice(0, limit);
  const sameColumns =
    recorded.columns.length === replayed.columns.length &&
    recorded.columns.every((c, i) => c.name === replayed.columns[i].name);
  const key = (row: ResultValue[]) => JSON.stringify(row);
  const counts = new Map<string, number>();
  for (const row of left) {
    counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  }
  const added: ResultValue[][] = [];
  for (const row of right) {
    const k = key(row);
    const n = sameColumns ? (counts.get(k) ?? 0) : 0;
    if (n > 0) {
      counts.set(k, n - 1);
    } else {
      added.push(row);
    }
  }
  const removed = sameColumns ? left.filter(row => takeOne(counts, key(row))) : left;
  return {
    columns,
    recordedRows,
    replayedRows: replayed.totalRows,
    compared: Math.max(left.length, right.length),
    added,
    removed,
    rowsAvailable: true
  };
}

/** True (and one fewer left) when `k` still has an unmatched occurrence. */
function takeOne(counts: Map<string, number>, k: string): boolean {
  const n = counts.get(k) ?? 0;
  if (n === 0) {
    return false;
  }
  counts.set(k, n - 1);
  return true;
}
