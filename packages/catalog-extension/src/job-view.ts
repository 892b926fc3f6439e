/**
 * One upload or pull as the user sees it in the Catalog panel: a progress bar (bytes sent of the
 * file, rows read by the server) while it runs, then its report (rows in, stored, duplicates
 * dropped, quarantined rows grouped by reason, snapshot ids) or its error with the position.
 */
import type { Job } from './api';
import { bytes, button, count, h, shortId } from './format';
import { positionText, type IngestMessage } from './protocol';

/** Options of a job view. */
export interface IJobViewOptions {
  /** What runs: "checkout.json → default" or "Prometheus: up". */
  title: string;
  /** Bytes of the upload, when known (for the progress bar). */
  totalBytes: number | null;
  /** Called when the user dismisses the finished job. */
  onDismiss: (view: JobView) => void;
}

/** The view of one running or finished job. */
export class JobView {
  /** The root element. */
  readonly node = h('div', 'jp-opsbook-Job');

  constructor(options: IJobViewOptions) {
    this.options = options;
    this.node.dataset.state = 'running';
    const head = h('div', 'jp-opsbook-Job-head');
    head.append(h('span', 'jp-opsbook-Job-title', options.title), this.action);
    this.bar.max = 1;
    this.bar.value = 0;
    this.node.append(head, this.bar, this.status, this.body);
    this.status.textContent = 'Starting…';
  }

  /** Wires the cancel button to `job`. */
  attach(job: Job): void {
    this.job = job;
    this.action.replaceChildren(button('jp-opsbook-Job-cancel', 'Cancel', () => job.cancel()));
  }

  /** Bytes of the request body sent. */
  uploadProgress(sent: number, total: number): void {
    this.sent = sent;
    this.total = total || this.options.totalBytes || 0;
    this.redraw();
  }

  /** A line of the server's answer. */
  message(message: IngestMessage): void {
    if (message.type === 'progress') {
      this.rowsRead = message.rowsRead;
      this.bytesRead = message.bytesRead;
      this.redraw();
      return;
    }
    this.job = null;
    this.action.replaceChildren(
      button('jp-opsbook-Job-dismiss', '×', () => this.options.onDismiss(this), 'Dismiss')
    );
    this.bar.remove();
    if (message.type === 'error') {
      this.node.dataset.state = 'error';
      const { message: text, position, code } = message.error;
      this.status.textContent = code === 'cancelled' ? 'Cancelled' : 'Failed';
      const error = h('div', 'jp-opsbook-Job-error');
      // Adapter messages start with their position ("line 3, byte 120: ..."): show it as a heading.
      const lead = /^((?:line|byte|record|row) [^:]*?):\s+(.*)$/s.exec(text);
      const where = lead ? lead[1] : positionText(position);
      if (where) {
        error.append(h('div', 'jp-opsbook-Job-position', `At ${where}:`));
      }
      error.append(h('div', 'jp-opsbook-Job-message', lead ? lead[2] : text));
      this.body.replaceChildren(error);
      return;
    }
    const { report, snapshots } = message;
    this.node.dataset.state = report.unchanged ? 'unchanged' : 'done';
    this.status.textContent = !report.unchanged
      ? `Stored ${count(report.rowsStored)} ${report.rowsStored === 1 ? 'row' : 'rows'} in dataset ${report.dataset}.`
      : report.rowsRead === 0
        ? 'Nothing new: the input holds no rows.'
        : report.duplicatesDropped === report.rowsRead
          ? `Nothing new: all ${count(report.rowsRead)} rows are already in dataset ${report.dataset}.`
          : `Nothing new stored: ${count(report.duplicatesDropped)} rows were already in dataset ${report.dataset}, ${count(report.rowsQuarantined)} quarantined.`;
    const table = h('table', 'jp-opsbook-Job-report');
    const row = (label: string, value: string, key: string) => {
      const tr = h('tr', '');
      tr.dataset.figure = key;
      tr.append(h('th', '', label), h('td', '', value));
      table.append(tr);
    };
    row('Rows in', count(report.rowsRead), 'rowsRead');
    row('Rows stored', count(report.rowsStored), 'rowsStored');
    row('Duplicates dropped', count(report.duplicatesDropped), 'duplicatesDropped');
    row('Rows quarantined', count(report.rowsQuarantined), 'rowsQuarantined');
    for (const [name, t] of Object.entries(report.tables)) {
      row(
        `· ${name}`,
        `${count(t.rowsStored)} stored of ${count(t.rowsIn)}` +
          (t.duplicatesDropped ? `, ${count(t.duplicatesDropped)} duplicates` : ''),
        `table-${name}`
      );
    }
    const parts: HTMLElement[] = [table];
    if (report.quarantine.length) {
      const list = h('ul', 'jp-opsbook-Job-reasons');
      for (const reason of report.quarantine) {
        const li = h('li', '');
        li.append(
          h('span', 'jp-opsbook-Job-reasonCode', `${reason.code} × ${count(reason.rows)}`),
          h('span', 'jp-opsbook-Job-reasonText', reason.example)
        );
        list.append(li);
      }
      parts.push(h('div', 'jp-opsbook-Job-subtitle', 'Quarantined, by reason'), list);
    }
    const ids = snapshots.length
      ? snapshots.map(s => `${s.table} ${shortId(s.id)}`)
      : Object.entries(report.tables)
          .filter(([, t]) => t.snapshotId)
          .map(([name, t]) => `${name} ${shortId(t.snapshotId)}`);
    if (ids.length) {
      const list = h('div', 'jp-opsbook-Job-snapshots');
      list.append(h('span', 'jp-opsbook-Job-subtitle', 'New snapshots: '));
      list.append(h('code', '', ids.join(', ')));
      parts.push(list);
    }
    for (const note of report.notes) {
      parts.push(h('div', 'jp-opsbook-Job-note', note));
    }
    this.body.replaceChildren(...parts);
  }

  /** Adds a note under the report (new SQL tables, what to do next). */
  note(...content: (string | HTMLElement)[]): void {
    const note = h('div', 'jp-opsbook-Job-note');
    note.append(...content);
    this.body.append(note);
  }

  /** True while the job runs. */
  get running(): boolean {
    return this.job !== null;
  }

  private redraw(): void {
    const total = this.total || this.options.totalBytes || 0;
    const parts: string[] = [];
    if (total > 0) {
      this.bar.value = Math.min(1, this.sent / total);
      parts.push(`${bytes(this.sent)} of ${bytes(total)} sent`);
    } else {
      this.bar.removeAttribute('value');
    }
    if (this.rowsRead !== null) {
      parts.push(`${count(this.rowsRead)} rows read`);
    }
    if (total > 0 && this.sent >= total && this.rowsRead === null) {
      parts.push('processing…');
    }
    this.status.textContent = parts.join(' · ') || 'Starting…';
    this.node.dataset.rowsRead = String(this.rowsRead ?? 0);
    this.node.dataset.bytesRead = String(this.bytesRead);
  }

  private readonly options: IJobViewOptions;
  private readonly action = h('span', 'jp-opsbook-Job-action');
  private readonly bar = h('progress', 'jp-opsbook-Job-bar');
  private readonly status = h('div', 'jp-opsbook-Job-status');
  private readonly body = h('div', 'jp-opsbook-Job-body');
  private job: Job | null = null;
  private sent = 0;
  private total = 0;
  private rowsRead: number | null = null;
  private bytesRead = 0;
}
