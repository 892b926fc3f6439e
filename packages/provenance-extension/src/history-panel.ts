/**
 * The Cell History side panel: the timeline of the active cell, newest first — the versions the
 * server recorded (save, run, checkpoint, restore; who edited, when, the version hash) and the
 * cell's runs (who, when, rows, result hash). Select any two entries to see their diff: source,
 * parameters and, when both have a run, the results (each run replayed on its pinned snapshots in
 * the browser). A version can be restored (a new version; nothing is lost), and the cell can be
 * checkpointed. It reloads when the active cell changes, when the panel is shown, and after runs.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { JsonValue, LoggedCellVersion } from '@opsbook/provenance';
import { ActiveCellPanel } from './active-cell-panel';
import type { LoggedRun } from './api';
import type { CellHistoryClient, CellHistoryResponse } from './history-api';
import {
  el,
  renderDiff,
  type DiffSide,
  type ReplayedResult,
  type ResultDiffState
} from './history-diff-view';

/** Options of `CellHistoryPanel`. */
export interface ICellHistoryPanelOptions {
  tracker: INotebookTracker;
  client: CellHistoryClient;
  icon: LabIcon;
  /** Replays a run on its pinned snapshots for a result diff. */
  replay(run: LoggedRun): Promise<ReplayedResult>;
}

/** One entry of the timeline. */
type Entry =
  | { type: 'version'; key: string; time: string; version: LoggedCellVersion }
  | { type: 'run'; key: string; time: string; run: LoggedRun; version: LoggedCellVersion | null };

/** How many entries the timeline lists (older ones stay on the server). */
const LISTED_ENTRIES = 50;

/** The side panel (see the module comment). */
export class CellHistoryPanel extends ActiveCellPanel {
  private readonly _options: ICellHistoryPanelOptions;
  private _history: CellHistoryResponse | null = null;
  private _error: string | null = null;
  private _message: string | null = null;
  /** Selected entry keys, in the order they were picked (at most two). */
  private _selected: string[] = [];
  private _result: ResultDiffState | null = null;
  private readonly _replays = new Map<string, Promise<ReplayedResult>>();

  constructor(options: ICellHistoryPanelOptions) {
    super(options.tracker);
    this._options = options;
    this.id = 'opsbook-cell-history';
    this.title.icon = options.icon;
    this.title.caption = 'Cell History: versions and runs of the active cell';
    this.addClass('jp-opsbook-History');
    this.followActiveCell();
  }

  /** Reloads the active cell's history from the server. */
  async refresh(): Promise<void> {
    const panel = this.notebook;
    const cell = this.cell;
    if (!panel || !cell || !this.isVisible) {
      this.render();
      return;
    }
    await this.load(
      () => this._options.client.history(panel.context.path, cell.id),
      history => {
        this._history = history;
        this._error = null;
        const keys = new Set(this._entries().map(e => e.key));
        this._selected = this._selected.filter(k => keys.has(k));
      },
      error => {
        this._history = null;
        this._error = error.message;
      }
    );
  }

  protected resetCell(): void {
    this._history = null;
    this._error = null;
    this._message = null;
    this._selected = [];
    this._result = null;
  }

  /** Versions and runs, newest first; a run points at the version it ran. */
  private _entries(): Entry[] {
    const h = this._history;
    if (!h) {
      return [];
    }
    // The version a run ran: the one it recorded, else the newest with its hash recorded
    // before it finished (a later restore to the same content is not what ran).
    const versionOf = (run: LoggedRun): LoggedCellVersion | null => {
      const { runId, cellVersion, stamp } = run.record;
      const same = h.versions.filter(v => v.record.version === cellVersion);
      return (
        same.find(v => v.record.runId === runId) ??
        [...same].reverse().find(v => v.record.time <= stamp.finishedAt) ??
        same[0] ??
        null
      );
    };
    const ranAt = new Map(h.runs.map(r => [r.record.runId, r.record.stamp.finishedAt]));
    const entries: Entry[] = [
      // A version a run recorded is the state that ran: it sorts just before its run.
      ...h.versions.map((v): Entry => ({
        type: 'version',
        key: `v${v.seq}`,
        time: (v.record.runId && ranAt.get(v.record.runId)) || v.record.time,
        version: v
      })),
      ...h.runs.map((run): Entry => ({
        type: 'run',
        key: `r${run.record.runId}`,
        time: run.record.stamp.finishedAt,
        run,
        version: versionOf(run)
      }))
    ];
    // Newest first; at the same time a run comes after the version it recorded.
    return entries
      .sort((a, b) => (a.time === b.time ? (a.type === 'run' ? -1 : 1) : a.time < b.time ? 1 : -1))
      .slice(0, LISTED_ENTRIES);
  }

  private _toggle(key: string): void {
    const i = this._selected.indexOf(key);
    if (i >= 0) {
      this._selected.splice(i, 1);
    } else {
      this._selected.push(key);
      if (this._selected.length > 2) {
        this._selected.shift();
      }
    }
    this._result = null;
    this.render();
    if (this._selected.length === 2) {
      void this._diffResults();
    }
  }

  /** The two selected entries, older first. */
  private _pair(): [Entry, Entry] | null {
    const entries = this._entries();
    const picked = entries.filter(e => this._selected.includes(e.key));
    return picked.length === 2 ? [picked[1], picked[0]] : null;
  }

  private async _diffResults(): Promise<void> {
    const pair = this._pair();
    if (!pair) {
      return;
    }
    const [a, b] = pair.map(e => this._runOf(e));
    if (!a || !b) {
      this._result = {
        status: 'none',
        reason: 'Results are compared between runs: select two runs, or versions that were run.'
      };
      this.render();
      return;
    }
    this._result = { status: 'running' };
    this.render();
    const selection = this._selected.join();
    try {
      const [ra, rb] = await Promise.all([this._replay(a), this._replay(b)]);
      if (selection === this._selected.join()) {
        this._result = { status: 'done', a: ra, b: rb };
      }
    } catch (error) {
      if (selection === this._selected.join()) {
        this._result = { status: 'failed', message: (error as Error).message };
      }
    }
    this.render();
  }

  private _replay(run: LoggedRun): Promise<ReplayedResult> {
    const id = run.record.runId;
    let pending = this._replays.get(id);
    if (!pending) {
      pending = this._options.replay(run);
      this._replays.set(id, pending);
      pending.catch(() => this._replays.delete(id));
    }
    return pending;
  }

  /** The run whose result stands for an entry: the run itself, or the run of a version. */
  private _runOf(entry: Entry): LoggedRun | null {
    if (entry.type === 'run') {
      return entry.run;
    }
    const runs = this._history?.runs ?? [];
    const { record } = entry.version;
    return (
      runs.find(r => r.record.runId === record.runId) ??
      [...runs].reverse().find(r => r.record.cellVersion === record.version) ??
      null
    );
  }

  private _side(entry: Entry): DiffSide {
    if (entry.type === 'version') {
      const { record, seq } = entry.version;
      return {
        label: `${record.kind} #${seq}`,
        source: record.source,
        parameters: asObject(record.opsbook['parameters'])
      };
    }
    const { record } = entry.run;
    return {
      label: entry.version
        ? `run of #${entry.version.seq} (${shortTime(record.stamp.finishedAt)})`
        : `run at ${shortTime(record.stamp.finishedAt)}`,
      source: entry.version?.record.source ?? record.sql,
      parameters: asObject(record.parameters)
    };
  }

  private async _checkpoint(): Promise<void> {
    if (!this.notebook || !this.cell) {
      return;
    }
    try {
      const result = await this._options.client.checkpoint(
        this.notebook.context.path,
        this.cell.id
      );
      this._message = result.recorded.length
        ? `Checkpoint recorded (#${result.recorded[0].seq}).`
        : 'No change since the last version: nothing to checkpoint.';
      this._error = null;
    } catch (error) {
      this._error = (error as Error).message;
    }
    await this.refresh();
  }

  private async _restore(version: LoggedCellVersion): Promise<void> {
    if (!this.notebook || !this.cell) {
      return;
    }
    const answer = await showDialog({
      title: 'Restore this version?',
      body:
        `The cell's source and parameters become those of ${version.record.kind} #${version.seq} ` +
        `(${new Date(version.record.time).toLocaleString()}) for everyone editing the notebook. ` +
        'The current state is kept in the history: nothing is lost.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Restore' })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      const restored = await this._options.client.restore(
        this.notebook.context.path,
        this.cell.id,
        version.seq
      );
      this._message = `Restored version #${version.seq} as #${restored.seq}.`;
      this._error = null;
      this._selected = [];
      this._result = null;
    } catch (error) {
      this._error = (error as Error).message;
    }
    await this.refresh();
  }

  protected render(): void {
    const node = this.node;
    node.replaceChildren();
    node.append(el('h2', 'jp-opsbook-History-title', 'Cell History'));
    const cell = this.cell;
    if (!this.notebook || !cell) {
      node.append(el('p', 'jp-opsbook-History-note', 'Select a cell to see its history.'));
      return;
    }
    const head = el('div', 'jp-opsbook-History-cell');
    head.append(
      el('span', '', 'Cell '),
      code(cell.id),
      el('span', '', ` in ${this.notebook.context.path}`)
    );
    node.append(head);
    const bar = el('div', 'jp-opsbook-History-toolbar');
    const checkpoint = button('Checkpoint cell', 'jp-opsbook-History-checkpoint');
    checkpoint.title = 'Record the cell as it is now as a version';
    checkpoint.addEventListener('click', () => void this._checkpoint());
    bar.append(checkpoint);
    const current = this._history?.current;
    if (current && !current.recorded) {
      bar.append(el('span', 'jp-opsbook-History-note', 'Changed since the last version.'));
    }
    node.append(bar);
    if (this._message) {
      node.append(el('p', 'jp-opsbook-History-message', this._message));
    }
    if (this._error) {
      node.append(el('p', 'jp-opsbook-History-error', this._error));
    }
    if (!this._history) {
      if (!this._error) {
        node.append(el('p', 'jp-opsbook-History-note', 'Loading the history…'));
      }
      return;
    }
    const entries = this._entries();
    if (entries.length === 0) {
      node.append(
        el('p', 'jp-opsbook-History-note', 'No versions yet: save, run or checkpoint the cell.')
      );
      return;
    }
    node.append(
      el(
        'p',
        'jp-opsbook-History-note',
        this._selected.length === 2
          ? 'Comparing the two selected entries (below).'
          : 'Select two entries to compare them.'
      )
    );
    const list = el('ol', 'jp-opsbook-History-timeline');
    for (const entry of entries) {
      list.append(this._renderEntry(entry, current?.version ?? null));
    }
    node.append(list);
    const pair = this._pair();
    if (pair) {
      const diff = renderDiff(
        this._side(pair[0]),
        this._side(pair[1]),
        this._result ?? { status: 'running' }
      );
      node.insertBefore(diff, list);
    }
  }

  private _renderEntry(entry: Entry, current: string | null): HTMLElement {
    const item = el('li', `jp-opsbook-History-entry jp-mod-${entry.type}`);
    item.dataset.key = entry.key;
    const selected = this._selected.includes(entry.key);
    item.classList.toggle('jp-mod-selected', selected);
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = selected;
    box.className = 'jp-opsbook-History-select';
    box.title = 'Select to compare (two at a time)';
    box.addEventListener('change', () => this._toggle(entry.key));
    const head = el('div', 'jp-opsbook-History-entryHead');
    if (entry.type === 'version') {
      const { record, seq } = entry.version;
      item.dataset.kind = record.kind;
      head.append(
        box,
        el('span', `jp-opsbook-History-kind jp-mod-${record.kind}`, record.kind),
        el('span', 'jp-opsbook-History-seq', `#${seq}`),
        el(
          'span',
          'jp-opsbook-History-who',
          record.authors.length ? record.authors.join(', ') : 'no editor seen'
        ),
        time(record.time)
      );
      item.append(head);
      const facts = el('div', 'jp-opsbook-History-facts');
      facts.append(el('span', '', 'version '), code(short(record.version), record.version));
      if (record.version === current) {
        facts.append(el('span', 'jp-opsbook-History-note', ' (current)'));
      }
      if (record.restoredFrom !== undefined) {
        facts.append(
          el('span', 'jp-opsbook-History-note', ` · restored from #${record.restoredFrom}`)
        );
      }
      item.append(facts);
      if (record.version !== current) {
        const restore = button('Restore', 'jp-opsbook-History-restore');
        restore.title = 'Make the cell this version again (recorded as a new version)';
        restore.addEventListener('click', () => void this._restore(entry.version));
        item.append(restore);
      }
    } else {
      const { record } = entry.run;
      head.append(
        box,
        el('span', 'jp-opsbook-History-kind jp-mod-ran', 'ran'),
        el('span', 'jp-opsbook-History-who', record.stamp.user),
        time(record.stamp.finishedAt)
      );
      item.append(head);
      const facts = el('div', 'jp-opsbook-History-facts');
      facts.append(
        el(
          'span',
          'jp-opsbook-History-rowCount',
          `${record.result.rowCount.toLocaleString('en-US')} rows`
        ),
        el('span', '', ' · result '),
        code(short(record.result.hash), record.result.hash),
        el('span', '', ' · of '),
        entry.version
          ? el('span', '', `#${entry.version.seq}`)
          : code(short(record.cellVersion), record.cellVersion)
      );
      item.append(facts);
    }
    return item;
  }
}

function asObject(value: unknown): { [key: string]: JsonValue } {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as { [key: string]: JsonValue })
    : {};
}

function button(label: string, className: string): HTMLButtonElement {
  const node = el('button', `jp-Button jp-mod-styled ${className}`, label) as HTMLButtonElement;
  return node;
}

function code(text: string, title?: string): HTMLElement {
  const node = el('code', 'jp-opsbook-History-code', text);
  if (title) {
    node.title = title;
  }
  return node;
}

function time(iso: string): HTMLElement {
  const node = el('time', 'jp-opsbook-History-time', new Date(iso).toLocaleString());
  node.setAttribute('datetime', iso);
  node.title = iso;
  return node;
}

const shortTime = (iso: string) => new Date(iso).toLocaleTimeString();
const short = (hex: string) => (hex.length > 10 ? hex.slice(0, 10) : hex);
