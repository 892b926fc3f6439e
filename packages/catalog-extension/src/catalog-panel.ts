/**
 * The Catalog side panel: a toolbar (Upload, Pull from Prometheus, Pull alerts, Refresh), the
 * running and finished uploads and pulls, then the tree datasets -> tables -> snapshots with the
 * details of the selected snapshot below it. Table rows are draggable into cell editors (see
 * cell-insert.ts); files dropped anywhere on the panel are uploaded (see upload-dialog.ts).
 *
 * State lives in the panel (listing, per-dataset details, what is expanded and selected) and the
 * tree is redrawn from it after each change; jobs keep their own nodes so a redraw never
 * interrupts a progress bar.
 */
import { Widget } from '@lumino/widgets';
import type { CatalogClient, SqlTable } from './api';
import { setDragData } from './cell-insert';
import { acceptFileDrops } from './file-drop';
import { emptyState } from './empty-state';
import { button, count, h, range, short, shortId } from './format';
import { JobView } from './job-view';
import type {
  DatasetDetail,
  DatasetSummary,
  IngestMessage,
  PullRequest,
  SnapshotDetail
} from './protocol';
import { snapshotDetails } from './snapshot-details';
import { askUpload } from './upload-dialog';
import { askPull } from './pull-dialog';
import type { LabIcon } from '@jupyterlab/ui-components';

/** Options of the Catalog panel. */
export interface ICatalogPanelOptions {
  client: CatalogClient;
  id: string;
  icon: LabIcon;
  /** Inserts a SQL name into the active cell; false when there is none. */
  insert: (name: string) => boolean;
}

/** Where a table is in the tree. */
interface TableKey {
  dataset: string;
  table: string;
}

/** The Catalog panel. */
export class CatalogPanel extends Widget {
  constructor(options: ICatalogPanelOptions) {
    super();
    this.client = options.client;
    this.insertName = options.insert;
    this.id = options.id;
    this.title.icon = options.icon;
    this.title.caption = 'Telemetry catalog: datasets, tables and snapshots';
    this.addClass('jp-opsbook-SidePanel');
    this.addClass('jp-opsbook-CatalogPanel');

    const toolbar = h('div', 'jp-opsbook-CatalogToolbar');
    const titleRow = h('div', 'jp-opsbook-CatalogTitleRow');
    titleRow.append(
      h('h2', 'jp-opsbook-PanelTitle', 'Catalog'),
      button(
        'jp-opsbook-RefreshButton',
        '⟳ Refresh',
        () => void this.refresh(),
        'Reload the catalog'
      )
    );
    this.readOnlyNote.hidden = true;
    toolbar.append(
      titleRow,
      this.uploadButton,
      this.pullButton,
      this.alertsButton,
      this.readOnlyNote
    );
    this.alertsButton.hidden = true;
    this.fileInput.type = 'file';
    this.fileInput.multiple = true;
    this.fileInput.hidden = true;
    this.fileInput.className = 'jp-opsbook-FileInput';
    this.fileInput.addEventListener('change', () => {
      const files = [...(this.fileInput.files ?? [])];
      this.fileInput.value = '';
      if (files.length) {
        void this.upload(files);
      }
    });
    this.dropHint.append(h('div', '', 'Drop files to upload them to the catalog'));
    this.node.append(toolbar, this.fileInput, this.jobs, this.body, this.dropHint);
    acceptFileDrops(this, files => void this.upload(files));
  }

  /** Reloads the listing (and the details of expanded datasets), keeping what is selected. */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    this.render();
    try {
      const [datasets, sqlTables] = await Promise.all([
        this.client.datasets(),
        this.client.sqlTables()
      ]);
      if (generation !== this.generation) {
        return;
      }
      this.datasets = datasets;
      this.sqlTables = sqlTables;
      this.error = null;
      this.details.clear();
      this.detailErrors.clear();
      const wanted = new Set(datasets.map(d => d.name).filter(d => !this.collapsed.has(d)));
      if (this.selected && !wanted.has(this.selected.dataset)) {
        this.selected = null;
      }
      await Promise.all([...wanted].map(d => this.loadDetail(d)));
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.render();
      }
    }
    void Promise.all([this.client.sources().catch(() => []), this.client.canIngest()]).then(
      ([sources, canIngest]) => {
        // Viewers cannot add data (the server refuses it): no buttons that can only fail.
        this.uploadButton.hidden = !canIngest;
        this.pullButton.hidden = !canIngest;
        this.alertsButton.hidden = !canIngest || !sources.some(s => s.kind === 'alertmanager');
        this.readOnlyNote.hidden = canIngest;
        if (this.canIngest !== canIngest) {
          this.canIngest = canIngest;
          this.render();
        }
      }
    );
  }

  /** Opens the file chooser. */
  chooseFiles(): void {
    this.fileInput.click();
  }

  /** Asks how to upload `files`, then uploads them one after the other. */
  async upload(files: File[]): Promise<void> {
    const choices = await askUpload(
      files,
      this.datasets.map(d => d.name)
    );
    if (!choices) {
      return;
    }
    const runs = choices.map(choice => {
      const view = this.addJob(`${choice.file.name} → ${choice.dataset}`, choice.file.size);
      view.node.dataset.file = choice.file.name;
      return { choice, view };
    });
    for (const { choice, view } of runs) {
      const job = this.client.upload(
        {
          file: choice.file,
          dataset: choice.dataset,
          kind: choice.kind,
          onError: choice.onError,
          table: choice.table
        },
        {
          onUploadProgress: (sent, total) => view.uploadProgress(sent, total),
          onMessage: m => view.message(m)
        }
      );
      view.attach(job);
      await this.finished(await job.done, choice.dataset, view);
    }
  }

  /** Asks for a pull from a configured source, then runs it. */
  async pull(kind: 'prometheus' | 'alertmanager'): Promise<void> {
    let sources;
    try {
      sources = await this.client.sources();
    } catch (err) {
      const view = this.addJob(
        kind === 'prometheus' ? 'Pull from Prometheus' : 'Pull alerts',
        null
      );
      view.message({
        type: 'error',
        error: {
          code: 'sources',
          message: String(err instanceof Error ? err.message : err),
          position: null
        }
      });
      return;
    }
    const request = await askPull(
      kind,
      sources,
      this.datasets.map(d => d.name)
    );
    if (request) {
      await this.runPull(request);
    }
  }

  /** Runs a pull request (the dialog's or a command's). */
  async runPull(request: PullRequest): Promise<IngestMessage> {
    const title =
      request.source === 'prometheus'
        ? `Prometheus ${request.name}: ${request.query ?? ''} → ${request.dataset}`
        : `Alertmanager ${request.name} → ${request.dataset}`;
    const view = this.addJob(title, null);
    const job = this.client.pull(request, { onMessage: m => view.message(m) });
    view.attach(job);
    const final = await job.done;
    await this.finished(final, request.dataset, view);
    return final;
  }

  /** The SQL name of a table in the browser (and its other names). */
  sqlNames(key: TableKey): { name: string; aliases: string[] } {
    const matches = this.sqlTables
      .filter(t => t.snapshot?.dataset === key.dataset && sameTable(t.snapshot.table, key.table))
      .map(t => t.name);
    const preferred = `${key.dataset}_${key.table}`;
    const name = matches.includes(preferred) ? preferred : (matches[0] ?? preferred);
    return { name, aliases: matches.filter(m => m !== name) };
  }

  protected onAfterAttach(): void {
    if (!this.loadedOnce) {
      this.loadedOnce = true;
      void this.refresh();
    }
  }

  private async finished(final: IngestMessage, dataset: string, view: JobView): Promise<void> {
    view.node.scrollIntoView({ block: 'nearest' });
    if (final.type === 'report') {
      const name = final.report.dataset || dataset;
      this.collapsed.delete(name);
      // Show the snapshots of every table the ingest touched.
      for (const table of Object.keys(final.report.tables)) {
        this.openTables.add(`${name}/${table}`);
      }
      const first = final.snapshots[0];
      if (first) {
        this.selected = {
          dataset: first.dataset || dataset,
          table: first.table,
          snapshot: first.id
        };
      }
      const before = new Set(this.sqlTables.map(t => t.name));
      await this.refresh();
      const added = this.sqlTables.map(t => t.name).filter(n => !before.has(n));
      if (added.length) {
        // Running DuckDB kernels pick up new tables and snapshots before their next run.
        view.note(`New SQL tables: ${added.join(', ')}, ready in every notebook.`);
      }
    }
  }

  private addJob(title: string, totalBytes: number | null): JobView {
    const view = new JobView({
      title,
      totalBytes,
      onDismiss: v => v.node.remove()
    });
    this.jobs.prepend(view.node);
    // New jobs go on top: bring them into view however far down the user scrolled.
    requestAnimationFrame(() => view.node.scrollIntoView({ block: 'nearest' }));
    return view;
  }

  private async loadDetail(dataset: string): Promise<DatasetDetail | null> {
    try {
      const detail = await this.client.dataset(dataset);
      this.details.set(dataset, detail);
      return detail;
    } catch (err) {
      this.detailErrors.set(dataset, err instanceof Error ? err.message : String(err));
      return null;
    }
  }

  private snapshotsOf(key: TableKey): SnapshotDetail[] {
    const detail = this.details.get(key.dataset);
    return (detail?.snapshots ?? [])
      .filter(s => sameTable(s.table, key.table))
      .sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
  }

  private findSnapshot(id: string): SnapshotDetail | null {
    for (const detail of this.details.values()) {
      const found = detail.snapshots.find(s => s.id === id);
      if (found) {
        return found;
      }
    }
    return null;
  }

  private async toggleDataset(name: string): Promise<void> {
    if (!this.collapsed.has(name)) {
      this.collapsed.add(name);
    } else {
      this.collapsed.delete(name);
      if (!this.details.has(name)) {
        this.render();
        await this.loadDetail(name);
      }
    }
    this.render();
  }

  private selectTable(key: TableKey): void {
    const tableKey = `${key.dataset}/${key.table}`;
    const newest = this.snapshotsOf(key)[0];
    if (this.openTables.has(tableKey) && this.selected?.table === key.table) {
      this.openTables.delete(tableKey);
    } else {
      this.openTables.add(tableKey);
    }
    this.selected = { ...key, snapshot: newest?.id ?? null };
    this.render();
  }

  private render(): void {
    const body = h('div', 'jp-opsbook-PanelBody');
    if (this.error) {
      const error = h('div', 'jp-opsbook-CatalogError');
      error.append(
        h('strong', '', 'The catalog could not be loaded. '),
        h('span', '', this.error),
        button('', 'Try again', () => void this.refresh())
      );
      body.append(error);
    } else if (!this.datasets.length) {
      body.append(
        this.loading
          ? h('p', 'jp-opsbook-Dim', 'Loading the catalog…')
          : emptyState(
              this.canIngest
                ? {
                    chooseFiles: () => this.chooseFiles(),
                    pull: () => void this.pull('prometheus')
                  }
                : null
            )
      );
    } else {
      const tree = h('ul', 'jp-opsbook-Tree');
      for (const d of this.datasets) {
        tree.append(this.datasetNode(d));
      }
      body.append(tree);
      const details = this.detailsNode();
      if (details) {
        body.append(details);
      }
    }
    this.body.replaceChildren(body);
    this.node.dataset.loading = String(this.loading);
  }

  private datasetNode(d: DatasetSummary): HTMLElement {
    const li = h('li', 'jp-opsbook-TreeDataset');
    li.dataset.dataset = d.name;
    const open = !this.collapsed.has(d.name);
    const row = h('div', 'jp-opsbook-TreeRow');
    row.append(
      h('span', 'jp-opsbook-Caret', open ? '▾' : '▸'),
      h('span', 'jp-opsbook-TreeName', d.name),
      h('span', 'jp-opsbook-Dim', ` ${d.by ?? ''}${d.updated ? `, ${short(d.updated)}` : ''}`)
    );
    row.title = d.manifestId ? `Version ${shortId(d.manifestId)}` : d.name;
    row.addEventListener('click', () => void this.toggleDataset(d.name));
    li.append(row);
    if (open) {
      const tables = h('ul', 'jp-opsbook-TreeTables');
      for (const t of d.tables) {
        tables.append(this.tableNode(d, t.table, t.rows, t.timeRange));
      }
      const error = this.detailErrors.get(d.name);
      if (error && !this.details.has(d.name)) {
        tables.append(h('li', 'jp-opsbook-CatalogError', error));
      }
      li.append(tables);
    }
    return li;
  }

  private tableNode(
    d: DatasetSummary,
    table: string,
    rows: number | null,
    timeRange: { start: string; end: string } | null
  ): HTMLElement {
    const key = { dataset: d.name, table };
    const { name } = this.sqlNames(key);
    const li = h('li', 'jp-opsbook-TreeTable');
    li.dataset.table = table;
    const row = h('div', 'jp-opsbook-TreeRow jp-opsbook-TableRow');
    row.draggable = true;
    row.dataset.sqlName = name;
    row.title = `${name}: ${range(timeRange)}\nDrag into a cell, or right-click → Insert into Active Cell`;
    if (this.selected?.dataset === d.name && this.selected.table === table) {
      row.classList.add('jp-mod-selected');
    }
    const snapshots = this.snapshotsOf(key);
    const open = this.openTables.has(`${d.name}/${table}`);
    row.append(
      h('span', 'jp-opsbook-Caret', snapshots.length ? (open ? '▾' : '▸') : ''),
      h('code', 'jp-opsbook-SqlName', name),
      h('span', 'jp-opsbook-Rows', count(rows))
    );
    row.setAttribute('aria-label', `${table} of ${d.name}: ${name}`);
    row.addEventListener('click', () => this.selectTable(key));
    row.addEventListener('dragstart', event => {
      setDragData(event, {
        name,
        dataset: d.name,
        table,
        snapshotId: snapshots[0]?.id ?? null
      });
      row.classList.add('jp-mod-dragging');
    });
    row.addEventListener('dragend', () => row.classList.remove('jp-mod-dragging'));
    li.append(row);
    if (open && snapshots.length) {
      const list = h('ul', 'jp-opsbook-TreeSnapshots');
      for (const s of snapshots) {
        const item = h('li', 'jp-opsbook-TreeRow jp-opsbook-SnapshotRow');
        item.dataset.snapshot = s.id;
        if (this.selected?.snapshot === s.id) {
          item.classList.add('jp-mod-selected');
        }
        item.append(
          h('code', '', shortId(s.id)),
          h('span', 'jp-opsbook-Dim', ` ${short(s.created)}`),
          h('span', 'jp-opsbook-Rows', count(s.rows))
        );
        item.addEventListener('click', () => {
          this.selected = { ...key, snapshot: s.id };
          this.render();
        });
        list.append(item);
      }
      li.append(list);
    }
    return li;
  }

  private detailsNode(): HTMLElement | null {
    const selected = this.selected;
    if (!selected) {
      return h(
        'p',
        'jp-opsbook-Dim jp-opsbook-Hint',
        'Select a table to see its snapshots, schema and quality.'
      );
    }
    const snapshots = this.snapshotsOf(selected);
    const snapshot = snapshots.find(s => s.id === selected.snapshot) ?? snapshots[0];
    if (!snapshot) {
      return this.details.has(selected.dataset)
        ? null
        : h('p', 'jp-opsbook-Dim', 'Loading the snapshots…');
    }
    const { name, aliases } = this.sqlNames(selected);
    return snapshotDetails({
      snapshot,
      sqlName: name,
      aliases,
      latest: snapshot === snapshots[0],
      insert: n => {
        if (!this.insertName(n)) {
          this.flash('Select a code or telemetry cell in a notebook first.');
        }
      },
      select: id => {
        const found = this.findSnapshot(id);
        if (found) {
          this.selected = { dataset: found.dataset, table: found.table, snapshot: found.id };
          this.openTables.add(`${found.dataset}/${found.table}`);
          this.render();
        }
      },
      known: id => this.findSnapshot(id)
    });
  }

  /** A short message at the top of the panel. */
  private flash(text: string): void {
    const note = h('div', 'jp-opsbook-Flash', text);
    this.jobs.prepend(note);
    setTimeout(() => note.remove(), 4000);
  }

  private readonly client: CatalogClient;
  private readonly insertName: (name: string) => boolean;
  private readonly jobs = h('div', 'jp-opsbook-Jobs');
  private readonly body = h('div', 'jp-opsbook-CatalogBody');
  private readonly dropHint = h('div', 'jp-opsbook-DropHint');
  private readonly fileInput = document.createElement('input');
  private readonly uploadButton = button(
    'jp-opsbook-UploadButton',
    'Upload…',
    () => void this.chooseFiles(),
    'Upload telemetry files'
  );
  private readonly pullButton = button(
    'jp-opsbook-PullButton',
    'Pull from Prometheus…',
    () => void this.pull('prometheus')
  );
  private readonly readOnlyNote = h(
    'div',
    'jp-opsbook-ReadOnlyNote',
    'You can read the catalog; adding data needs the editor role.'
  );
  private readonly alertsButton = button(
    'jp-opsbook-PullAlertsButton',
    'Pull alerts…',
    () => void this.pull('alertmanager'),
    'Pull alerts from Alertmanager'
  );
  private datasets: DatasetSummary[] = [];
  private sqlTables: SqlTable[] = [];
  private readonly details = new Map<string, DatasetDetail>();
  private readonly detailErrors = new Map<string, string>();
  /** Datasets the user folded (all others are open). */
  private readonly collapsed = new Set<string>();
  private readonly openTables = new Set<string>();
  private selected: (TableKey & { snapshot: string | null }) | null = null;
  private error: string | null = null;
  private loading = false;
  /** From `/api/me` permissions; until known, assume yes (the server decides anyway). */
  private canIngest = true;
  private loadedOnce = false;
  private generation = 0;
}

/** `metrics` and `metric_points` are one table. */
function sameTable(a: string, b: string): boolean {
  const canonical = (t: string) => (t === 'metric_points' ? 'metrics' : t);
  return canonical(a) === canonical(b);
}
