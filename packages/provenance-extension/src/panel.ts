/**
 * The Provenance side panel: the runs of the active telemetry cell as the server's run log has
 * them (newest first): who, when, which cell version, which snapshots, how many rows, which result
 * hash; and a Replay button per run that re-executes the recorded SQL on the pinned snapshots in
 * the browser and shows whether it reproduced, or how it diverged and why it probably did.
 */
import type { ICellModel } from '@jupyterlab/cells';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { LabIcon } from '@jupyterlab/ui-components';
import { cellVersion } from '@opsbook/provenance';
import {
  isTelemetryMetadata,
  METADATA_KEY,
  readPins,
  TABLE_MIME,
  type ResultTable,
  type ResultValue
} from '@opsbook/telemetry-cell';
import { ActiveCellPanel } from './active-cell-panel';
import type { LoggedRun, ReplayView, RunLogClient } from './api';
import type { RecentResults } from './recorder';
import type { ReplayOutcome } from './replay';
import { disagreeingRuns } from './replay-notebook';

/** Options of `ProvenancePanel`. */
export interface IProvenancePanelOptions {
  tracker: INotebookTracker;
  client: RunLogClient;
  icon: LabIcon;
  /** Replays a run; `recorded` is its first rows when known. */
  replay(run: LoggedRun, recorded: ResultTable | null): Promise<ReplayOutcome>;
  recent: RecentResults;
}

/** What the panel knows about one replay. */
type ReplayState =
  | { status: 'running' }
  | { status: 'done'; outcome: ReplayOutcome }
  | { status: 'failed'; message: string };

/** How many added or removed rows a diverged replay lists. */
const LISTED_ROWS = 5;

/** How many runs the panel lists (older ones stay in the run log). */
const LISTED_RUNS = 20;

/** The side panel (see the module comment). */
export class ProvenancePanel extends ActiveCellPanel {
  private readonly _options: IProvenancePanelOptions;
  private _runs: LoggedRun[] | null = null;
  private _error: string | null = null;
  private readonly _replays = new Map<string, ReplayState>();
  /** The last replay of each listed run as the server logged it (by anyone, any session). */
  private readonly _lastReplays = new Map<string, ReplayView>();
  private _older = 0;

  constructor(options: IProvenancePanelOptions) {
    super(options.tracker);
    this._options = options;
    this.id = 'opsbook-provenance';
    this.title.icon = options.icon;
    this.title.caption = 'Provenance: runs of the active cell';
    this.addClass('jp-opsbook-Provenance');
    this.followActiveCell();
  }

  /** Reloads the runs of the active cell from the server. */
  async refresh(): Promise<void> {
    const panel = this.notebook;
    const cell = this.cell;
    if (!panel || !cell || !isTelemetryMetadata(cell.metadata)) {
      this._runs = null;
      this.render();
      return;
    }
    await this.load(
      async () => {
        this.render();
        const runs = await this._options.client.runs(panel.context.path, cell.id);
        const newest = runs.slice().reverse().slice(0, LISTED_RUNS);
        const replays = await Promise.all(
          newest.map(run => this._options.client.replays(run.record.runId).catch(() => []))
        );
        return { older: runs.length - newest.length, newest, replays };
      },
      ({ older, newest, replays }) => {
        this._runs = newest;
        this._older = older;
        newest.forEach((run, i) => {
          const last = replays[i][replays[i].length - 1];
          if (last) {
            this._lastReplays.set(run.record.runId, last);
          }
        });
        this._error = null;
      },
      error => {
        this._error = `Could not load the runs: ${error.message}`;
      }
    );
  }

  protected resetCell(): void {
    this._runs = null;
    this._error = null;
  }

  /** Sets (or with null removes) the active cell's snapshot pins, as one metadata change. */
  private _setPins(pins: Record<string, string> | null): void {
    const cell = this.cell;
    if (!cell) {
      return;
    }
    const current = { ...((cell.getMetadata(METADATA_KEY) as Record<string, unknown>) ?? {}) };
    if (pins) {
      current.pins = pins;
    } else {
      delete current.pins;
    }
    cell.setMetadata(METADATA_KEY, current);
    this.render();
  }

  private async _replay(run: LoggedRun): Promise<void> {
    const runId = run.record.runId;
    this._replays.set(runId, { status: 'running' });
    this.render();
    try {
      const outcome = await this._options.replay(run, this._recordedRows(runId));
      this._replays.set(runId, { status: 'done', outcome });
      this._lastReplays.set(runId, outcome.view);
    } catch (error) {
      this._replays.set(runId, { status: 'failed', message: (error as Error).message });
    }
    this.render();
  }

  /** The first rows of a run: kept by the recorder, or the cell's table if it shows that run. */
  private _recordedRows(runId: string): ResultTable | null {
    const kept = this._options.recent.get(runId);
    if (kept || !this.cell) {
      return kept;
    }
    const runs = (this.cell.getMetadata(METADATA_KEY) as { runs?: { runId: string }[] })?.runs;
    if (!runs?.length || runs[runs.length - 1].runId !== runId) {
      return null;
    }
    const outputs = this.cell.sharedModel.toJSON() as { outputs?: { data?: unknown }[] };
    for (const output of outputs.outputs ?? []) {
      const table = (output.data as Record<string, unknown> | undefined)?.[TABLE_MIME];
      if (table) {
        return table as ResultTable;
      }
    }
    return null;
  }

  protected render(): void {
    const node = this.node;
    node.replaceChildren();
    node.append(el('h2', 'jp-opsbook-Provenance-title', 'Provenance'));
    const cell = this.cell;
    if (!this.notebook || !cell || !isTelemetryMetadata(cell.metadata)) {
      node.append(
        el('p', 'jp-opsbook-Provenance-empty', 'Select a telemetry cell to see its recorded runs.')
      );
      return;
    }
    const current = safeVersion(cell);
    const head = el('div', 'jp-opsbook-Provenance-cell');
    head.append(
      el('span', '', 'Cell '),
      code(cell.id),
      el('span', '', ` in ${this.notebook.context.path}`)
    );
    node.append(head);
    const pins = readPins(cell.metadata);
    if (pins) {
      const pinned = el('div', 'jp-opsbook-Provenance-pins');
      pinned.append(
        el('span', '', 'Pinned to '),
        ...Object.entries(pins).map(([table, id]) => code(`${table}@${short(id)}`, id)),
        el('span', 'jp-opsbook-Provenance-note', ': runs read these snapshots, not the latest. ')
      );
      const unpin = el(
        'button',
        'jp-Button jp-mod-styled jp-mod-reject jp-opsbook-Provenance-unpin'
      );
      unpin.textContent = 'Unpin';
      unpin.title = 'Read the latest snapshot of every table again';
      unpin.addEventListener('click', () => this._setPins(null));
      pinned.append(unpin);
      node.append(pinned);
    }
    if (this._error) {
      node.append(el('p', 'jp-opsbook-Provenance-error', this._error));
    }
    if (this._runs === null) {
      node.append(el('p', 'jp-opsbook-Provenance-empty', 'Loading runs…'));
      return;
    }
    if (this._runs.length === 0) {
      node.append(
        el('p', 'jp-opsbook-Provenance-empty', 'No recorded runs yet: run the cell to record one.')
      );
      return;
    }
    const list = el('ol', 'jp-opsbook-Provenance-runs');
    for (const run of this._runs) {
      list.append(this._renderRun(run, current));
    }
    node.append(list);
    if (this._older > 0) {
      node.append(
        el(
          'p',
          'jp-opsbook-Provenance-note',
          `${fmt(this._older)} older run${this._older === 1 ? '' : 's'} of this cell are in the ` +
            'run log (GET /api/opsbook/runs).'
        )
      );
    }
  }

  private _renderRun(run: LoggedRun, current: string | null): HTMLElement {
    const { record } = run;
    const item = el('li', 'jp-opsbook-Provenance-run');
    item.dataset.runId = record.runId;
    const who = el('div', 'jp-opsbook-Provenance-who');
    who.append(
      el('strong', 'jp-opsbook-Provenance-user', record.stamp.user),
      el('span', '', ' · '),
      time(record.stamp.finishedAt)
    );
    item.append(who);
    const facts = el('dl', 'jp-opsbook-Provenance-facts');
    const version = code(short(record.cellVersion), record.cellVersion);
    const versionNote = el(
      'span',
      'jp-opsbook-Provenance-note',
      record.cellVersion === current ? ' (current)' : ' (an earlier version)'
    );
    fact(facts, 'Version', version, versionNote);
    const inputs = record.inputs.length
      ? record.inputs.map(i =>
          i.kind === 'result'
            ? code(
                `${i.table} ← ${i.run ? `run ${short(i.run)}` : 'unknown run'}`,
                i.run ? `the result of run ${i.run}` : 'made by a run that was not recorded'
              )
            : code(
                `${i.table}@${i.snapshotId ? short(i.snapshotId) : '?'}`,
                i.snapshotId ?? 'unknown'
              )
        )
      : [el('span', 'jp-opsbook-Provenance-note', 'no table')];
    fact(facts, 'Inputs', ...inputs);
    fact(facts, 'Rows', el('span', 'jp-opsbook-Provenance-rows', fmt(record.result.rowCount)));
    fact(facts, 'Result hash', code(short(record.result.hash), record.result.hash));
    item.append(facts);
    // Non-determinism between recorded runs: same version, SQL and inputs, another result.
    const disagree = disagreeingRuns(
      record,
      (this._runs ?? []).map(r => r.record)
    );
    if (disagree.length) {
      item.append(
        el(
          'p',
          'jp-opsbook-Provenance-flag',
          `⚠ Non-deterministic: run ${disagree.map(id => short(id)).join(', ')} of the same ` +
            'cell version on the same snapshots logged another result. Replay to see the ' +
            'likely cause.'
        )
      );
    }

    const state = this._replays.get(record.runId);
    const button = el(
      'button',
      'jp-Button jp-mod-styled jp-mod-accept jp-opsbook-Provenance-replay'
    );
    button.textContent = state?.status === 'running' ? 'Replaying…' : 'Replay';
    button.title = 'Re-run the recorded SQL on the snapshots this run read and compare the hashes';
    (button as HTMLButtonElement).disabled = state?.status === 'running';
    button.addEventListener('click', () => void this._replay(run));
    item.append(button);
    const pinnable = record.inputs.length > 0 && record.inputs.every(i => i.table && i.snapshotId);
    if (pinnable) {
      const pin = el('button', 'jp-Button jp-mod-styled jp-opsbook-Provenance-pin');
      pin.textContent = 'Pin';
      pin.title =
        'Make this cell read the snapshots this run read, whatever is ingested later (the pins are saved in the notebook)';
      pin.addEventListener('click', () =>
        this._setPins(Object.fromEntries(record.inputs.map(i => [i.table, i.snapshotId!])))
      );
      item.append(' ', pin);
    }
    const last = this._lastReplays.get(record.runId);
    if (state) {
      item.append(renderReplay(state));
    } else if (last) {
      item.append(renderLastReplay(last));
    }
    return item;
  }
}

/** One line about the last replay the server logged for a run. */
function renderLastReplay(view: ReplayView): HTMLElement {
  const box = el('div', 'jp-opsbook-Provenance-outcome jp-mod-history');
  box.classList.add(view.reproduced ? 'jp-mod-reproduced' : 'jp-mod-diverged');
  box.append(
    el('span', 'jp-opsbook-Provenance-note', 'Last replay: '),
    el('span', 'jp-opsbook-Provenance-verdict', view.reproduced ? 'reproduced' : 'diverged'),
    el('span', 'jp-opsbook-Provenance-note', ` by ${view.user}, `),
    time(view.time)
  );
  return box;
}

function renderReplay(state: ReplayState): HTMLElement {
  const box = el('div', 'jp-opsbook-Provenance-outcome');
  if (state.status === 'running') {
    box.append(el('span', 'jp-opsbook-Provenance-note', 'Running on the pinned snapshots…'));
    return box;
  }
  if (state.status === 'failed') {
    box.classList.add('jp-mod-failed');
    box.append(el('strong', '', 'Replay failed: '), el('span', '', state.message));
    return box;
  }
  const { view, diff, causes } = state.outcome;
  const verdict = view.reproduced ? 'reproduced' : 'diverged';
  box.classList.add(view.reproduced ? 'jp-mod-reproduced' : 'jp-mod-diverged');
  const badge = el('span', 'jp-opsbook-Provenance-verdict', verdict);
  box.append(badge);
  const detail = el('p', 'jp-opsbook-Provenance-note');
  if (view.reproduced) {
    detail.textContent = `Same result hash over ${fmt(view.rows)} rows, on the recorded snapshots (${fmt(view.durationMs)} ms).`;
  } else {
    detail.append(
      'Result hash ',
      code(short(view.hash), view.hash),
      ', recorded ',
      code(short(view.recordedHash), view.recordedHash),
      '.'
    );
  }
  box.append(detail);
  if (!view.reproduced && diff) {
    const counts = el(
      'p',
      'jp-opsbook-Provenance-diffCounts',
      `Rows: ${fmt(diff.recordedRows)} recorded, ${fmt(diff.replayedRows)} now.`
    );
    box.append(counts);
    if (diff.rowsAvailable) {
      box.append(
        el(
          'p',
          'jp-opsbook-Provenance-note',
          `In the first ${diff.compared === 1 ? 'row' : `${fmt(diff.compared)} rows`}: ` +
            `${diff.added.length} added, ${diff.removed.length} removed.`
        )
      );
      box.append(rowList('+', diff.columns, diff.added), rowList('−', diff.columns, diff.removed));
    } else {
      box.append(
        el(
          'p',
          'jp-opsbook-Provenance-note',
          'The recorded rows are not at hand (not run in this session), so only counts are compared.'
        )
      );
    }
    if (causes.length) {
      const list = el('ul', 'jp-opsbook-Provenance-causes');
      for (const cause of causes) {
        const li = el('li', 'jp-opsbook-Provenance-cause');
        li.dataset.kind = cause.kind;
        li.append(
          el('strong', '', `${cause.kind} (${cause.confidence}): `),
          el('span', '', cause.message)
        );
        list.append(li);
      }
      const title = causes.length === 1 ? 'Likely cause:' : 'Likely causes, most likely first:';
      box.append(el('p', 'jp-opsbook-Provenance-causesTitle', title), list);
    } else {
      box.append(
        el('p', 'jp-opsbook-Provenance-note', 'No likely cause found in the SQL or plan.')
      );
    }
  }
  return box;
}

function rowList(sign: string, columns: string[], rows: ResultValue[][]): HTMLElement {
  const list = el('ul', 'jp-opsbook-Provenance-diffRows');
  for (const row of rows.slice(0, LISTED_ROWS)) {
    const text = columns
      .map((c, i) => `${c}=${row[i] === null ? 'NULL' : String(row[i])}`)
      .join(', ');
    list.append(el('li', sign === '+' ? 'jp-mod-added' : 'jp-mod-removed', `${sign} ${text}`));
  }
  if (rows.length > LISTED_ROWS) {
    list.append(el('li', 'jp-opsbook-Provenance-note', `… ${rows.length - LISTED_ROWS} more`));
  }
  return list;
}

function el(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function code(text: string, title?: string): HTMLElement {
  const node = el('code', 'jp-opsbook-Provenance-code', text);
  if (title) {
    node.title = title;
  }
  return node;
}

function fact(list: HTMLElement, label: string, ...values: HTMLElement[]): void {
  const dd = el('dd', '');
  dd.append(...values);
  list.append(el('dt', '', label), dd);
}

function time(iso: string): HTMLElement {
  const node = el('time', 'jp-opsbook-Provenance-time', new Date(iso).toLocaleString());
  node.setAttribute('datetime', iso);
  node.title = iso;
  return node;
}

const short = (hex: string) => (hex.length > 12 ? `${hex.slice(0, 12)}…` : hex);
const fmt = (n: number) => n.toLocaleString('en-US');

function safeVersion(cell: ICellModel): string | null {
  try {
    return cellVersion({ source: cell.sharedModel.getSource(), metadata: cell.metadata });
  } catch {
    return null;
  }
}
