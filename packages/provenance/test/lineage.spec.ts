/**
 * The lineage graph of a notebook and its W3C PROV-JSON form (issue #5, part 4): built from run
 * records and catalog snapshot infos, checked for its nodes and edges, shared results, parent
 * runs, unknown snapshots, bounds, and PROV-JSON's referential integrity.
 */
import {
  buildLineageGraph,
  lineageToProv,
  PROV_RELATIONS,
  provName,
  type LineageGraph,
  type LineageSnapshotInfo,
  type ProvDocument,
  type StampedRunRecord
} from '../src';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const SNAP_SPANS = '1'.repeat(64);
const SNAP_SPANS_OLD = '2'.repeat(64);
const SNAP_SPANS_OLDEST = '3'.repeat(64);
const SNAP_LOGS = '4'.repeat(64);

function run(
  runId: string,
  options: {
    cell?: string;
    version?: string;
    inputs?: { table: string; snapshotId: string | null }[];
    hash?: string;
    rows?: number;
    parents?: string[];
    user?: string;
    at?: string;
  } = {}
): StampedRunRecord {
  const at = options.at ?? '2026-11-25T14:00:00.000Z';
  return {
    format: 'opsbook.run.v1',
    runId,
    cellId: options.cell ?? 'cell-a',
    cellVersion: options.version ?? 'c'.repeat(64),
    notebook: { path: 'incident.ipynb', fileId: null },
    sql: `SELECT service, count(*) AS n FROM spans GROUP BY 1 -- ${runId}`,
    parameters: {},
    template: null,
    inputs: (options.inputs ?? [{ table: 'spans', snapshotId: SNAP_SPANS }]).map(i => ({
      ...i,
      columns: ['service']
    })),
    engine: { name: 'duckdb-wasm', version: '1.32.0', settings: {} },
    result: {
      encoding: 'opsbook.result.v1',
      hash: options.hash ?? HASH_A,
      rowCount: options.rows ?? 3,
      schema: [
        { name: 'service', type: 'utf8', nullable: true },
        { name: 'n', type: 'int64', nullable: false }
      ]
    },
    parents: options.parents ?? [],
    hypothesisId: null,
    rationale: null,
    stamp: {
      user: options.user ?? 'ana',
      startedAt: new Date(Date.parse(at) - 1500).toISOString(),
      finishedAt: at
    }
  };
}

function snapshot(id: string, table: string, parents: string[] = []): LineageSnapshotInfo {
  return {
    id,
    dataset: 'default',
    table,
    rows: 100,
    source: `${table}.json`,
    parents,
    by: 'ingester',
    at: '2026-11-25T12:00:00.000Z'
  };
}

const SNAPSHOTS = [
  snapshot(SNAP_SPANS, 'spans', [SNAP_SPANS_OLD]),
  snapshot(SNAP_SPANS_OLD, 'spans', [SNAP_SPANS_OLDEST]),
  snapshot(SNAP_SPANS_OLDEST, 'spans'),
  snapshot(SNAP_LOGS, 'logs')
];

const ids = (g: LineageGraph, kind: string) => g.nodes.filter(n => n.kind === kind).map(n => n.id);
const edges = (g: LineageGraph, kind: string) =>
  g.edges.filter(e => e.kind === kind).map(e => `${e.from} -> ${e.to}`);

describe('buildLineageGraph', () => {
  const graph = buildLineageGraph({
    notebook: 'incident.ipynb',
    runs: [
      {
        seq: 3,
        record: run('r3', {
          cell: 'cell-b',
          hash: HASH_B,
          parents: ['r1'],
          at: '2026-11-25T14:03:00.000Z',
          inputs: [{ table: 'logs', snapshotId: SNAP_LOGS }]
        })
      },
      { seq: 1, record: run('r1') },
      { seq: 2, record: run('r2', { user: 'eve', at: '2026-11-25T14:02:00.000Z' }) }
    ],
    snapshots: SNAPSHOTS,
    cells: [
      { id: 'cell-b', index: 4, firstLine: 'SELECT level FROM logs' },
      { id: 'cell-a', index: 1, firstLine: 'SELECT service FROM spans' }
    ]
  });

  it('has a node per snapshot read, run, cell and distinct result, in column order', () => {
    expect(graph.format).toBe('opsbook.lineage.v1');
    expect(ids(graph, 'run')).toEqual(['run:r1', 'run:r2', 'run:r3']);
    expect(ids(graph, 'cell')).toEqual(['cell:cell-a', 'cell:cell-b']);
    expect(ids(graph, 'result')).toEqual([`result:${HASH_A}`, `result:${HASH_B}`]);
    expect(ids(graph, 'snapshot')).toEqual(
      expect.arrayContaining([`snapshot:${SNAP_SPANS}`, `snapshot:${SNAP_LOGS}`])
    );
    const kinds = graph.nodes.map(n => n.kind);
    expect(kinds.lastIndexOf('snapshot')).toBeLessThan(kinds.indexOf('run'));
    expect(kinds.lastIndexOf('run')).toBeLessThan(kinds.indexOf('cell'));
    expect(kinds.lastIndexOf('cell')).toBeLessThan(kinds.indexOf('result'));
  });

  it('links snapshots to runs, runs to cells and results, and parent runs to runs', () => {
    expect(edges(graph, 'used')).toEqual([
      `snapshot:${SNAP_SPANS} -> run:r1`,
      `snapshot:${SNAP_SPANS} -> run:r2`,
      `snapshot:${SNAP_LOGS} -> run:r3`
    ]);
    expect(edges(graph, 'ran-in')).toEqual([
      'run:r1 -> cell:cell-a',
      'run:r2 -> cell:cell-a',
      'run:r3 -> cell:cell-b'
    ]);
    expect(edges(graph, 'generated')).toEqual([
      `run:r1 -> result:${HASH_A}`,
      `run:r2 -> result:${HASH_A}`,
      `run:r3 -> result:${HASH_B}`
    ]);
    expect(edges(graph, 'informed')).toEqual(['run:r1 -> run:r3']);
  });

  it('shares one result node between runs with the same result hash', () => {
    const shared = graph.nodes.find(n => n.id === `result:${HASH_A}`)!;
    expect(shared.kind === 'result' && shared.details.runs).toEqual(['r1', 'r2']);
    expect(shared.label).toBe('aaaaaaaa · 3 rows');
  });

  it('labels nodes shortly and keeps the full facts in details', () => {
    const byId = new Map(graph.nodes.map(n => [n.id, n]));
    expect(byId.get(`snapshot:${SNAP_SPANS}`)!.label).toBe('spans@11111111');
    expect(byId.get('cell:cell-a')!.label).toBe('[2] SELECT service FROM spans');
    expect(byId.get('run:r2')!.label).toBe('eve · 2026-11-25 14:02:00Z');
    const r3 = byId.get('run:r3')!;
    expect(r3.kind === 'run' && r3.details).toMatchObject({
      runId: 'r3',
      seq: 3,
      user: 'ana',
      finishedAt: '2026-11-25T14:03:00.000Z',
      parents: ['r1'],
      externalParents: [],
      rows: 3
    });
    expect(r3.kind === 'run' && r3.details.sql).toContain('FROM spans');
  });

  it('walks the catalog lineage upstream, bounded in depth', () => {
    expect(edges(graph, 'derived')).toEqual([
      `snapshot:${SNAP_SPANS_OLD} -> snapshot:${SNAP_SPANS}`,
      `snapshot:${SNAP_SPANS_OLDEST} -> snapshot:${SNAP_SPANS_OLD}`
    ]);
    const shallow = buildLineageGraph({
      notebook: 'incident.ipynb',
      runs: [{ seq: 1, record: run('r1') }],
      snapshots: SNAPSHOTS,
      maxUpstreamDepth: 1
    });
    expect(ids(shallow, 'snapshot')).toEqual([
      `snapshot:${SNAP_SPANS}`,
      `snapshot:${SNAP_SPANS_OLD}`
    ]);
    expect(edges(shallow, 'derived')).toEqual([
      `snapshot:${SNAP_SPANS_OLD} -> snapshot:${SNAP_SPANS}`
    ]);
    const capped = buildLineageGraph({
      notebook: 'incident.ipynb',
      runs: [{ seq: 1, record: run('r1') }],
      snapshots: SNAPSHOTS,
      maxSnapshots: 1
    });
    expect(ids(capped, 'snapshot')).toEqual([`snapshot:${SNAP_SPANS}`]);
    expect(capped.truncated.snapshots).toBe(1);
    expect(capped.edges.every(e => capped.nodes.some(n => n.id === e.from))).toBe(true);
  });

  it('keeps snapshots the catalog no longer knows, and inputs without a snapshot id', () => {
    const g = buildLineageGraph({
      notebook: 'incident.ipynb',
      runs: [
        {
          record: run('r1', {
            inputs: [
              { table: 'spans', snapshotId: 'f'.repeat(64) },
              { table: 'local_csv', snapshotId: null }
            ],
            parents: ['elsewhere']
          })
        }
      ],
      snapshots: [],
      cells: null
    });
    const gone = g.nodes.find(n => n.id === `snapshot:${'f'.repeat(64)}`)!;
    expect(gone.kind === 'snapshot' && gone.details).toMatchObject({
      known: false,
      table: 'spans',
      rows: null
    });
    expect(g.nodes.find(n => n.id === 'table:local_csv')!.label).toBe('local_csv@?');
    const cell = g.nodes.find(n => n.kind === 'cell')!;
    expect(cell.label).toBe('cell cell-a');
    expect(cell.kind === 'cell' && cell.details.exists).toBeNull();
    const r1 = g.nodes.find(n => n.id === 'run:r1')!;
    expect(r1.kind === 'run' && r1.details.externalParents).toEqual(['elsewhere']);
    expect(g.edges.filter(e => e.kind === 'informed')).toEqual([]);
  });

  it('marks a cell that is no longer in the notebook, and lists every version that ran', () => {
    const g = buildLineageGraph({
      notebook: 'incident.ipynb',
      runs: [
        { seq: 1, record: run('r1', { version: '1'.repeat(64) }) },
        { seq: 2, record: run('r2', { version: '2'.repeat(64) }) },
        { seq: 3, record: run('r3', { cell: 'gone' }) }
      ],
      snapshots: SNAPSHOTS,
      cells: [{ id: 'cell-a', index: 0, firstLine: '' }]
    });
    const byId = new Map(g.nodes.map(n => [n.id, n]));
    const a = byId.get('cell:cell-a')!;
    expect(a.label).toBe('[1] (empty)');
    expect(a.kind === 'cell' && a.details).toMatchObject({
      exists: true,
      runs: 2,
      versions: ['1'.repeat(64), '2'.repeat(64)]
    });
    const gone = byId.get('cell:gone')!;
    expect(gone.kind === 'cell' && gone.details.exists).toBe(false);
  });

  it("draws an earlier run's named result as a parent link, not as a snapshot", () => {
    const child = run('r2', { parents: ['r1'] });
    child.inputs = [
      ...child.inputs,
      {
        table: 'slow_ops',
        kind: 'result',
        run: 'r1',
        snapshotId: null,
        columns: ['n']
      } as StampedRunRecord['inputs'][number]
    ];
    const g = buildLineageGraph({
      notebook: 'incident.ipynb',
      runs: [
        { seq: 1, record: run('r1') },
        { seq: 2, record: child }
      ],
      snapshots: SNAPSHOTS
    });
    expect(g.nodes.some(n => n.id.includes('slow_ops'))).toBe(false);
    expect(edges(g, 'informed')).toEqual(['run:r1 -> run:r2']);
    const r2 = g.nodes.find(n => n.id === 'run:r2')!;
    expect(r2.kind === 'run' && r2.details.inputs[1]).toEqual({
      table: 'slow_ops',
      snapshotId: null,
      columns: ['n'],
      resultOf: 'r1'
    });
    const prov = lineageToProv(g, { keyId: 'k' });
    expect(Object.values(prov.used)).toContainEqual({
      'prov:activity': 'run:r2',
      'prov:entity': `result:${HASH_A}.r1`,
      'prov:role': { $: 'opsbook:resultTable', type: 'prov:QUALIFIED_NAME' }
    });
    expect(prov.entity[`result:${HASH_A}.r1`]).toBeDefined();
  });

  it('is an empty graph for a notebook without runs', () => {
    const g = buildLineageGraph({ notebook: 'new.ipynb', runs: [], snapshots: SNAPSHOTS });
    expect(g.nodes).toEqual([]);
    expect(g.edges).toEqual([]);
  });

  it('draws a run logged twice once', () => {
    const g = buildLineageGraph({
      notebook: 'incident.ipynb',
      runs: [
        { seq: 1, record: run('r1') },
        { seq: 1, record: run('r1') }
      ],
      snapshots: SNAPSHOTS
    });
    expect(ids(g, 'run')).toEqual(['run:r1']);
    expect(g.edges.filter(e => e.kind === 'used')).toHaveLength(1);
  });
});

describe('lineageToProv', () => {
  const graph = buildLineageGraph({
    notebook: 'incidents/checkout.ipynb',
    runs: [
      { seq: 1, record: run('r1', { user: 'ana lee' }) },
      { seq: 2, record: run('r2', { parents: ['r1'], user: 'eve' }) },
      {
        seq: 3,
        record: run('r3', {
          cell: 'cell/b',
          hash: HASH_B,
          inputs: [{ table: 'x', snapshotId: null }]
        })
      }
    ],
    snapshots: SNAPSHOTS,
    cells: [{ id: 'cell-a', index: 0, firstLine: 'SELECT 1' }]
  });
  const doc: ProvDocument = lineageToProv(graph, { keyId: 'k3y', version: '0.1.0' });
  const declared = new Set([
    ...Object.keys(doc.entity),
    ...Object.keys(doc.activity),
    ...Object.keys(doc.agent)
  ]);
  const QNAME = /^([A-Za-z_][A-Za-z0-9_.-]*):([A-Za-z0-9._-]|%[0-9A-F]{2})+$/;

  it('declares every id with a prefix of its own prefix section', () => {
    expect(Object.keys(doc.prefix)).toEqual(
      expect.arrayContaining(['opsbook', 'snapshot', 'run', 'user', 'result', 'cell', 'server'])
    );
    for (const id of declared) {
      const m = QNAME.exec(id);
      expect(m && Object.prototype.hasOwnProperty.call(doc.prefix, m[1])).toBe(true);
    }
  });

  it('references only declared entities, activities and agents in every relation', () => {
    const roles = [
      'prov:entity',
      'prov:activity',
      'prov:agent',
      'prov:plan',
      'prov:generatedEntity',
      'prov:usedEntity',
      'prov:informed',
      'prov:informant',
      'prov:specificEntity',
      'prov:generalEntity'
    ];
    let checked = 0;
    for (const section of PROV_RELATIONS) {
      for (const [id, relation] of Object.entries(doc[section])) {
        expect(id).toMatch(/^_:/);
        for (const role of roles) {
          if (role in relation) {
            expect(declared.has(relation[role] as string)).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('maps runs to activities with their server-stamped times, and users to persons', () => {
    const r1 = doc.activity[provName('run', 'r1')];
    expect(r1['prov:startTime']).toBe('2026-11-25T13:59:58.500Z');
    expect(r1['prov:endTime']).toBe('2026-11-25T14:00:00.000Z');
    for (const a of Object.values(doc.activity)) {
      for (const key of ['prov:startTime', 'prov:endTime']) {
        const t = a[key] as string;
        expect(new Date(t).toISOString()).toBe(t);
      }
    }
    expect(doc.agent['user:ana%20lee']).toEqual({
      'prov:type': { $: 'prov:Person', type: 'prov:QUALIFIED_NAME' },
      'prov:label': 'ana lee'
    });
    expect(doc.agent['server:k3y']['prov:type']).toEqual({
      $: 'prov:SoftwareAgent',
      type: 'prov:QUALIFIED_NAME'
    });
    const associated = Object.values(doc.wasAssociatedWith).filter(
      r => r['prov:activity'] === 'run:r1'
    );
    expect(associated.map(r => r['prov:agent']).sort()).toEqual(['server:k3y', 'user:ana%20lee']);
  });

  it('generates one result entity per run, each a specialization of the shared content', () => {
    const generated = Object.values(doc.wasGeneratedBy);
    expect(generated).toHaveLength(3);
    expect(new Set(generated.map(g => g['prov:entity'])).size).toBe(3);
    const shared = provName('result', HASH_A);
    const specific = Object.values(doc.specializationOf)
      .filter(s => s['prov:generalEntity'] === shared)
      .map(s => s['prov:specificEntity']);
    expect(specific.sort()).toEqual([
      provName('result', `${HASH_A}.r1`),
      provName('result', `${HASH_A}.r2`)
    ]);
  });

  it('writes used, derivations, attributions and parent runs', () => {
    const used = Object.values(doc.used).map(u => `${u['prov:activity']} ${u['prov:entity']}`);
    expect(used).toContain(`run:r1 snapshot:${SNAP_SPANS}`);
    expect(used).toContain('run:r3 snapshot:table.x');
    expect(used).toContain(`run:r1 cell:cell-a.${'c'.repeat(64)}`);
    expect(Object.values(doc.wasInformedBy)).toEqual([
      { 'prov:informed': 'run:r2', 'prov:informant': 'run:r1' }
    ]);
    const derived = Object.values(doc.wasDerivedFrom).map(
      d => `${d['prov:generatedEntity']} <- ${d['prov:usedEntity']}`
    );
    expect(derived).toContain(`snapshot:${SNAP_SPANS} <- snapshot:${SNAP_SPANS_OLD}`);
    expect(derived).toContain(`result:${HASH_A}.r1 <- snapshot:${SNAP_SPANS}`);
    const attributed = Object.values(doc.wasAttributedTo).map(
      a => `${a['prov:entity']} ${a['prov:agent']}`
    );
    expect(attributed).toContain(`snapshot:${SNAP_SPANS} user:ingester`);
    expect(attributed).toContain(`result:${HASH_A}.r2 user:eve`);
    // A cell id with a slash stays one local name.
    expect(doc.entity['cell:cell%2Fb']).toBeDefined();
  });

  it('is plain JSON that survives a round trip', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
