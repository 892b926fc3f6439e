/**
 * Layout of the lineage view, without a graph library: four columns left to right (snapshots,
 * runs, cells, results), runs stacked in notebook order (by cell, then by time), and every other
 * node placed at the mean height of the runs it is linked to, pushed down only as far as needed
 * to not overlap (a one-pass barycentre layout; it keeps most edges short and nearly level).
 *
 * Large notebooks: above `groupAbove` runs, the runs of each cell collapse into one group node
 * ("12 runs") that the view expands on click, so 200 runs read as a handful of rows instead of a
 * hairball. Edges are cubic curves from the right side of a node to the left side of the next
 * column; snapshot lineage (within the snapshot column) arcs on the left, parent runs (within the
 * run column) on the right.
 */
import type { LineageGraph, LineageNode } from '@opsbook/provenance';

/** The column of each kind, left to right. */
export const COLUMNS = [
  { kind: 'snapshot', title: 'Snapshots' },
  { kind: 'run', title: 'Runs' },
  { kind: 'cell', title: 'Cells' },
  { kind: 'result', title: 'Results' }
] as const;

/** Sizes in px: node width is the view's choice within [MIN, MAX] (see `nodeWidthFor`). */
export const NODE_WIDTH = 200;
export const MIN_NODE_WIDTH = 160;
export const MAX_NODE_WIDTH = 220;
export const NODE_HEIGHT = 40;
const ROW_GAP = 10;
const COLUMN_GAP = 64;
const LEFT = 40;
const TOP = 12;

/** The width of a drawing whose nodes are `nodeWidth` wide. */
export function layoutWidth(nodeWidth: number): number {
  return 2 * LEFT + COLUMNS.length * nodeWidth + (COLUMNS.length - 1) * COLUMN_GAP;
}

/** The node width that fills `available` px, within [MIN_NODE_WIDTH, MAX_NODE_WIDTH]. */
export function nodeWidthFor(available: number): number {
  const fit = Math.floor(
    (available - 2 * LEFT - (COLUMNS.length - 1) * COLUMN_GAP) / COLUMNS.length
  );
  return Math.min(MAX_NODE_WIDTH, Math.max(MIN_NODE_WIDTH, fit));
}

/** A node of the drawing: a graph node, or a group of runs of one cell. */
export interface PlacedNode {
  /** The graph node id, or `group:<cellId>`. */
  id: string;
  kind: LineageNode['kind'] | 'group';
  column: number;
  x: number;
  y: number;
  /** The graph node (null for a group). */
  node: LineageNode | null;
  /** For a group: its runs, oldest first. */
  runs: LineageNode[];
  /** For a group: the cell whose runs it holds. */
  cellId: string | null;
}

/** An edge of the drawing, with its SVG path. */
export interface PlacedEdge {
  from: string;
  to: string;
  kind: string;
  path: string;
}

/** The whole drawing. */
export interface LineageLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
  /** Left edge of each column. */
  columnX: number[];
  nodeWidth: number;
}

/** Options of `layoutLineage`. */
export interface LayoutOptions {
  /** Above this many runs, runs are grouped per cell (default 40). */
  groupAbove?: number;
  /** Cells whose group is expanded. */
  expanded?: ReadonlySet<string>;
  /** Node width in px (default NODE_WIDTH). */
  nodeWidth?: number;
}

const columnOf = (kind: string) => COLUMNS.findIndex(c => c.kind === kind);

/** Places the nodes and routes the edges of `graph` (see the module comment). */
export function layoutLineage(graph: LineageGraph, options: LayoutOptions = {}): LineageLayout {
  const groupAbove = options.groupAbove ?? 40;
  const expanded = options.expanded ?? new Set<string>();
  const width = options.nodeWidth ?? NODE_WIDTH;
  const xOf = (column: number) => LEFT + column * (width + COLUMN_GAP);
  const byKind = (kind: LineageNode['kind']) => graph.nodes.filter(n => n.kind === kind);
  const cells = byKind('cell');
  const cellOrder = new Map(cells.map((c, i) => [c.id, i]));
  const runCell = new Map<string, string>();
  for (const e of graph.edges) {
    if (e.kind === 'ran-in') runCell.set(e.from, e.to);
  }
  const runs = byKind('run');
  const grouping = runs.length > groupAbove;

  // Runs in notebook order; grouped per cell unless expanded.
  const orderedRuns = runs
    .map((run, i) => ({ run, i, cell: cellOrder.get(runCell.get(run.id) ?? '') ?? cells.length }))
    .sort((a, b) => a.cell - b.cell || a.i - b.i)
    .map(r => r.run);
  const shown = new Map<string, string>(); // graph node id -> drawn node id
  const placed: PlacedNode[] = [];
  const add = (p: Omit<PlacedNode, 'x' | 'y' | 'column'>) => {
    const node: PlacedNode = {
      ...p,
      column: columnOf(p.kind === 'group' ? 'run' : p.kind),
      x: 0,
      y: 0
    };
    node.x = xOf(node.column);
    placed.push(node);
    return node;
  };
  const groups = new Map<string, PlacedNode>();
  let y = TOP;
  for (const run of orderedRuns) {
    const cellNodeId = runCell.get(run.id) ?? '';
    const cellId = cellNodeId.replace(/^cell:/, '');
    if (grouping && !expanded.has(cellId)) {
      let group = groups.get(cellId);
      if (!group) {
        group = add({ id: `group:${cellId}`, kind: 'group', node: null, runs: [], cellId });
        group.y = y;
        y += NODE_HEIGHT + ROW_GAP;
        groups.set(cellId, group);
      }
      group.runs.push(run);
      shown.set(run.id, group.id);
      continue;
    }
    const node = add({ id: run.id, kind: 'run', node: run, runs: [], cellId: null });
    node.y = y;
    y += NODE_HEIGHT + ROW_GAP;
    shown.set(run.id, run.id);
  }

  // Edges between drawn nodes (a group stands for its runs).
  const centre = new Map<string, number>();
  for (const p of placed) centre.set(p.id, p.y);
  const links: { from: string; to: string; kind: string }[] = [];
  const seen = new Set<string>();
  const link = (from: string, to: string, kind: string) => {
    const key = `${from}\0${to}\0${kind}`;
    if (from !== to && !seen.has(key)) {
      seen.add(key);
      links.push({ from, to, kind });
    }
  };

  // Cells and results at the mean height of their runs; snapshots too, upstream ones after them.
  const neighbourY = (id: string, edgeKind: string, towards: 'from' | 'to') =>
    graph.edges
      .filter(e => e.kind === edgeKind && e[towards === 'from' ? 'to' : 'from'] === id)
      .map(e => centre.get(shown.get(e[towards]) ?? '') ?? NaN)
      .filter(v => !Number.isNaN(v));
  const mean = (values: number[], fallback: number) =>
    values.length ? values.reduce((a, b) => a + b, 0) / values.length : fallback;
  const stack = (nodes: LineageNode[], desired: (n: LineageNode, i: number) => number) => {
    const wanted = nodes.map((n, i) => ({ n, want: desired(n, i), i }));
    wanted.sort((a, b) => a.want - b.want || a.i - b.i);
    let next = TOP;
    for (const { n, want } of wanted) {
      const node = add({ id: n.id, kind: n.kind, node: n, runs: [], cellId: null });
      node.y = Math.max(want, next);
      next = node.y + NODE_HEIGHT + ROW_GAP;
      centre.set(n.id, node.y);
      shown.set(n.id, n.id);
    }
  };
  stack(cells, (c, i) =>
    mean(neighbourY(c.id, 'ran-in', 'from'), TOP + i * (NODE_HEIGHT + ROW_GAP))
  );
  stack(byKind('result'), (r, i) =>
    mean(neighbourY(r.id, 'generated', 'from'), TOP + i * (NODE_HEIGHT + ROW_GAP))
  );
  const snapshots = byKind('snapshot');
  const depthOf = (n: LineageNode) => (n.kind === 'snapshot' ? n.details.depth : 0);
  const want = new Map<string, number>();
  for (const s of [...snapshots].sort((a, b) => depthOf(a) - depthOf(b))) {
    if (depthOf(s) === 0) {
      want.set(s.id, mean(neighbourY(s.id, 'used', 'to'), TOP));
    } else {
      const children = graph.edges
        .filter(e => e.kind === 'derived' && e.from === s.id)
        .map(e => want.get(e.to))
        .filter((v): v is number => v !== undefined);
      want.set(s.id, mean(children, TOP) + 0.5 * depthOf(s));
    }
  }
  stack(snapshots, s => want.get(s.id) ?? TOP);

  for (const e of graph.edges) {
    const from = shown.get(e.from);
    const to = shown.get(e.to);
    if (from && to) link(from, to, e.kind);
  }
  const byId = new Map(placed.map(p => [p.id, p]));
  const edges = links.map(l => ({
    ...l,
    path: route(byId.get(l.from)!, byId.get(l.to)!, width)
  }));
  const bottom = placed.reduce((m, p) => Math.max(m, p.y + NODE_HEIGHT), TOP);
  return {
    nodes: placed,
    edges,
    width: layoutWidth(width),
    height: bottom + TOP,
    columnX: COLUMNS.map((_, i) => xOf(i)),
    nodeWidth: width
  };
}

/** The SVG path of an edge (see the module comment). */
function route(a: PlacedNode, b: PlacedNode, width: number): string {
  const ay = a.y + NODE_HEIGHT / 2;
  const by = b.y + NODE_HEIGHT / 2;
  if (a.column === b.column) {
    // Within a column: snapshots arc on the left, runs on the right.
    const left = a.column === 0;
    const x = left ? a.x : a.x + width;
    const bulge = Math.min(48, 16 + Math.abs(by - ay) / 6) * (left ? -1 : 1);
    return `M${x},${ay} C${x + bulge},${ay} ${x + bulge},${by} ${x},${by}`;
  }
  const x1 = a.x + width;
  const x2 = b.x;
  const dx = (x2 - x1) / 2;
  return `M${x1},${ay} C${x1 + dx},${ay} ${x2 - dx},${by} ${x2},${by}`;
}
