/**
 * Per-cell history (browser-safe, apache-arrow-free so the server's main thread can load it):
 * the record of one version of a cell, and the diffs the Cell History panel shows between two
 * versions or two runs.
 *
 * A version (`opsbook.cell-version.v1`) is what a cell held at one moment the server chose to
 * record it: on a run, on a save, on an explicit checkpoint, and on a restore. Its `version` is
 * the cell version hash of run records (`cellVersion` in record-format.ts, the one definition):
 * SHA-256 of the canonical JSON of { encoding: "opsbook.cell.v1", source, opsbook: <the
 * HISTORY_VERSION_KEYS subset of metadata.opsbook> }. Keystrokes are not versions: the server
 * records a version only when a cell's hash differs from its last recorded one.
 *
 * Diffs:
 * - `diffSource`: a line diff (longest common subsequence after trimming the common prefix and
 *   suffix) grouped into hunks with context lines, like `diff -u`.
 * - `diffParameters`: added, removed and changed keys of two JSON objects.
 * - `diffResultTables`: schema changes (columns added, removed, retyped), then rows added,
 *   removed and changed. Rows are compared on the columns both results have with the same type.
 *   Identical rows pair up first (as multisets, so order and exact duplicates do not count).
 *   The remaining rows pair up by key: rows with equal key values are "changed" (the other
 *   columns differ), paired in order of appearance when a key repeats; unpaired rows are added or
 *   removed. The key is `options.key` when given, else every shared non-numeric column (text,
 *   time, boolean: the dimensions of an aggregate), else none (then rows are only added or
 *   removed).
 */
import { canonicalJson, type JsonValue } from './canonical-json';
import { CELL_VERSION_KEYS, cellVersion, versionMetadata } from './record-format';

export { versionMetadata };

/** The format tag of cell version records. */
export const CELL_VERSION_FORMAT = 'opsbook.cell-version.v1';

/**
 * Keys of `metadata.opsbook` a version keeps: the result-affecting ones, exactly
 * `CELL_VERSION_KEYS` of run-record.ts (a test checks they stay equal).
 */
export const HISTORY_VERSION_KEYS = CELL_VERSION_KEYS;

/** Why a version was recorded. */
export type CellVersionKind = 'run' | 'save' | 'checkpoint' | 'restore';

/** Every kind, for validation and filters. */
export const CELL_VERSION_KINDS: readonly CellVersionKind[] = [
  'run',
  'save',
  'checkpoint',
  'restore'
];

/** One recorded version of a cell (see the module comment). */
export interface CellVersionRecord {
  /** Always `CELL_VERSION_FORMAT`. */
  format: string;
  notebook: { path: string; fileId: string | null };
  /** The nbformat cell id. */
  cellId: string;
  /** The cell version hash (`cellVersionOf`). */
  version: string;
  source: string;
  /** The result-affecting keys of `metadata.opsbook` (`HISTORY_VERSION_KEYS`), as they were. */
  opsbook: { [key: string]: JsonValue };
  kind: CellVersionKind;
  /** Who edited the cell since the previous version (stamped by the server), sorted. */
  authors: string[];
  /** ISO-8601 UTC, stamped by the server. */
  time: string;
  /** The run that made this version, for kind 'run'. */
  runId?: string;
  /** The seq of the version restored, for kind 'restore'. */
  restoredFrom?: number;
}

/** A version with its place in the history chain. */
export interface LoggedCellVersion {
  seq: number;
  /** The chain entry's hash (not the cell version hash). */
  hash: string;
  record: CellVersionRecord;
}

/**
 * The cell version hash of a source and its result-affecting metadata (`cellVersion` of
 * record-format.ts, the one definition).
 */
export function cellVersionOf(source: string | string[], opsbook: Record<string, unknown>): string {
  return cellVersion({ source, metadata: { opsbook } });
}

// ---------------------------------------------------------------------------------------------
// Source diff

/** One line of a source diff. */
export interface DiffLine {
  kind: 'equal' | 'add' | 'remove';
  text: string;
  /** 1-based line in the old text (equal, remove). */
  oldLine?: number;
  /** 1-based line in the new text (equal, add). */
  newLine?: number;
}

/** A run of changes with context, as `diff -u` prints it. */
export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

/** What `diffSource` returns. */
export interface SourceDiff {
  /** True when the two texts are equal. */
  same: boolean;
  added: number;
  removed: number;
  /** Every line, in order. */
  lines: DiffLine[];
  hunks: DiffHunk[];
}

/** Above this many LCS table cells the changed middle is shown as removed then added. */
const MAX_LCS_CELLS = 4_000_000;

/** A line diff of two sources (see the module comment); `context` lines around each change. */
export function diffSource(a: string, b: string, context = 3): SourceDiff {
  const x = splitLines(a);
  const y = splitLines(b);
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  const lines: DiffLine[] = [];
  for (let i = 0; i < start; i++) {
    lines.push({ kind: 'equal', text: x[i], oldLine: i + 1, newLine: i + 1 });
  }
  lines.push(...middleDiff(x, y, start, endX, endY));
  for (let i = endX, j = endY; i < x.length; i++, j++) {
    lines.push({ kind: 'equal', text: x[i], oldLine: i + 1, newLine: j + 1 });
  }
  const added = lines.filter(l => l.kind === 'add').length;
  const removed = lines.filter(l => l.kind === 'remove').length;
  return { same: a === b, added, removed, lines, hunks: hunksOf(lines, context) };
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

function middleDiff(x: string[], y: string[], start: number, endX: number, endY: number) {
  const n = endX - start;
  const m = endY - start;
  const out: DiffLine[] = [];
  if (n * m > MAX_LCS_CELLS) {
    for (let i = start; i < endX; i++) out.push({ kind: 'remove', text: x[i], oldLine: i + 1 });
    for (let j = start; j < endY; j++) out.push({ kind: 'add', text: y[j], newLine: j + 1 });
    return out;
  }
  // lcs[i][j]: LCS length of x[start+i..endX) and y[start+j..endY), one flat array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] =
        x[start + i] === y[start + j]
          ? lcs[(i + 1) * w + j + 1] + 1
          : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[start + i] === y[start + j]) {
      out.push({
        kind: 'equal',
        text: x[start + i],
        oldLine: start + i + 1,
        newLine: start + j + 1
      });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j])) {
      out.push({ kind: 'add', text: y[start + j], newLine: start + j + 1 });
      j++;
    } else {
      out.push({ kind: 'remove', text: x[start + i], oldLine: start + i + 1 });
      i++;
    }
  }
  // Removals before additions within a run of changes reads best: reorder each change run.
  return groupChanges(out);
}

function groupChanges(lines: DiffLine[]): DiffLine[] {
  const out: DiffLine[] = [];
  let removes: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    out.push(...removes, ...adds);
    removes = [];
    adds = [];
  };
  for (const line of lines) {
    if (line.kind === 'equal') {
      flush();
      out.push(line);
    } else {
      (line.kind === 'add' ? adds : removes).push(line);
    }
  }
  flush();
  return out;
}

function hunksOf(lines: DiffLine[], context: number): DiffHunk[] {
  const changed = lines.map((l, i) => (l.kind === 'equal' ? -1 : i)).filter(i => i >= 0);
  const hunks: DiffHunk[] = [];
  let k = 0;
  while (k < changed.length) {
    const from = Math.max(0, changed[k] - context);
    let to = Math.min(lines.length - 1, changed[k] + context);
    while (k + 1 < changed.length && changed[k + 1] - context <= to + 1) {
      k++;
      to = Math.min(lines.length - 1, changed[k] + context);
    }
    k++;
    const slice = lines.slice(from, to + 1);
    const firstOld = lines.slice(from).find(l => l.oldLine !== undefined)?.oldLine;
    const firstNew = lines.slice(from).find(l => l.newLine !== undefined)?.newLine;
    const oldLines = slice.filter(l => l.kind !== 'add').length;
    const newLines = slice.filter(l => l.kind !== 'remove').length;
    hunks.push({
      oldStart: oldLines === 0 ? Math.max(0, (firstOld ?? 1) - 1) : (firstOld ?? 0),
      oldLines,
      newStart: newLines === 0 ? Math.max(0, (firstNew ?? 1) - 1) : (firstNew ?? 0),
      newLines,
      lines: slice
    });
  }
  return hunks;
}

// ---------------------------------------------------------------------------------------------
// Parameter diff

/** What `diffParameters` returns. */
export interface ParameterDiff {
  same: boolean;
  added: { key: string; value: JsonValue }[];
  removed: { key: string; value: JsonValue }[];
  changed: { key: string; from: JsonValue; to: JsonValue }[];
}

/**
 * Keys added, removed and changed between two JSON objects (values compared as canonical JSON,
 * so key order inside values does not count). Keys come out sorted.
 */
export function diffParameters(
  a: { [key: string]: JsonValue } | null | undefined,
  b: { [key: string]: JsonValue } | null | undefined
): ParameterDiff {
  const left = a ?? {};
  const right = b ?? {};
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  const diff: ParameterDiff = { same: true, added: [], removed: [], changed: [] };
  for (const key of keys) {
    const inA = Object.prototype.hasOwnProperty.call(left, key) && left[key] !== undefined;
    const inB = Object.prototype.hasOwnProperty.call(right, key) && right[key] !== undefined;
    if (inA && !inB) {
      diff.removed.push({ key, value: left[key] });
    } else if (!inA && inB) {
      diff.added.push({ key, value: right[key] });
    } else if (inA && inB && canonicalJson(left[key]) !== canonicalJson(right[key])) {
      diff.changed.push({ key, from: left[key], to: right[key] });
    }
  }
  diff.same = !diff.added.length && !diff.removed.length && !diff.changed.length;
  return diff;
}

// ---------------------------------------------------------------------------------------------
// Result diff

/** A result cell value as JSON (what the table output and `toResultTable` give). */
export type DiffValue = string | number | boolean | null;

/** A column of a result to diff: its name, printed type and, optionally, its kind. */
export interface DiffColumn {
  name: string;
  type: string;
  /** `quantitative` marks a numeric column (as telemetry-cell's `ResultColumn.kind` does). */
  kind?: string;
}

/** A result to diff: its columns and rows (each row's values in column order). */
export interface DiffTable {
  columns: DiffColumn[];
  rows: DiffValue[][];
}

/** A row present on both sides under the same key, with other values that differ. */
export interface ChangedRow {
  /** The key values, in `ResultTableDiff.key` order. */
  key: DiffValue[];
  /** The row before and after, over `ResultTableDiff.columns`. */
  before: DiffValue[];
  after: DiffValue[];
  /** Names of the columns whose values differ. */
  changedColumns: string[];
}

/** What `diffResultTables` returns (see the module comment). */
export interface ResultTableDiff {
  schema: {
    added: DiffColumn[];
    removed: DiffColumn[];
    retyped: { name: string; from: string; to: string }[];
  };
  /** The columns rows were compared on: both sides have them, with the same type (a's order). */
  columns: string[];
  /** The key columns used to pair changed rows (empty: rows were only added or removed). */
  key: string[];
  rowsA: number;
  rowsB: number;
  /** Rows equal on both sides (over `columns`). */
  unchanged: number;
  /** Rows over `columns`. */
  added: DiffValue[][];
  removed: DiffValue[][];
  changed: ChangedRow[];
  /** True when nothing differs: same schema and the same multiset of rows. */
  same: boolean;
}

const NUMERIC_TYPE = /^(u?int|float|double|decimal|numeric|real|bigint|smallint|tinyint|hugeint)/i;

/** Whether a column holds numbers (its kind, else its printed type). */
export function isNumericColumn(column: DiffColumn): boolean {
  if (column.kind !== undefined) {
    return column.kind === 'quantitative';
  }
  return NUMERIC_TYPE.test(column.type);
}

/** Diffs two results (see the module comment for the rules). */
export function diffResultTables(
  a: DiffTable,
  b: DiffTable,
  options: { key?: string[] } = {}
): ResultTableDiff {
  const byNameB = new Map(b.columns.map((c, i) => [c.name, { column: c, index: i }]));
  const byNameA = new Map(a.columns.map((c, i) => [c.name, { column: c, index: i }]));
  const schema: ResultTableDiff['schema'] = {
    added: b.columns.filter(c => !byNameA.has(c.name)),
    removed: a.columns.filter(c => !byNameB.has(c.name)),
    retyped: []
  };
  const shared: { name: string; ia: number; ib: number; column: DiffColumn }[] = [];
  a.columns.forEach((column, ia) => {
    const other = byNameB.get(column.name);
    if (!other) return;
    if (other.column.type !== column.type) {
      schema.retyped.push({ name: column.name, from: column.type, to: other.column.type });
    } else {
      shared.push({ name: column.name, ia, ib: other.index, column });
    }
  });
  const columns = shared.map(s => s.name);
  let key: string[];
  if (options.key) {
    const unknown = options.key.filter(k => !columns.includes(k));
    if (unknown.length) {
      throw new RangeError(
        `diffResultTables: key column(s) ${unknown.join(', ')} are not in both results with the same type.`
      );
    }
    key = [...options.key];
  } else {
    key = shared.filter(s => !isNumericColumn(s.column)).map(s => s.name);
    // A key covering every compared column cannot tell a change from an add plus a remove.
    if (key.length === columns.length) key = [];
  }
  const keyIndex = key.map(k => columns.indexOf(k));
  const project = (row: DiffValue[], side: 'ia' | 'ib') => shared.map(s => row[s[side]] ?? null);
  const left = a.rows.map(r => project(r, 'ia'));
  const right = b.rows.map(r => project(r, 'ib'));
  const text = (row: DiffValue[]) => JSON.stringify(row);

  // 1. Identical rows pair up (multiset).
  const pool = new Map<string, number>();
  for (const row of left) pool.set(text(row), (pool.get(text(row)) ?? 0) + 1);
  const onlyB: DiffValue[][] = [];
  let unchanged = 0;
  for (const row of right) {
    const n = pool.get(text(row)) ?? 0;
    if (n > 0) {
      pool.set(text(row), n - 1);
      unchanged++;
    } else {
      onlyB.push(row);
    }
  }
  const onlyA = left.filter(row => {
    const n = pool.get(text(row)) ?? 0;
    if (n === 0) return false;
    pool.set(text(row), n - 1);
    return true;
  });

  // 2. The rest pair up by key, in order of appearance.
  const changed: ChangedRow[] = [];
  let added = onlyB;
  let removed = onlyA;
  if (key.length > 0) {
    const keyOf = (row: DiffValue[]) => JSON.stringify(keyIndex.map(i => row[i]));
    const waiting = new Map<string, DiffValue[][]>();
    for (const row of onlyA) {
      const k = keyOf(row);
      const list = waiting.get(k) ?? [];
      list.push(row);
      waiting.set(k, list);
    }
    added = [];
    for (const row of onlyB) {
      const before = waiting.get(keyOf(row))?.shift();
      if (before) {
        changed.push({
          key: keyIndex.map(i => row[i]),
          before,
          after: row,
          changedColumns: columns.filter((_, i) => text([before[i]]) !== text([row[i]]))
        });
      } else {
        added.push(row);
      }
    }
    const paired = new Set(changed.map(c => c.before));
    removed = onlyA.filter(row => !paired.has(row));
  }
  const same =
    !schema.added.length &&
    !schema.removed.length &&
    !schema.retyped.length &&
    !added.length &&
    !removed.length &&
    !changed.length;
  return {
    schema,
    columns,
    key,
    rowsA: a.rows.length,
    rowsB: b.rows.length,
    unchanged,
    added,
    removed,
    changed,
    same
  };
}
