/**
 * The lineage of one notebook (browser-safe, no apache-arrow): which snapshots each run read,
 * in which cell it ran, which result it produced, which runs it built on, and where the snapshots
 * came from. Built from the run log's records and the catalog's snapshot infos, as a graph
 * (`opsbook.lineage.v1`) for the lineage view and as W3C PROV-JSON for other tools.
 *
 * Graph model: nodes are keyed `snapshot:<id>`, `run:<runId>`, `cell:<cellId>`,
 * `result:<hash>`; edges point downstream (left to right in the view):
 *
 *   snapshot --used--> run --ran-in--> cell
 *                      run --generated--> result
 *   parent run --informed--> run            (the record's `parents`, when logged here)
 *   parent snapshot --derived--> snapshot   (catalog lineage, upstream of what runs read,
 *                                            at most `maxUpstreamDepth` steps, `maxSnapshots`)
 *
 * Results are content: two runs with the same result hash share one result node. An input whose
 * snapshot id is null (a plain file) becomes the node `table:<name>`; a snapshot the catalog no
 * longer knows keeps its node, marked `known: false`.
 *
 * PROV-JSON (https://www.w3.org/submissions/prov-json/): see `lineageToProv` and the mapping
 * table in docs/provenance.md ("Lineage").
 */
import type { RunRecord } from './run-record';

/** The format tag of lineage graphs. */
export const LINEAGE_FORMAT = 'opsbook.lineage.v1';

/** Default bounds of the upstream walk through the catalog's lineage. */
export const DEFAULT_MAX_UPSTREAM_DEPTH = 3;
export const DEFAULT_MAX_SNAPSHOTS = 200;

/** What the catalog says about a snapshot (a subset of its `SnapshotInfo`). */
export interface LineageSnapshotInfo {
  id: string;
  dataset: string;
  /** The user-facing table name (`spans`, `logs`, `metrics`, `events`). */
  table: string;
  rows: number;
  source: string;
  /** Snapshots it was appended to or derived from. */
  parents: string[];
  /** Who ingested it, and when (ISO-8601 UTC). */
  by: string;
  at: string;
}

/** A cell of the notebook as saved: its id, position (0-based) and first source line. */
export interface LineageCellInfo {
  id: string;
  index: number;
  firstLine: string;
}

/** One run as the run log holds it (its seq, when known, orders runs logged in one ms). */
export interface LineageRun {
  seq?: number;
  record: RunRecord;
}

/** What `buildLineageGraph` needs. */
export interface LineageInput {
  /** The notebook path. */
  notebook: string;
  /** The notebook's runs (any order; sorted by seq, then finish time). */
  runs: LineageRun[];
  /** Every snapshot the catalog knows of those the runs read and their ancestors. */
  snapshots: Iterable<LineageSnapshotInfo>;
  /** The notebook's cells, or null when the notebook could not be read. */
  cells?: LineageCellInfo[] | null;
  /** Steps of catalog lineage walked upstream of a snapshot a run read (default 3). */
  maxUpstreamDepth?: number;
  /** Most snapshot nodes in the graph, read ones first (default 200). */
  maxSnapshots?: number;
  /** Runs of the notebook left out by the caller's limit (reported in `truncated`). */
  runsLeftOut?: number;
}

/** Details of a snapshot node. */
export interface SnapshotNodeDetails {
  /** The snapshot id, or null for an input the engine read without one. */
  snapshotId: string | null;
  /** The catalog still knows it. */
  known: boolean;
  dataset: string | null;
  table: string;
  rows: number | null;
  source: string | null;
  by: string | null;
  at: string | null;
  parents: string[];
  /** 0 when a run read it; n when it is n steps upstream of one that was read. */
  depth: number;
}

/** Details of a run node. */
export interface RunNodeDetails {
  runId: string;
  seq: number | null;
  cellId: string;
  cellVersion: string;
  sql: string;
  parameters: Record<string, unknown>;
  user: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  resultHash: string;
  rows: number;
  engine: string;
  /**
   * Tables read; `resultOf` marks an earlier run's named result (the producing run id, or null
   * when that run was not recorded) instead of a snapshot.
   */
  inputs: {
    table: string;
    snapshotId: string | null;
    columns: string[];
    resultOf?: string | null;
  }[];
  parents: string[];
  /** Parent run ids that are not runs of this notebook (not drawn). */
  externalParents: string[];
  rationale: string | null;
}

/** Details of a cell node. */
export interface CellNodeDetails {
  cellId: string;
  /** Position in the notebook (0-based), or null when the cell is no longer there. */
  index: number | null;
  firstLine: string | null;
  /** The cell exists in the notebook as saved (null: the notebook could not be read). */
  exists: boolean | null;
  /** Cell versions that ran, oldest first. */
  versions: string[];
  runs: number;
}

/** Details of a result node. */
export interface ResultNodeDetails {
  hash: string;
  encoding: string;
  rows: number;
  columns: { name: string; type: string }[];
  /** Runs that produced exactly this result, oldest first. */
  runs: string[];
}

interface NodeOf<K extends string, D> {
  id: string;
  kind: K;
  /** Short text for the view (`table@shortid`, `user · time`, `[n] first line`, `hash · rows`). */
  label: string;
  details: D;
}

/** A node of the lineage graph. */
export type LineageNode =
  | NodeOf<'snapshot', SnapshotNodeDetails>
  | NodeOf<'run', RunNodeDetails>
  | NodeOf<'cell', CellNodeDetails>
  | NodeOf<'result', ResultNodeDetails>;

/** The kind of a node. */
export type LineageNodeKind = LineageNode['kind'];

/** The kind of an edge (see the module comment). */
export type LineageEdgeKind = 'used' | 'ran-in' | 'generated' | 'informed' | 'derived';

/** An edge, from upstream to downstream. */
export interface LineageEdge {
  from: string;
  to: string;
  kind: LineageEdgeKind;
}

/** The lineage of one notebook. */
export interface LineageGraph {
  format: typeof LINEAGE_FORMAT;
  notebook: string;
  /** Snapshots, then runs (oldest first), then cells (notebook order), then results. */
  nodes: LineageNode[];
  edges: LineageEdge[];
  /** What bounds left out: runs (the caller's limit) and upstream snapshots. */
  truncated: { runs: number; snapshots: number };
}

/** The first `n` characters of an id. */
function shortId(id: string, n = 8): string {
  return id.length > n ? id.slice(0, n) : id;
}

/** `2026-11-25T14:02:11.123Z` -> `2026-11-25 14:02:11Z` (labels only; details keep the ISO). */
function shortTime(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : 'unstamped';
}

/** The first non-blank line of a source, cut to `max` characters. */
export function firstLineOf(source: string | string[], max = 60): string {
  const text = Array.isArray(source) ? source.join('') : source;
  const line = text.split('\n').find(l => l.trim() !== '') ?? '';
  const trimmed = line.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}

/** Builds the lineage graph of one notebook (see the module comment). */
export function buildLineageGraph(input: LineageInput): LineageGraph {
  const maxDepth = input.maxUpstreamDepth ?? DEFAULT_MAX_UPSTREAM_DEPTH;
  const maxSnapshots = input.maxSnapshots ?? DEFAULT_MAX_SNAPSHOTS;
  const known = new Map<string, LineageSnapshotInfo>();
  for (const s of input.snapshots) {
    known.set(s.id, s);
  }
  const runs = dedupeRuns(input.runs);
  const runIds = new Set(runs.map(r => r.record.runId));
  const edges: LineageEdge[] = [];
  const edgeKeys = new Set<string>();
  const edge = (from: string, to: string, kind: LineageEdgeKind) => {
    const key = `${from}\0${to}\0${kind}`;
    if (!edgeKeys.has(key)) {
      edgeKeys.add(key);
      edges.push({ from, to, kind });
    }
  };

  // Snapshots read by runs (depth 0), in order of first use.
  const snapshots = new Map<string, NodeOf<'snapshot', SnapshotNodeDetails>>();
  const snapshotNode = (id: string | null, table: string, depth: number) => {
    const key = id === null ? `table:${table}` : `snapshot:${id}`;
    let node = snapshots.get(key);
    if (!node) {
      const info = id === null ? undefined : known.get(id);
      node = {
        id: key,
        kind: 'snapshot',
        label: id === null ? `${table}@?` : `${info?.table ?? table}@${shortId(id)}`,
        details: {
          snapshotId: id,
          known: Boolean(info),
          dataset: info?.dataset ?? null,
          table: info?.table ?? table,
          rows: info?.rows ?? null,
          source: info?.source ?? null,
          by: info?.by ?? null,
          at: info?.at ?? null,
          parents: [...(info?.parents ?? [])],
          depth
        }
      };
      snapshots.set(key, node);
    }
    return node;
  };

  const runNodes: NodeOf<'run', RunNodeDetails>[] = [];
  const cells = new Map<string, NodeOf<'cell', CellNodeDetails>>();
  const results = new Map<string, NodeOf<'result', ResultNodeDetails>>();
  const cellInfo = new Map((input.cells ?? []).map(c => [c.id, c]));

  for (const { seq, record } of runs) {
    const runKey = `run:${record.runId}`;
    for (const i of record.inputs) {
      // An earlier run's named result is not a snapshot: its run is among the parents.
      if (!resultTableRun(i)) {
        edge(snapshotNode(i.snapshotId, i.table, 0).id, runKey, 'used');
      }
    }
    let cell = cells.get(record.cellId);
    if (!cell) {
      const info = cellInfo.get(record.cellId);
      cell = {
        id: `cell:${record.cellId}`,
        kind: 'cell',
        label: info
          ? `[${info.index + 1}] ${info.firstLine || '(empty)'}`
          : `cell ${shortId(record.cellId)}`,
        details: {
          cellId: record.cellId,
          index: info?.index ?? null,
          firstLine: info?.firstLine ?? null,
          exists: input.cells ? Boolean(info) : null,
          versions: [],
          runs: 0
        }
      };
      cells.set(record.cellId, cell);
    }
    cell.details.runs++;
    if (!cell.details.versions.includes(record.cellVersion)) {
      cell.details.versions.push(record.cellVersion);
    }
    edge(runKey, cell.id, 'ran-in');

    const { result } = record;
    let resultNode = results.get(result.hash);
    if (!resultNode) {
      resultNode = {
        id: `result:${result.hash}`,
        kind: 'result',
        label: `${shortId(result.hash)} · ${result.rowCount} row${result.rowCount === 1 ? '' : 's'}`,
        details: {
          hash: result.hash,
          encoding: result.encoding,
          rows: result.rowCount,
          columns: result.schema.map(f => ({ name: f.name, type: f.type })),
          runs: []
        }
      };
      results.set(result.hash, resultNode);
    }
    resultNode.details.runs.push(record.runId);
    edge(runKey, resultNode.id, 'generated');

    const parents = [...new Set(record.parents)];
    for (const parent of parents) {
      if (runIds.has(parent)) {
        edge(`run:${parent}`, runKey, 'informed');
      }
    }
    runNodes.push({
      id: runKey,
      kind: 'run',
      label: `${record.stamp?.user ?? 'unknown'} · ${shortTime(record.stamp?.finishedAt)}`,
      details: {
        runId: record.runId,
        seq: seq ?? null,
        cellId: record.cellId,
        cellVersion: record.cellVersion,
        sql: record.sql,
        parameters: { ...record.parameters },
        user: record.stamp?.user ?? null,
        startedAt: record.stamp?.startedAt ?? null,
        finishedAt: record.stamp?.finishedAt ?? null,
        resultHash: result.hash,
        rows: result.rowCount,
        engine: `${record.engine.name} ${record.engine.version}`,
        inputs: record.inputs.map(i => ({
          table: i.table,
          snapshotId: i.snapshotId,
          columns: [...i.columns],
          ...(resultTableRun(i) ? { resultOf: resultTableRun(i)!.run } : {})
        })),
        parents,
        externalParents: parents.filter(p => !runIds.has(p)),
        rationale: record.rationale
      }
    });
  }

  // Upstream through the catalog's lineage, breadth first, bounded in depth and in count.
  let leftOut = 0;
  let frontier = [...snapshots.values()].filter(n => n.details.snapshotId !== null);
  for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: typeof frontier = [];
    for (const child of frontier) {
      for (const parent of child.details.parents) {
        const key = `snapshot:${parent}`;
        if (!snapshots.has(key)) {
          if (snapshots.size >= maxSnapshots) {
            leftOut++;
            continue;
          }
          const info = known.get(parent);
          next.push(snapshotNode(parent, info?.table ?? child.details.table, depth));
        }
        edge(key, child.id, 'derived');
      }
    }
    frontier = next;
  }
  // Derivations among the nodes drawn whose parents lie beyond the walk are not drawn.
  const drawn = new Set(snapshots.keys());
  const keptEdges = edges.filter(e => e.kind !== 'derived' || drawn.has(e.from));

  const orderedCells = [...cells.values()].sort((a, b) => {
    const ai = a.details.index ?? Number.MAX_SAFE_INTEGER;
    const bi = b.details.index ?? Number.MAX_SAFE_INTEGER;
    return ai - bi || (a.details.cellId < b.details.cellId ? -1 : 1);
  });
  return {
    format: LINEAGE_FORMAT,
    notebook: input.notebook,
    nodes: [...snapshots.values(), ...runNodes, ...orderedCells, ...results.values()],
    edges: keptEdges,
    truncated: { runs: input.runsLeftOut ?? 0, snapshots: leftOut }
  };
}

/** For an input that is an earlier run's named result (`kind: 'result'`): its producing run. */
function resultTableRun(input: RunRecord['inputs'][number]): { run: string | null } | null {
  const i = input as { kind?: unknown; run?: unknown };
  return i.kind === 'result' ? { run: typeof i.run === 'string' ? i.run : null } : null;
}

/** Runs sorted by seq (else finish time), one per run id. */
function dedupeRuns(runs: LineageRun[]): LineageRun[] {
  const seen = new Set<string>();
  return [...runs]
    .sort((a, b) => {
      if (a.seq !== undefined && b.seq !== undefined) {
        return a.seq - b.seq;
      }
      const at = a.record.stamp?.finishedAt ?? '';
      const bt = b.record.stamp?.finishedAt ?? '';
      return at < bt ? -1 : at > bt ? 1 : 0;
    })
    .filter(r => {
      if (seen.has(r.record.runId)) {
        return false;
      }
      seen.add(r.record.runId);
      return true;
    });
}

// ---------------------------------------------------------------------------------------------
// W3C PROV-JSON

/** A PROV-JSON attribute value: a literal, a typed literal (`$` + `type`), or a list of them. */
export type ProvValue =
  | string
  | number
  | boolean
  | { $: string; type: string }
  | (string | number | boolean | { $: string; type: string })[];

/** The attributes of one PROV record (`prov:*` and `opsbook:*` keys). */
export type ProvRecord = Record<string, ProvValue>;

/** The PROV-JSON relation sections Opsbook writes. */
export const PROV_RELATIONS = [
  'used',
  'wasGeneratedBy',
  'wasAssociatedWith',
  'wasAttributedTo',
  'wasDerivedFrom',
  'wasInformedBy',
  'specializationOf'
] as const;

/** A PROV-JSON relation section name. */
export type ProvRelation = (typeof PROV_RELATIONS)[number];

/** A W3C PROV-JSON document. */
export type ProvDocument = {
  prefix: Record<string, string>;
  entity: Record<string, ProvRecord>;
  activity: Record<string, ProvRecord>;
  agent: Record<string, ProvRecord>;
} & Record<ProvRelation, Record<string, ProvRecord>>;

/** The namespaces of Opsbook's PROV ids (the `prefix` section). */
export const PROV_PREFIXES = {
  opsbook: 'urn:opsbook:prov:',
  snapshot: 'urn:opsbook:snapshot:',
  run: 'urn:opsbook:run:',
  cell: 'urn:opsbook:cell:',
  result: 'urn:opsbook:result:',
  user: 'urn:opsbook:user:',
  server: 'urn:opsbook:server:'
} as const;

/** Who recorded the runs: the server instance, by its signing key id. */
export interface ProvServer {
  keyId: string;
  version?: string;
}

/**
 * A PROV qualified name `prefix:local`: characters outside `[A-Za-z0-9._-]` in the local part
 * are percent-encoded (UTF-8), as PROV-N allows, so any cell id, user name or table reads back.
 */
export function provName(prefix: keyof typeof PROV_PREFIXES, local: string): string {
  const bytes = new TextEncoder().encode(local);
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `${prefix}:${out}`;
}

const qname = (value: string) => ({ $: value, type: 'prov:QUALIFIED_NAME' });
const dateTime = (value: string) => ({ $: value, type: 'xsd:dateTime' });

/**
 * The PROV-JSON document of a lineage graph. Mapping (docs/provenance.md, "Lineage"):
 * snapshots, results and cell versions are entities; runs are activities; users (prov:Person)
 * and the server instance (prov:SoftwareAgent) are agents. A result is one entity per run
 * (`result:<hash>.<runId>`, generated by that run alone, as PROV's unique generation wants),
 * each a `specializationOf` the shared content entity `result:<hash>`; likewise each cell
 * version is a `specializationOf` its cell `cell:<cellId>`.
 */
export function lineageToProv(graph: LineageGraph, server: ProvServer): ProvDocument {
  const doc: ProvDocument = {
    prefix: { ...PROV_PREFIXES },
    entity: {},
    activity: {},
    agent: {},
    used: {},
    wasGeneratedBy: {},
    wasAssociatedWith: {},
    wasAttributedTo: {},
    wasDerivedFrom: {},
    wasInformedBy: {},
    specializationOf: {}
  };
  const counters = new Map<ProvRelation, number>();
  const relate = (section: ProvRelation, attributes: ProvRecord) => {
    const n = (counters.get(section) ?? 0) + 1;
    counters.set(section, n);
    doc[section][`_:${section}${n}`] = attributes;
  };
  const person = (name: string) => {
    const id = provName('user', name);
    doc.agent[id] ??= { 'prov:type': qname('prov:Person'), 'prov:label': name };
    return id;
  };
  const serverId = provName('server', server.keyId);
  doc.agent[serverId] = {
    'prov:type': qname('prov:SoftwareAgent'),
    'prov:label': `Opsbook server${server.version ? ` ${server.version}` : ''}`,
    'opsbook:keyId': server.keyId
  };

  const byId = new Map(graph.nodes.map(n => [n.id, n]));
  const snapshotEntity = new Map<string, string>();
  for (const node of graph.nodes) {
    if (node.kind !== 'snapshot') continue;
    const d = node.details;
    const id =
      d.snapshotId === null
        ? provName('snapshot', `table.${d.table}`)
        : provName('snapshot', d.snapshotId);
    snapshotEntity.set(node.id, id);
    const entity: ProvRecord = {
      'prov:type': qname('opsbook:Snapshot'),
      'prov:label': node.label,
      'opsbook:table': d.table,
      'opsbook:known': d.known
    };
    if (d.snapshotId !== null) entity['opsbook:snapshotId'] = d.snapshotId;
    if (d.dataset !== null) entity['opsbook:dataset'] = d.dataset;
    if (d.rows !== null) entity['opsbook:rows'] = d.rows;
    if (d.source !== null) entity['opsbook:source'] = d.source;
    if (d.at !== null) entity['opsbook:ingestedAt'] = dateTime(d.at);
    doc.entity[id] = entity;
    if (d.by !== null) {
      relate('wasAttributedTo', { 'prov:entity': id, 'prov:agent': person(d.by) });
    }
  }
  for (const e of graph.edges) {
    if (e.kind === 'derived' && snapshotEntity.has(e.from) && snapshotEntity.has(e.to)) {
      relate('wasDerivedFrom', {
        'prov:generatedEntity': snapshotEntity.get(e.to)!,
        'prov:usedEntity': snapshotEntity.get(e.from)!
      });
    }
  }

  // Cells: one general entity per cell, one entity per cell version.
  for (const node of graph.nodes) {
    if (node.kind !== 'cell') continue;
    const d = node.details;
    const cellId = provName('cell', d.cellId);
    doc.entity[cellId] = {
      'prov:type': qname('opsbook:Cell'),
      'prov:label': node.label,
      'opsbook:cellId': d.cellId,
      'opsbook:notebook': graph.notebook,
      ...(d.index !== null ? { 'opsbook:position': d.index } : {})
    };
    for (const version of d.versions) {
      const versionId = provName('cell', `${d.cellId}.${version}`);
      doc.entity[versionId] = {
        'prov:type': qname('opsbook:CellVersion'),
        'prov:label': `${node.label} (version ${shortId(version)})`,
        'opsbook:cellVersion': version
      };
      relate('specializationOf', {
        'prov:specificEntity': versionId,
        'prov:generalEntity': cellId
      });
    }
  }

  const resultContent = new Set<string>();
  for (const node of graph.nodes) {
    if (node.kind !== 'run') continue;
    const d = node.details;
    const runId = provName('run', d.runId);
    const activity: ProvRecord = {
      'prov:type': qname('opsbook:Run'),
      'prov:label': node.label,
      'opsbook:sql': d.sql,
      'opsbook:engine': d.engine,
      'opsbook:notebook': graph.notebook,
      'opsbook:cellId': d.cellId
    };
    if (d.startedAt) activity['prov:startTime'] = d.startedAt;
    if (d.finishedAt) activity['prov:endTime'] = d.finishedAt;
    if (d.seq !== null) activity['opsbook:seq'] = d.seq;
    if (Object.keys(d.parameters).length > 0) {
      activity['opsbook:parameters'] = JSON.stringify(d.parameters);
    }
    if (d.rationale) activity['opsbook:rationale'] = d.rationale;
    doc.activity[runId] = activity;

    const versionId = provName('cell', `${d.cellId}.${d.cellVersion}`);
    if (d.user) {
      relate('wasAssociatedWith', {
        'prov:activity': runId,
        'prov:agent': person(d.user),
        'prov:plan': versionId,
        'prov:role': qname('opsbook:runner')
      });
    }
    relate('wasAssociatedWith', {
      'prov:activity': runId,
      'prov:agent': serverId,
      'prov:role': qname('opsbook:recorder')
    });
    relate('used', {
      'prov:activity': runId,
      'prov:entity': versionId,
      'prov:role': qname('opsbook:query')
    });
    const usedSnapshots: string[] = [];
    for (const e of graph.edges) {
      if (e.kind === 'used' && e.to === node.id && snapshotEntity.has(e.from)) {
        const entity = snapshotEntity.get(e.from)!;
        usedSnapshots.push(entity);
        relate('used', {
          'prov:activity': runId,
          'prov:entity': entity,
          'prov:role': qname('opsbook:input'),
          ...(d.startedAt ? { 'prov:time': d.startedAt } : {})
        });
      }
      if (e.kind === 'informed' && e.to === node.id && byId.has(e.from)) {
        const parent = byId.get(e.from)!;
        if (parent.kind === 'run') {
          const informant = provName('run', parent.details.runId);
          relate('wasInformedBy', { 'prov:informed': runId, 'prov:informant': informant });
          if (d.inputs.some(i => i.resultOf === parent.details.runId)) {
            // It read the parent's named result: that run's result entity is an input.
            relate('used', {
              'prov:activity': runId,
              'prov:entity': provName(
                'result',
                `${parent.details.resultHash}.${parent.details.runId}`
              ),
              'prov:role': qname('opsbook:resultTable')
            });
          }
        }
      }
    }

    const content = provName('result', d.resultHash);
    const produced = provName('result', `${d.resultHash}.${d.runId}`);
    const resultNode = byId.get(`result:${d.resultHash}`);
    if (!resultContent.has(content)) {
      resultContent.add(content);
      doc.entity[content] = {
        'prov:type': qname('opsbook:Result'),
        'prov:label': resultNode?.label ?? shortId(d.resultHash),
        'opsbook:hash': d.resultHash,
        'opsbook:rows': d.rows
      };
    }
    doc.entity[produced] = {
      'prov:type': qname('opsbook:RunResult'),
      'prov:label': `${shortId(d.resultHash)} from run ${shortId(d.runId)}`,
      'opsbook:hash': d.resultHash,
      'opsbook:rows': d.rows
    };
    relate('specializationOf', { 'prov:specificEntity': produced, 'prov:generalEntity': content });
    relate('wasGeneratedBy', {
      'prov:entity': produced,
      'prov:activity': runId,
      ...(d.finishedAt ? { 'prov:time': d.finishedAt } : {})
    });
    if (d.user) {
      relate('wasAttributedTo', { 'prov:entity': produced, 'prov:agent': person(d.user) });
    }
    for (const snapshot of usedSnapshots) {
      relate('wasDerivedFrom', {
        'prov:generatedEntity': produced,
        'prov:usedEntity': snapshot,
        'prov:activity': runId
      });
    }
  }
  return doc;
}
