/**
 * A small diff of two results of the same SQL, for a replay that diverged: the row counts, and
 * which rows one side has that the other lacks among the first `limit` rows of each (compared as
 * multisets, so a pure reordering of those rows shows no added or removed rows).
 *
 * It works on the first rows as JSON values (`ResultTable` of `@opsbook/telemetry-cell`), because
 * the recorded run's rows are only known in that form: the cell's stored table output, or the
 * rows the recorder kept in this session. The verdict itself comes from the full-result hashes.
 * The row matching is `diffResultTables` of @opsbook/provenance (also used by the Cell History
 * panel), without a key.
 */
import { diffResultTables } from '@opsbook/provenance';
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
    recorded.columns.every(
      (c, i) => c.name === replayed.columns[i].name && c.type === replayed.columns[i].type
    );
  // Another schema: no row can match. Same schema: rows compared whole, as multisets (no key:
  // a replay diff shows rows, not changed values), by the shared result differ.
  const diff = sameColumns
    ? diffResultTables(
        { columns: recorded.columns, rows: left },
        { columns: replayed.columns, rows: right },
        { key: [] }
      )
    : { added: right, removed: left };
  return {
    columns,
    recordedRows,
    replayedRows: replayed.totalRows,
    compared: Math.max(left.length, right.length),
    added: diff.added as ResultValue[][],
    removed: diff.removed as ResultValue[][],
    rowsAvailable: true
  };
}
