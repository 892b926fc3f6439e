/**
 * The lineage view's layout (issue #5, part 4): four columns, nodes that never overlap, edges
 * between drawn nodes only, and a notebook with 200 runs grouped per cell instead of drawn as a
 * hairball, one group expanding on demand.
 */
import { buildLineageGraph, type LineageGraph, type StampedRunRecord } from '@opsbook/provenance';
import {
  COLUMNS,
  layoutLineage,
  layoutWidth,
  MAX_NODE_WIDTH,
  MIN_NODE_WIDTH,
  NODE_HEIGHT,
  nodeWidthFor,
  type LineageLayout
} from '../src/lineage-layout';

function record(i: number, cell: string, hash: string, snapshot: string): StampedRunRecord {
  const at = new Date(Date.UTC(2026, 10, 25, 14, 0, i)).toISOString();
  return {
    format: 'opsbook.run.v1',
    runId: `run-${String(i).padStart(3, '0')}`,
    cellId: cell,
    cellVersion: 'c'.repeat(64),
    notebook: { path: 'nb.ipynb', fileId: null },
    sql: 'SELECT 1',
    parameters: {},
    template: null,
    inputs: [{ table: 'spans', snapshotId: snapshot, columns: [] }],
    engine: { name: 'duckdb-wasm', version: '1', settings: {} },
    result: { encoding: 'opsbook.result.v1', hash, rowCount: 1, schema: [] },
    parents: [],
    hypothesisId: null,
    rationale: null,
    stamp: { user: i % 2 ? 'ana' : 'eve', startedAt: at, finishedAt: at }
  };
}

function graphOf(runs: number, cells: number): LineageGraph {
  return buildLineageGraph({
    notebook: 'nb.ipynb',
    runs: Array.from({ length: runs }, (_, i) => ({
      seq: i + 1,
      record: record(
        i,
        `cell-${i % cells}`,
        (i % 7).toString(16).repeat(64),
        (i % 3).toString().repeat(64)
      )
    })),
    snapshots: [],
    cells: Array.from({ length: cells }, (_, i) => ({
      id: `cell-${i}`,
      index: i,
      firstLine: 'SELECT 1'
    }))
  });
}

function expectTidy(layout: LineageLayout): void {
  for (let column = 0; column < COLUMNS.length; column++) {
    const ys = layout.nodes
      .filter(n => n.column === column)
      .map(n => n.y)
      .sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++) {
      expect(ys[i] - ys[i - 1]).toBeGreaterThanOrEqual(NODE_HEIGHT);
    }
    expect(
      layout.nodes.filter(n => n.column === column).every(n => n.x === layout.columnX[column])
    ).toBe(true);
  }
  const ids = new Set(layout.nodes.map(n => n.id));
  expect(ids.size).toBe(layout.nodes.length);
  for (const e of layout.edges) {
    expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
    expect(e.path).toMatch(/^M[\d.-]+,[\d.-]+ C/);
  }
  expect(Math.max(...layout.nodes.map(n => n.y + NODE_HEIGHT))).toBeLessThanOrEqual(layout.height);
}

describe('layoutLineage', () => {
  it('puts snapshots, runs, cells and results in four columns, left to right, without overlap', () => {
    const layout = layoutLineage(graphOf(6, 2));
    const column = (kind: string) =>
      new Set(layout.nodes.filter(n => n.kind === kind).map(n => n.column));
    expect([...column('snapshot')]).toEqual([0]);
    expect([...column('run')]).toEqual([1]);
    expect([...column('cell')]).toEqual([2]);
    expect([...column('result')]).toEqual([3]);
    expect(layout.nodes.filter(n => n.kind === 'run')).toHaveLength(6);
    expectTidy(layout);
  });

  it('orders runs by cell, so a cell sits next to its runs', () => {
    const layout = layoutLineage(graphOf(6, 2));
    const runs = layout.nodes.filter(n => n.kind === 'run').map(n => n.id);
    expect(runs).toEqual([
      'run:run-000',
      'run:run-002',
      'run:run-004',
      'run:run-001',
      'run:run-003',
      'run:run-005'
    ]);
    const y = (id: string) => layout.nodes.find(n => n.id === id)!.y;
    expect(y('cell:cell-0')).toBeLessThan(y('cell:cell-1'));
  });

  it('groups 200 runs per cell, and expands one group on demand', () => {
    const graph = graphOf(200, 5);
    const grouped = layoutLineage(graph);
    const groups = grouped.nodes.filter(n => n.kind === 'group');
    expect(groups.map(g => g.runs.length)).toEqual([40, 40, 40, 40, 40]);
    expect(grouped.nodes.filter(n => n.kind === 'run')).toHaveLength(0);
    // At most one edge per group and snapshot (3), cell (1) or result (7); 600 without groups.
    expect(grouped.edges.length).toBeLessThanOrEqual(5 * (3 + 1 + 7));
    expect(layoutLineage(graph, { groupAbove: 1000 }).edges).toHaveLength(600);
    expectTidy(grouped);

    const expanded = layoutLineage(graph, { expanded: new Set(['cell-2']) });
    expect(expanded.nodes.filter(n => n.kind === 'group')).toHaveLength(4);
    expect(expanded.nodes.filter(n => n.kind === 'run')).toHaveLength(40);
    expectTidy(expanded);
  });

  it('sizes nodes to the room available, within bounds', () => {
    expect(nodeWidthFor(10_000)).toBe(MAX_NODE_WIDTH);
    expect(nodeWidthFor(100)).toBe(MIN_NODE_WIDTH);
    const fit = nodeWidthFor(1000);
    expect(layoutWidth(fit)).toBeLessThanOrEqual(1000);
    const layout = layoutLineage(graphOf(3, 1), { nodeWidth: fit });
    expect(layout.width).toBe(layoutWidth(fit));
    expect(Math.max(...layout.nodes.map(n => n.x + fit))).toBeLessThanOrEqual(layout.width);
  });

  it('draws nothing for an empty graph', () => {
    const layout = layoutLineage(graphOf(0, 0));
    expect(layout.nodes).toEqual([]);
    expect(layout.edges).toEqual([]);
  });
});
