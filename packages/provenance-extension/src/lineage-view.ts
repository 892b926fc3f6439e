/**
 * The Lineage view (main area) of one notebook: snapshots -> runs -> cells -> results as an SVG
 * drawn by lineage-layout.ts, a details box for the selected node (full ids, the SQL of a run,
 * rows, who and when) with its neighbours highlighted, and "Export PROV-JSON".
 *
 * The graph comes from `GET /api/opsbook/lineage` (built on the server by @opsbook/provenance's
 * `buildLineageGraph`); the view keeps it, the selection and the expanded run groups, and redraws
 * the SVG from them.
 */
import type { LineageGraph, LineageNode } from '@opsbook/provenance';
import { Widget } from '@lumino/widgets';
import type { RunLogClient } from './api';
import {
  COLUMNS,
  layoutLineage,
  layoutWidth,
  MIN_NODE_WIDTH,
  NODE_HEIGHT,
  NODE_WIDTH,
  nodeWidthFor,
  type LineageLayout,
  type PlacedNode
} from './lineage-layout';

const SVG = 'http://www.w3.org/2000/svg';
/** A Lumino message (its package is not a dependency of ours). */
type Message = Parameters<Widget['processMessage']>[0];
/** Width of the details box beside the graph; below the graph when the view is too narrow. */
const DETAILS_WIDTH = 300;
/** Room for the canvas's scroll bar. */
const SCROLLBAR = 16;

/** Options of the Lineage view. */
export interface ILineageViewOptions {
  client: RunLogClient;
  /** The notebook path. */
  notebook: string;
  /** Saves a file to the user's downloads (a Blob and a file name). */
  download?: (blob: Blob, name: string) => void;
}

/** The content of the Lineage main-area widget. */
export class LineageView extends Widget {
  constructor(options: ILineageViewOptions) {
    super();
    this.client = options.client;
    this.notebook = options.notebook;
    this.download = options.download ?? downloadBlob;
    this.addClass('jp-opsbook-Lineage');
    this.canvas.className = 'jp-opsbook-Lineage-canvas';
    this.details.className = 'jp-opsbook-Lineage-details';
    this.status.className = 'jp-opsbook-Lineage-status';
    this.body.className = 'jp-opsbook-Lineage-body';
    this.body.append(this.canvas, this.details);
    this.node.append(this.status, this.body);
    this.canvas.addEventListener('click', event => {
      const target = (event.target as Element).closest('[data-node-id]');
      this.select(target ? target.getAttribute('data-node-id') : null);
    });
    this.renderDetails();
  }

  readonly notebook: string;

  /** The graph shown (null until loaded). */
  get graph(): LineageGraph | null {
    return this._graph;
  }

  /** Reloads the graph from the server, keeping the selection when the node is still there. */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    this.setStatus('Loading lineage…');
    try {
      const graph = await this.client.lineage(this.notebook);
      if (generation !== this.generation) return;
      this._graph = graph;
      if (this.selected && !graph.nodes.some(n => n.id === this.selected)) {
        this.selected = null;
      }
      this.setStatus(summary(graph));
    } catch (error) {
      if (generation !== this.generation) return;
      this.setStatus(`Could not load the lineage: ${message(error)}`, true);
    }
    this.render();
  }

  /** Downloads the notebook's lineage as W3C PROV-JSON. */
  async exportProv(): Promise<void> {
    try {
      const doc = await this.client.provJson(this.notebook);
      const name = `${baseName(this.notebook)}.prov.json`;
      this.download(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }), name);
      this.setStatus(`Exported ${name}: ${Object.keys(doc.activity).length} runs as PROV-JSON.`);
    } catch (error) {
      this.setStatus(`Could not export PROV-JSON: ${message(error)}`, true);
    }
  }

  /** Selects a node (null clears); a run group expands instead. */
  select(id: string | null): void {
    if (id?.startsWith('group:')) {
      this.expanded.add(id.slice('group:'.length));
      this.render();
      return;
    }
    this.selected = id;
    this.highlight();
    this.renderDetails();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this.fitToView();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.fitToView();
  }

  /**
   * Sizes the drawing to the view: nodes as wide as fits (within bounds), and the details box
   * below the graph rather than beside it when the view is too narrow for both.
   */
  private fitToView(): void {
    const width = this.node.clientWidth;
    if (width === 0) return;
    const stacked = width < layoutWidth(MIN_NODE_WIDTH) + DETAILS_WIDTH + SCROLLBAR;
    const nodeWidth = nodeWidthFor(width - SCROLLBAR - (stacked ? 0 : DETAILS_WIDTH));
    this.body.classList.toggle('jp-mod-stacked', stacked);
    if (nodeWidth !== this.nodeWidth) {
      this.nodeWidth = nodeWidth;
      this.render();
    }
  }

  private render(): void {
    this.canvas.replaceChildren();
    const graph = this._graph;
    if (!graph) return;
    if (graph.nodes.length === 0) {
      const empty = el('div', 'jp-opsbook-Lineage-empty');
      empty.append(
        el('p', 'jp-opsbook-Lineage-emptyTitle', 'No runs recorded yet — run a telemetry cell.'),
        el(
          'p',
          '',
          'Every telemetry-cell run is recorded with the snapshots it read and the result it ' +
            'produced; its lineage appears here.'
        )
      );
      this.canvas.append(empty);
      this.renderDetails();
      return;
    }
    this.placed = layoutLineage(graph, { expanded: this.expanded, nodeWidth: this.nodeWidth });
    const { width, height } = this.placed;
    const header = el('div', 'jp-opsbook-Lineage-columns');
    header.style.width = `${width}px`;
    COLUMNS.forEach((c, i) => {
      const title = el('div', 'jp-opsbook-Lineage-columnTitle', c.title);
      title.style.left = `${this.placed!.columnX[i]}px`;
      title.style.width = `${this.nodeWidth}px`;
      const count = this.placed!.nodes.filter(n => n.column === i && n.kind !== 'group').length;
      const groups = this.placed!.nodes.filter(n => n.column === i && n.kind === 'group');
      const total = count + groups.reduce((s, g) => s + g.runs.length, 0);
      title.append(el('span', 'jp-opsbook-Lineage-columnCount', ` ${total}`));
      header.append(title);
    });
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'jp-opsbook-Lineage-svg');
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `Lineage of ${this.notebook}`);
    const edges = document.createElementNS(SVG, 'g');
    for (const e of this.placed.edges) {
      const path = document.createElementNS(SVG, 'path');
      path.setAttribute('d', e.path);
      path.setAttribute('class', `jp-opsbook-LineageEdge jp-mod-${e.kind}`);
      path.setAttribute('data-from', e.from);
      path.setAttribute('data-to', e.to);
      edges.append(path);
    }
    svg.append(edges);
    for (const p of this.placed.nodes) {
      svg.append(drawNode(p, this.nodeWidth));
    }
    this.canvas.append(header, svg);
    this.highlight();
    this.renderDetails();
  }

  /** Marks the selected node, its neighbours and their edges; dims the rest. */
  private highlight(): void {
    const svg = this.canvas.querySelector('svg');
    if (!svg || !this.placed) return;
    const selected = this.selected ? this.drawnId(this.selected) : null;
    const near = new Set<string>();
    if (selected) {
      near.add(selected);
      for (const e of this.placed.edges) {
        if (e.from === selected) near.add(e.to);
        if (e.to === selected) near.add(e.from);
      }
    }
    svg.classList.toggle('jp-mod-focus', selected !== null);
    svg.querySelectorAll<SVGGElement>('[data-node-id]').forEach(g => {
      const id = g.getAttribute('data-node-id')!;
      g.classList.toggle('jp-mod-selected', id === selected);
      g.classList.toggle('jp-mod-neighbour', id !== selected && near.has(id));
    });
    svg.querySelectorAll<SVGPathElement>('path[data-from]').forEach(p => {
      p.classList.toggle(
        'jp-mod-highlight',
        selected !== null &&
          (p.getAttribute('data-from') === selected || p.getAttribute('data-to') === selected)
      );
    });
  }

  /** The drawn node standing for a graph node (its run group when collapsed). */
  private drawnId(id: string): string | null {
    const node = this.placed?.nodes.find(n => n.id === id || n.runs.some(r => r.id === id));
    return node?.id ?? null;
  }

  private renderDetails(): void {
    this.details.replaceChildren();
    const node = this._graph?.nodes.find(n => n.id === this.selected) ?? null;
    if (!node) {
      this.details.append(
        el('h3', 'jp-opsbook-Lineage-detailsTitle', 'Details'),
        el(
          'p',
          'jp-opsbook-Lineage-hint',
          this._graph?.nodes.length
            ? 'Click a snapshot, run, cell or result to see its details and what it is linked to.'
            : 'Nothing to show yet.'
        )
      );
      return;
    }
    this.details.dataset.kind = node.kind;
    this.details.append(...detailsOf(node, this._graph!));
  }

  private setStatus(text: string, error = false): void {
    this.status.textContent = text;
    this.status.classList.toggle('jp-mod-error', error);
  }

  private readonly client: RunLogClient;
  private readonly download: (blob: Blob, name: string) => void;
  private readonly body = document.createElement('div');
  private readonly canvas = document.createElement('div');
  private readonly details = document.createElement('aside');
  private readonly status = document.createElement('div');
  private readonly expanded = new Set<string>();
  private _graph: LineageGraph | null = null;
  private placed: LineageLayout | null = null;
  private selected: string | null = null;
  private generation = 0;
  private nodeWidth = NODE_WIDTH;
}

/** One SVG node: a card with a coloured edge, a title and a second line. */
function drawNode(p: PlacedNode, width: number): SVGGElement {
  const g = document.createElementNS(SVG, 'g');
  g.setAttribute('class', `jp-opsbook-LineageNode jp-mod-${p.kind}`);
  g.setAttribute('data-node-id', p.id);
  g.setAttribute('transform', `translate(${p.x},${p.y})`);
  g.setAttribute('tabindex', '0');
  const [title, sub] = nodeText(p);
  const tip = document.createElementNS(SVG, 'title');
  tip.textContent = p.kind === 'group' ? `${title}: click to show each run` : `${title}\n${sub}`;
  const rect = document.createElementNS(SVG, 'rect');
  rect.setAttribute('class', 'jp-opsbook-LineageNode-box');
  rect.setAttribute('width', String(width));
  rect.setAttribute('height', String(NODE_HEIGHT));
  rect.setAttribute('rx', '4');
  const bar = document.createElementNS(SVG, 'rect');
  bar.setAttribute('class', 'jp-opsbook-LineageNode-bar');
  bar.setAttribute('width', '4');
  bar.setAttribute('height', String(NODE_HEIGHT));
  bar.setAttribute('rx', '2');
  const t1 = document.createElementNS(SVG, 'text');
  t1.setAttribute('class', 'jp-opsbook-LineageNode-title');
  t1.setAttribute('x', '12');
  t1.setAttribute('y', '16');
  // About 7 px per character of the 12 px bold title, 6 px of the 11 px second line.
  t1.textContent = clip(title, Math.floor((width - 18) / 7));
  const t2 = document.createElementNS(SVG, 'text');
  t2.setAttribute('class', 'jp-opsbook-LineageNode-sub');
  t2.setAttribute('x', '12');
  t2.setAttribute('y', '32');
  t2.textContent = clip(sub, Math.floor((width - 18) / 6));
  g.append(tip, rect, bar, t1, t2);
  return g;
}

/** The two lines of a node. */
function nodeText(p: PlacedNode): [string, string] {
  if (p.kind === 'group') {
    const users = [...new Set(p.runs.map(r => (r.kind === 'run' ? r.details.user : null)))];
    const last = p.runs[p.runs.length - 1];
    const when = last?.kind === 'run' ? shortTime(last.details.finishedAt) : '';
    return [`${p.runs.length} runs ▸`, `${users.filter(Boolean).join(', ')} · latest ${when}`];
  }
  const n = p.node!;
  switch (n.kind) {
    case 'snapshot': {
      const d = n.details;
      const title = d.snapshotId
        ? `${d.table}@${d.snapshotId.slice(0, 8)}`
        : `${d.table} (no snapshot)`;
      if (!d.known) {
        return [title, d.snapshotId ? 'no longer in the catalog' : 'read without a snapshot id'];
      }
      return [title, `${count(d.rows ?? 0)} rows · ${d.dataset}${d.depth ? ' · upstream' : ''}`];
    }
    case 'run': {
      const d = n.details;
      return [
        `${d.user ?? 'unknown'} · ${shortTime(d.finishedAt)}`,
        `${count(d.rows)} rows${duration(d)}`
      ];
    }
    case 'cell': {
      const d = n.details;
      const title = d.index !== null ? `[${d.index + 1}] ${d.firstLine || '(empty)'}` : n.label;
      const where = d.exists === false ? 'deleted' : clip(d.cellId, 14);
      const versions = d.versions.length > 1 ? ` · ${d.versions.length} versions` : '';
      return [title, `${where} · ${d.runs} run${d.runs === 1 ? '' : 's'}${versions}`];
    }
    case 'result': {
      const d = n.details;
      const runs = d.runs.length > 1 ? ` · ${d.runs.length} runs` : '';
      return [`${d.hash.slice(0, 12)}…`, `${count(d.rows)} rows · ${d.columns.length} cols${runs}`];
    }
  }
}

/** The details box of a node. */
function detailsOf(node: LineageNode, graph: LineageGraph): HTMLElement[] {
  const out: HTMLElement[] = [];
  const facts = el('dl', 'jp-opsbook-Lineage-facts');
  const fact = (name: string, value: string | Node, mono = false) => {
    const dd = el('dd', mono ? 'jp-opsbook-Lineage-mono' : '');
    dd.append(value);
    facts.append(el('dt', '', name), dd);
  };
  const kindTitle = { snapshot: 'Snapshot', run: 'Run', cell: 'Cell', result: 'Result' }[node.kind];
  out.push(el('h3', 'jp-opsbook-Lineage-detailsTitle', kindTitle), facts);
  switch (node.kind) {
    case 'snapshot': {
      const d = node.details;
      fact('Id', d.snapshotId ?? '(none: read from a plain file)', true);
      fact('Table', d.dataset ? `${d.dataset} · ${d.table}` : d.table);
      if (!d.known) fact('Catalog', d.snapshotId ? 'No longer in the catalog' : 'Not a snapshot');
      if (d.rows !== null) fact('Rows', count(d.rows));
      if (d.source) fact('Source', d.source, true);
      if (d.by) fact('Ingested', `${d.by}, ${longTime(d.at)}`);
      if (d.parents.length) fact('Parents', d.parents.map(p => p.slice(0, 12)).join(', '), true);
      if (d.depth)
        fact('Upstream', `${d.depth} step${d.depth === 1 ? '' : 's'} from a snapshot a run read`);
      break;
    }
    case 'run': {
      const d = node.details;
      fact('Run id', d.runId, true);
      fact('By', d.user ?? 'unknown');
      fact('Started', longTime(d.startedAt));
      fact('Finished', longTime(d.finishedAt));
      const cell = graph.nodes.find(n => n.id === `cell:${d.cellId}`);
      fact('Cell', cell?.label ?? d.cellId);
      fact('Cell version', d.cellVersion.slice(0, 16), true);
      fact('Rows', count(d.rows));
      fact('Result', d.resultHash, true);
      const inputs = el('div', 'jp-opsbook-Lineage-inputs');
      for (const i of d.inputs) {
        const text =
          i.resultOf !== undefined
            ? `${i.table} (result of run ${i.resultOf?.slice(0, 8) ?? 'not recorded'})`
            : `${i.table}@${i.snapshotId?.slice(0, 12) ?? '?'}`;
        inputs.append(el('div', 'jp-opsbook-Lineage-mono', text));
      }
      fact('Read', inputs);
      if (d.parents.length) fact('Parent runs', d.parents.map(p => p.slice(0, 8)).join(', '), true);
      if (d.rationale) fact('Rationale', d.rationale);
      fact('Engine', d.engine);
      if (d.seq !== null) fact('Log seq', String(d.seq));
      out.push(el('h4', 'jp-opsbook-Lineage-subTitle', 'SQL'));
      out.push(el('pre', 'jp-opsbook-Lineage-sql', d.sql));
      break;
    }
    case 'cell': {
      const d = node.details;
      fact('Cell id', d.cellId, true);
      fact(
        'Position',
        d.index !== null
          ? `cell ${d.index + 1}`
          : d.exists === false
            ? 'no longer in the notebook'
            : 'unknown'
      );
      if (d.firstLine) fact('First line', d.firstLine, true);
      fact('Runs', String(d.runs));
      fact('Versions', d.versions.map(v => v.slice(0, 12)).join(', '), true);
      break;
    }
    case 'result': {
      const d = node.details;
      fact('Hash', d.hash, true);
      fact('Rows', count(d.rows));
      fact('Columns', d.columns.map(c => `${c.name}: ${c.type}`).join(', '), true);
      fact(
        'Produced by',
        `${d.runs.length} run${d.runs.length === 1 ? '' : 's'}: ${d.runs.map(r => r.slice(0, 8)).join(', ')}`
      );
      if (d.runs.length > 1) {
        out.push(
          el(
            'p',
            'jp-opsbook-Lineage-hint',
            'Runs with the same result hash produced exactly the same rows and share this node.'
          )
        );
      }
      break;
    }
  }
  return out;
}

function summary(graph: LineageGraph): string {
  const n = (kind: string) => graph.nodes.filter(x => x.kind === kind).length;
  if (graph.nodes.length === 0) return `${graph.notebook}: no runs recorded yet.`;
  const parts = [
    `${n('run')} runs`,
    `${n('snapshot')} snapshots`,
    `${n('cell')} cells`,
    `${n('result')} distinct results`
  ];
  const cut = graph.truncated.runs
    ? ` (the newest runs only; ${graph.truncated.runs} older not drawn)`
    : '';
  return `${graph.notebook}: ${parts.join(' · ')}${cut}`;
}

function el(tag: string, className: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;
const count = (n: number) => n.toLocaleString('en-US');
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const baseName = (p: string) => (p.split('/').pop() ?? 'notebook').replace(/\.ipynb$/i, '');

/** Local time, with the date when not today. */
function shortTime(iso: string | null): string {
  if (!iso) return 'unstamped';
  const d = new Date(iso);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === new Date().toDateString()
    ? time
    : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

function longTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : 'unknown';
}

function duration(d: { startedAt: string | null; finishedAt: string | null }): string {
  if (!d.startedAt || !d.finishedAt) return '';
  const ms = Date.parse(d.finishedAt) - Date.parse(d.startedAt);
  return ms >= 1000 ? ` · ${(ms / 1000).toFixed(1)} s` : ` · ${ms} ms`;
}

/** Saves a Blob through a temporary link (the browser's own download). */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
