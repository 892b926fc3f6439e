/**
 * The diff the conflict view shows: the notebook on disk against the notebook in the room (with
 * everyone's unsaved edits), cell by cell, each cell's source as a line diff. Cells are matched
 * by their nbformat id (by position when a notebook has no ids); outputs and metadata are left
 * out because the question a user has is "whose text is this". Pure: no DOM, runs in Node.
 */

/** One line of a cell's source: in both versions, only on disk, or only in the room. */
export interface DiffLine {
  kind: 'same' | 'disk' | 'room';
  text: string;
}

/** One cell of the diff; `removed` cells exist only on disk, `added` ones only in the room. */
export interface CellDiff {
  status: 'unchanged' | 'changed' | 'added' | 'removed';
  /** "Cell 3 (code)": the position in the room's notebook, else on disk. */
  label: string;
  lines: DiffLine[];
}

/** Above this many line pairs a cell is shown as replaced instead of diffed line by line. */
const MAX_LCS_CELLS = 4_000_000;

/** The cell diff of two notebooks' JSON (nbformat 4; anything else counts as no cells). */
export function diffNotebooks(disk: unknown, room: unknown): CellDiff[] {
  const a = Private.cellsOf(disk);
  const b = Private.cellsOf(room);
  const ops = diffSequences(
    a.map(c => c.key),
    b.map(c => c.key)
  );
  return ops.map(op => {
    if (op.kind === 'same') {
      const [d, r] = [a[op.a!], b[op.b!]];
      const lines = diffLines(d.source, r.source);
      const changed = d.cellType !== r.cellType || lines.some(l => l.kind !== 'same');
      return {
        status: changed ? 'changed' : 'unchanged',
        label: Private.label(op.b!, r.cellType),
        lines
      };
    }
    const onDisk = op.kind === 'disk';
    const cell = onDisk ? a[op.a!] : b[op.b!];
    return {
      status: onDisk ? 'removed' : 'added',
      label: Private.label(onDisk ? op.a! : op.b!, cell.cellType),
      lines: Private.splitLines(cell.source).map(text => ({ kind: op.kind, text }))
    };
  });
}

/** The line diff of two texts (disk first). */
export function diffLines(disk: string, room: string): DiffLine[] {
  const a = Private.splitLines(disk);
  const b = Private.splitLines(room);
  return diffSequences(a, b).map(op => ({
    kind: op.kind,
    text: op.kind === 'room' ? b[op.b!] : a[op.a!]
  }));
}

/** One step of a sequence diff, with the indices it refers to. */
interface DiffOp {
  kind: 'same' | 'disk' | 'room';
  a?: number;
  b?: number;
}

/**
 * A shortest-edit diff of two sequences from their longest common subsequence; removals come
 * before additions at each change. Falls back to "all removed, all added" for huge inputs.
 */
function diffSequences(a: string[], b: string[]): DiffOp[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) {
    start++;
  }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: DiffOp[] = [];
  for (let i = 0; i < start; i++) {
    ops.push({ kind: 'same', a: i, b: i });
  }
  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_LCS_CELLS) {
    for (let i = start; i < endA; i++) {
      ops.push({ kind: 'disk', a: i });
    }
    for (let j = start; j < endB; j++) {
      ops.push({ kind: 'room', b: j });
    }
  } else {
    // lengths[i][j]: LCS length of a[start+i..endA) and b[start+j..endB).
    const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lengths[i][j] =
          a[start + i] === b[start + j]
            ? lengths[i + 1][j + 1] + 1
            : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[start + i] === b[start + j]) {
        ops.push({ kind: 'same', a: start + i++, b: start + j++ });
      } else if (j >= m || (i < n && lengths[i + 1][j] >= lengths[i][j + 1])) {
        ops.push({ kind: 'disk', a: start + i++ });
      } else {
        ops.push({ kind: 'room', b: start + j++ });
      }
    }
  }
  for (let k = 0; k < a.length - endA; k++) {
    ops.push({ kind: 'same', a: endA + k, b: endB + k });
  }
  return ops;
}

namespace Private {
  /** What the diff needs of a cell. */
  export interface CellInfo {
    key: string;
    cellType: string;
    source: string;
  }

  /** The cells of notebook JSON; `key` is the cell id, or its position when it has none. */
  export function cellsOf(notebook: unknown): CellInfo[] {
    const cells = (notebook as { cells?: unknown } | null)?.cells;
    if (!Array.isArray(cells)) {
      return [];
    }
    return cells.map((cell: Record<string, unknown>, index) => ({
      key: typeof cell?.id === 'string' ? `id:${cell.id}` : `#${index}`,
      cellType: typeof cell?.cell_type === 'string' ? cell.cell_type : 'code',
      source: Array.isArray(cell?.source)
        ? cell.source.join('')
        : typeof cell?.source === 'string'
          ? cell.source
          : ''
    }));
  }

  /** "Cell 3 (code)" for index 2. */
  export function label(index: number, cellType: string): string {
    return `Cell ${index + 1} (${cellType})`;
  }

  /** The lines of a text; an empty text has no lines. */
  export function splitLines(text: string): string[] {
    return text === '' ? [] : text.split('\n');
  }
}
