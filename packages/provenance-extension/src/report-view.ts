/**
 * The Reproducibility Report view (main area): while "Replay notebook" runs, a progress bar with
 * Cancel; then the totals (reproduced / diverged / not replayable), one row per run (cell, user,
 * recorded time, outcome, reason with causes and row diff counts), the recorded runs that
 * disagree, and "Download report" as JSON or Markdown.
 */
import { Widget } from '@lumino/widgets';
import {
  reportToMarkdown,
  type ReplayNotebookProgress,
  type ReportRow,
  type ReproducibilityReport
} from './replay-notebook';
import { shortId } from './replay';

const VERDICT_LABEL: Record<ReportRow['verdict'], string> = {
  reproduced: 'reproduced',
  diverged: 'diverged',
  'not-replayable': 'not replayable'
};

/** The report widget: `progress` while replaying, then `showReport` (see the module comment). */
export class ReproducibilityReportView extends Widget {
  private _report: ReproducibilityReport | null = null;
  private readonly _controller = new AbortController();

  constructor(readonly notebook: string) {
    super();
    this.id = `opsbook-replay-report-${Date.now()}`;
    this.title.label = `Replay: ${notebook.split('/').pop()}`;
    this.title.caption = `Reproducibility report of ${notebook}`;
    this.title.closable = true;
    this.addClass('jp-opsbook-ReplayReport');
    this.progress({ done: 0, total: 0, row: null });
  }

  /** Aborted by the Cancel button (or when the view is closed while replaying). */
  get signal(): AbortSignal {
    return this._controller.signal;
  }

  /** The report shown, once the replay is done. */
  get report(): ReproducibilityReport | null {
    return this._report;
  }

  /** Shows how far the replay is. */
  progress(p: ReplayNotebookProgress): void {
    const node = this.node;
    node.replaceChildren(el('h2', 'jp-opsbook-ReplayReport-title', 'Replaying notebook…'));
    node.append(el('p', 'jp-opsbook-ReplayReport-notebook', this.notebook));
    const bar = document.createElement('progress');
    bar.className = 'jp-opsbook-ReplayReport-progress';
    bar.max = Math.max(p.total, 1);
    bar.value = p.done;
    const status = el(
      'p',
      'jp-opsbook-ReplayReport-status',
      p.total ? `Run ${Math.min(p.done + 1, p.total)} of ${p.total}` : 'Reading the run log…'
    );
    const cancel = el('button', 'jp-Button jp-mod-styled jp-mod-reject', 'Cancel');
    cancel.addEventListener('click', () => this._controller.abort());
    node.append(bar, status, cancel);
  }

  /** Shows a failure to start (e.g. the run log could not be read). */
  fail(message: string): void {
    this.node.replaceChildren(
      el('h2', 'jp-opsbook-ReplayReport-title', 'Replay notebook'),
      el('p', 'jp-opsbook-ReplayReport-error', message)
    );
  }

  /** Shows the finished report. */
  showReport(report: ReproducibilityReport): void {
    this._report = report;
    const node = this.node;
    const t = report.totals;
    node.replaceChildren(el('h2', 'jp-opsbook-ReplayReport-title', 'Reproducibility report'));
    node.append(
      el(
        'p',
        'jp-opsbook-ReplayReport-notebook',
        `${report.notebook} · ${new Date(report.finishedAt).toLocaleString()} · ` +
          `${(report.durationMs / 1000).toFixed(1)} s` +
          (report.cancelled ? ' · cancelled before the end' : '')
      )
    );
    const totals = el('div', 'jp-opsbook-ReplayReport-totals');
    totals.append(
      total('runs', t.runs, 'runs replayed'),
      total('reproduced', t.reproduced, 'reproduced'),
      total('diverged', t.diverged, 'diverged'),
      total('not-replayable', t.notReplayable, 'not replayable')
    );
    node.append(totals);
    const actions = el('div', 'jp-opsbook-ReplayReport-actions');
    const json = el('button', 'jp-Button jp-mod-styled', 'Download JSON');
    json.title = `Download the report as ${baseName(report.notebook)}.replay-report.json`;
    json.addEventListener('click', () =>
      download(
        `${baseName(report.notebook)}.replay-report.json`,
        `${JSON.stringify(report, null, 2)}\n`,
        'application/json'
      )
    );
    const md = el('button', 'jp-Button jp-mod-styled', 'Download Markdown');
    md.title = `Download the report as ${baseName(report.notebook)}.replay-report.md`;
    md.addEventListener('click', () =>
      download(
        `${baseName(report.notebook)}.replay-report.md`,
        reportToMarkdown(report),
        'text/markdown'
      )
    );
    actions.append(el('span', 'jp-opsbook-ReplayReport-note', 'Report:'), json, md);
    node.append(actions);
    if (report.rows.length === 0) {
      node.append(el('p', 'jp-opsbook-ReplayReport-note', 'This notebook has no recorded runs.'));
    } else {
      node.append(rowsTable(report.rows));
    }
    if (report.recordedDivergences.length) {
      node.append(el('h3', 'jp-opsbook-ReplayReport-subtitle', 'Recorded runs that disagree'));
      const list = el('ul', 'jp-opsbook-ReplayReport-disagree');
      for (const d of report.recordedDivergences) {
        list.append(
          el(
            'li',
            '',
            `Cell ${shortId(d.cellId)} (version ${shortId(d.cellVersion)}): runs ` +
              `${d.runIds.map(shortId).join(', ')} logged ${d.hashes.length} different results ` +
              `on the same snapshots. ${d.causes[0]?.message ?? 'No likely cause found.'}`
          )
        );
      }
      node.append(list);
    }
  }

  dispose(): void {
    this._controller.abort();
    super.dispose();
  }
}

function rowsTable(rows: ReportRow[]): HTMLElement {
  const table = el('table', 'jp-opsbook-ReplayReport-table');
  const head = el('tr', '');
  for (const h of ['#', 'Outcome', 'Cell', 'Reason', 'User', 'Recorded']) {
    head.append(el('th', '', h));
  }
  table.append(el('thead', ''));
  table.firstChild!.appendChild(head);
  const body = el('tbody', '');
  for (const row of rows) {
    const tr = el('tr', 'jp-opsbook-ReplayReport-row');
    tr.dataset.verdict = row.verdict;
    tr.dataset.runId = row.runId;
    const cell = el('td', '');
    const label = el('div', 'jp-opsbook-ReplayReport-cell');
    cell.append(label);
    label.append(
      el(
        'span',
        'jp-opsbook-ReplayReport-index',
        row.cell.index === null ? 'deleted' : `[${row.cell.index + 1}]`
      ),
      el('code', '', row.cell.firstLine)
    );
    cell.title = `cell ${row.cellId}, version ${row.cellVersion}, run ${row.runId}`;
    const outcome = el('td', 'jp-mod-nowrap');
    outcome.append(
      el(
        'span',
        `jp-opsbook-ReplayReport-verdict jp-mod-${row.verdict}`,
        VERDICT_LABEL[row.verdict]
      )
    );
    const reasonCell = el('td', '');
    // A block with a minimum width: table layout would squeeze the reason to a word per line.
    const reason = el('div', 'jp-opsbook-ReplayReport-reason');
    reasonCell.append(reason);
    if (row.reason) {
      reason.append(el('div', '', row.reason));
    }
    if (row.diff) {
      reason.append(
        el(
          'div',
          'jp-opsbook-ReplayReport-note',
          `rows ${fmt(row.diff.recordedRows)} → ${fmt(row.diff.replayedRows)}; among the first ` +
            `${fmt(row.diff.compared)}: ${row.diff.added} added, ${row.diff.removed} removed`
        )
      );
    }
    if (row.causes.length && row.verdict === 'diverged') {
      const kinds = row.causes.map(c => `${c.kind} (${c.confidence})`).join(', ');
      const causes = el('div', 'jp-opsbook-ReplayReport-causes', `causes: ${kinds}`);
      causes.dataset.kinds = row.causes.map(c => c.kind).join(' ');
      reason.append(causes);
    }
    if (row.recordedDisagreement?.length) {
      reason.append(
        el(
          'div',
          'jp-opsbook-ReplayReport-flag',
          `⚠ non-deterministic: run ${row.recordedDisagreement.map(shortId).join(', ')} of ` +
            `the same cell version on the same snapshots logged another result`
        )
      );
    }
    if (row.parents.length) {
      reason.append(
        el('div', 'jp-opsbook-ReplayReport-note', `reads ${row.parents.map(shortId).join(', ')}`)
      );
    }
    const recorded = el('td', 'jp-mod-nowrap', new Date(row.recordedAt).toLocaleString());
    recorded.title = row.recordedAt;
    tr.append(el('td', 'jp-mod-nowrap', String(row.seq)), outcome, cell, reasonCell);
    tr.append(el('td', 'jp-mod-nowrap', row.user), recorded);
    body.append(tr);
  }
  table.append(body);
  return table;
}

function total(kind: string, n: number, label: string): HTMLElement {
  const box = el('div', `jp-opsbook-ReplayReport-total jp-mod-${kind}`);
  box.dataset.kind = kind;
  box.append(el('span', 'jp-opsbook-ReplayReport-count', String(n)), el('span', '', label));
  return box;
}

function download(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const baseName = (path: string) => (path.split('/').pop() ?? path).replace(/\.ipynb$/, '');
const fmt = (n: number) => n.toLocaleString('en-US');

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
