/**
 * The Audit Trail view (main area): the server's hash-chained audit log as a table, newest
 * first, filtered by notebook, user, action and time range, with "Load more" for older entries,
 * and the state of both chains at the top ("Audit trail verified: N entries" or the first bad
 * entry).
 *
 * Data: `GET /api/opsbook/audit/recent` (pages, newest first; the filters run on the server) and
 * `GET /api/opsbook/audit/verify`. The time inputs are the browser's local time; "to" includes
 * the whole minute it names.
 */
import { Widget } from '@lumino/widgets';
import type {
  AuditEntry,
  AuditFilters,
  AuditVerifyReport,
  ChainStatusView,
  RunLogClient
} from './api';

/** Entries per page. */
const PAGE = 50;

/** Options of the Audit view. */
export interface IAuditViewOptions {
  client: RunLogClient;
  /** The notebook the view starts filtered on (null: all notebooks). */
  notebook: string | null;
}

/** The content of the Audit Trail main-area widget. */
export class AuditView extends Widget {
  constructor(options: IAuditViewOptions) {
    super();
    this.client = options.client;
    this.currentNotebook = options.notebook;
    this.addClass('jp-opsbook-Audit');
    this.status.className = 'jp-opsbook-Audit-status';
    this.status.setAttribute('role', 'status');

    const filters = el('div', 'jp-opsbook-Audit-filters');
    this.notebookSelect.className = 'jp-mod-styled jp-opsbook-Audit-notebook';
    this.fillNotebooks([]);
    this.userInput.className = 'jp-mod-styled jp-opsbook-Audit-user';
    this.userInput.placeholder = 'Any user';
    this.users.id = `jp-opsbook-audit-users-${Private.nextId()}`;
    this.userInput.setAttribute('list', this.users.id);
    this.actionSelect.className = 'jp-mod-styled jp-opsbook-Audit-action';
    this.fillActions(DEFAULT_ACTIONS);
    for (const input of [this.fromInput, this.toInput]) {
      input.type = 'datetime-local';
      input.className = 'jp-mod-styled';
    }
    this.fromInput.classList.add('jp-opsbook-Audit-from');
    this.toInput.classList.add('jp-opsbook-Audit-to');
    const clear = el('button', 'jp-mod-styled jp-opsbook-Audit-clear', 'Clear filters');
    (clear as HTMLButtonElement).type = 'button';
    clear.addEventListener('click', () => {
      this.notebookSelect.value = '';
      this.userInput.value = '';
      this.actionSelect.value = '';
      this.fromInput.value = '';
      this.toInput.value = '';
      void this.reload();
    });
    filters.append(
      labelled('Notebook', this.notebookSelect),
      labelled('User', this.userInput),
      labelled('Action', this.actionSelect),
      labelled('From', this.fromInput),
      labelled('To', this.toInput),
      clear,
      this.users
    );
    for (const input of [this.notebookSelect, this.actionSelect, this.fromInput, this.toInput]) {
      input.addEventListener('change', () => void this.reload());
    }
    this.userInput.addEventListener('change', () => void this.reload());
    this.userInput.addEventListener('keydown', event => {
      if (event.key === 'Enter') void this.reload();
    });

    const table = el('table', 'jp-opsbook-Audit-table');
    const head = el('thead', '');
    const row = el('tr', '');
    for (const title of ['Seq', 'Time', 'User', 'Action', 'Notebook', 'Rationale', 'Details']) {
      row.append(el('th', '', title));
    }
    head.append(row);
    table.append(head, this.rows);
    const scroller = el('div', 'jp-opsbook-Audit-scroller');
    scroller.append(table, this.footer);
    this.footer.className = 'jp-opsbook-Audit-footer';
    this.more.className = 'jp-mod-styled jp-opsbook-Audit-more';
    this.more.type = 'button';
    this.more.textContent = 'Load older entries';
    this.more.addEventListener('click', () => void this.loadMore());
    this.node.append(this.status, filters, scroller);
  }

  /** Reloads the chain status and the first page with the current filters. */
  async refresh(): Promise<void> {
    await Promise.all([this.verify(), this.reload()]);
  }

  /** The entries shown, newest first. */
  get entries(): readonly AuditEntry[] {
    return this._entries;
  }

  private async verify(): Promise<void> {
    this.status.className = 'jp-opsbook-Audit-status';
    this.status.textContent = 'Verifying the audit trail…';
    try {
      this.showStatus(await this.client.auditVerify());
    } catch (error) {
      this.status.classList.add('jp-mod-bad');
      this.status.textContent = `Could not verify the audit trail: ${message(error)}`;
    }
  }

  private showStatus(report: AuditVerifyReport): void {
    this.status.replaceChildren();
    this.status.classList.toggle('jp-mod-ok', report.ok);
    this.status.classList.toggle('jp-mod-bad', !report.ok);
    const line = (chain: ChainStatusView, name: string, what: string) => {
      const p = el('div', 'jp-opsbook-Audit-chain');
      p.dataset.chain = name;
      if (chain.ok) {
        p.textContent = `✓ ${name === 'audit' ? 'Audit trail' : 'Run log'} verified: ${count(chain.verified)} ${what}`;
      } else {
        const bad = chain.firstBad!;
        p.textContent =
          `✗ ${name === 'audit' ? 'Audit trail' : 'Run log'} FAILED at entry ${bad.seq} ` +
          `(${bad.problem}): ${bad.reason} ${count(chain.verified)} entries verified before it.`;
        p.dataset.firstBad = String(bad.seq);
      }
      return p;
    };
    this.status.append(
      line(report.audit, 'audit', report.audit.verified === 1 ? 'entry' : 'entries'),
      line(report.runs, 'runs', report.runs.verified === 1 ? 'run' : 'runs')
    );
  }

  private filters(): AuditFilters {
    const from = this.fromInput.value ? new Date(this.fromInput.value) : null;
    // A datetime-local names a minute: "to" includes all of it.
    const to = this.toInput.value
      ? new Date(new Date(this.toInput.value).getTime() + 59_999)
      : null;
    return {
      notebook: this.notebookSelect.value || undefined,
      user: this.userInput.value.trim() || undefined,
      action: this.actionSelect.value || undefined,
      from: from && !Number.isNaN(from.getTime()) ? from.toISOString() : undefined,
      to: to && !Number.isNaN(to.getTime()) ? to.toISOString() : undefined,
      limit: PAGE
    };
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    this._entries = [];
    this.next = null;
    this.rows.replaceChildren();
    this.setFooter('Loading…');
    await this.load(generation, null);
  }

  private async loadMore(): Promise<void> {
    if (this.next !== null) {
      await this.load(this.generation, this.next);
    }
  }

  private async load(generation: number, before: number | null): Promise<void> {
    this.more.disabled = true;
    try {
      const page = await this.client.auditPage({ ...this.filters(), before });
      if (generation !== this.generation) return;
      this._entries = [...this._entries, ...page.entries];
      this.next = page.next;
      this.fillActions(page.actions);
      for (const entry of page.entries) {
        this.rows.append(rowOf(entry));
      }
      this.learn(page.entries);
      const shown = this._entries.length;
      this.setFooter(
        shown === 0
          ? 'No audit entries match these filters.'
          : `${count(shown)} entr${shown === 1 ? 'y' : 'ies'}, newest first` +
              (this.next === null ? ' — the start of the trail.' : '.')
      );
      if (this.next !== null) this.footer.append(this.more);
    } catch (error) {
      if (generation === this.generation) {
        this.setFooter(`Could not load the audit trail: ${message(error)}`, true);
      }
    } finally {
      this.more.disabled = false;
    }
  }

  /** Offers the users and notebooks seen so far in the filters. */
  private learn(entries: AuditEntry[]): void {
    for (const e of entries) {
      this.seenUsers.add(e.user);
      if (e.notebook) this.seenNotebooks.add(e.notebook.path);
    }
    this.users.replaceChildren(
      ...[...this.seenUsers]
        .sort()
        .map(u => Object.assign(document.createElement('option'), { value: u }))
    );
    this.fillNotebooks([...this.seenNotebooks]);
  }

  private fillNotebooks(paths: string[]): void {
    const value = this.notebookSelect.options.length
      ? this.notebookSelect.value
      : (this.currentNotebook ?? '');
    const all = new Set(paths);
    if (this.currentNotebook) all.add(this.currentNotebook);
    if (value) all.add(value);
    const options = [option('', 'All notebooks')];
    for (const path of [...all].sort()) {
      options.push(option(path, path === this.currentNotebook ? `${path} (current)` : path));
    }
    this.notebookSelect.replaceChildren(...options);
    this.notebookSelect.value = value;
  }

  private fillActions(actions: string[]): void {
    const value = this.actionSelect.value;
    this.actionSelect.replaceChildren(option('', 'Any action'), ...actions.map(a => option(a, a)));
    this.actionSelect.value = actions.includes(value) ? value : '';
  }

  private setFooter(text: string, error = false): void {
    this.footer.replaceChildren(el('span', error ? 'jp-opsbook-Audit-error' : '', text));
  }

  private readonly client: RunLogClient;
  private readonly currentNotebook: string | null;
  private readonly status = document.createElement('div');
  private readonly notebookSelect = document.createElement('select');
  private readonly userInput = document.createElement('input');
  private readonly users = document.createElement('datalist');
  private readonly actionSelect = document.createElement('select');
  private readonly fromInput = document.createElement('input');
  private readonly toInput = document.createElement('input');
  private readonly rows = document.createElement('tbody');
  private readonly footer = document.createElement('div');
  private readonly more = document.createElement('button');
  private readonly seenUsers = new Set<string>();
  private readonly seenNotebooks = new Set<string>();
  private _entries: AuditEntry[] = [];
  private next: number | null = null;
  private generation = 0;
}

/** Actions offered before the server has answered (it sends the full list with each page). */
const DEFAULT_ACTIONS = ['open', 'checkpoint', 'run', 'replay', 'ingest', 'export', 'rename'];

/** One table row. */
function rowOf(e: AuditEntry): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.seq = String(e.seq);
  tr.dataset.action = e.action;
  const time = el('td', 'jp-opsbook-Audit-time', new Date(e.time).toLocaleString());
  time.title = e.time;
  const action = el('td', '');
  action.append(el('span', `jp-opsbook-Audit-badge jp-mod-${e.action}`, e.action));
  const notebook = el('td', 'jp-opsbook-Audit-path', e.notebook?.path ?? '—');
  const rationale = el('td', 'jp-opsbook-Audit-rationale', e.rationale ?? '');
  const details = el('td', 'jp-opsbook-Audit-details', detailsSummary(e));
  details.title = JSON.stringify(e.details, null, 2);
  tr.append(
    el('td', 'jp-opsbook-Audit-seq', String(e.seq)),
    time,
    el('td', 'jp-opsbook-Audit-userCell', e.user),
    action,
    notebook,
    rationale,
    details
  );
  return tr;
}

/** A one-line summary of an entry's details, per action (the full JSON is the cell's tooltip). */
export function detailsSummary(e: { action: string; details: Record<string, unknown> }): string {
  const d = e.details;
  const s = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : '');
  const n = (k: string) => (typeof d[k] === 'number' ? count(d[k] as number) : '?');
  const short = (k: string) => s(k).slice(0, 8);
  switch (e.action) {
    case 'run':
      return `run ${short('runId')} of cell ${s('cellId')} · ${n('rows')} rows · result ${short('resultHash')}`;
    case 'replay':
      return `run ${short('runId')} ${d.reproduced ? 'reproduced' : 'diverged'} · ${n('rows')} rows`;
    case 'ingest':
      return (
        `${s('type') || 'ingest'} into ${s('dataset')} · ${n('rowsStored')} rows stored` +
        (Array.isArray(d.snapshotIds) ? ` · ${d.snapshotIds.length} snapshot(s)` : '')
      );
    case 'export':
      return s('format')
        ? `${s('format')} · ${n('runs')} runs`
        : `${s('log') || 'log'} seq ${n('fromSeq')}–${n('toSeq')} · ${n('notebookRuns')} runs`;
    case 'checkpoint':
      return `${s('operation')} ${s('checkpointId')}`.trim();
    default: {
      const text = Object.entries(d)
        .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
        .map(([k, v]) => `${k}: ${v}`)
        .join(' · ');
      return text.length > 120 ? `${text.slice(0, 119)}…` : text;
    }
  }
}

function labelled(text: string, input: HTMLElement): HTMLElement {
  const label = el('label', 'jp-opsbook-Audit-field');
  label.append(el('span', '', text), input);
  return label;
}

function option(value: string, text: string): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function el(tag: string, className: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const count = (n: number) => n.toLocaleString('en-US');
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

namespace Private {
  let id = 0;
  /** A page-unique number for element ids. */
  export function nextId(): number {
    return ++id;
  }
}
