/**
 * The telemetry table: a virtual-scrolling view of a result's stored rows with page controls.
 * Only the rows in view are in the DOM, so a 1,000-row result stays as light as a 30-row one.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { summary, TABLE_MIME, type ResultValue, type TableBundle } from '@opsbook/telemetry-cell';
import { Widget } from '@lumino/widgets';

const ROW_HEIGHT = 24;
const VIEW_ROWS = 14;
const PAGE_ROWS = 100;

/** Renders `TABLE_MIME`. */
export class TableRenderer extends Widget implements IRenderMime.IRenderer {
  private _bundle: TableBundle | null = null;
  private readonly _scroller = document.createElement('div');
  private readonly _spacer = document.createElement('div');
  private readonly _body = document.createElement('table');
  private readonly _footer = document.createElement('div');
  private _frame = 0;

  constructor() {
    super();
    this.addClass('jp-opsbook-Table');
    this._scroller.className = 'jp-opsbook-Table-scroller';
    this._spacer.className = 'jp-opsbook-Table-spacer';
    this._body.className = 'jp-opsbook-Table-grid';
    this._footer.className = 'jp-opsbook-Table-footer';
    this._scroller.append(this._spacer);
    this._spacer.append(this._body);
    this.node.append(this._scroller, this._footer);
    this._scroller.addEventListener('scroll', () => {
      cancelAnimationFrame(this._frame);
      this._frame = requestAnimationFrame(() => this._paint());
    });
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this._bundle = model.data[TABLE_MIME] as unknown as TableBundle;
    const rows = this._bundle.rows.length;
    this._scroller.style.height = `${(Math.min(rows, VIEW_ROWS) + 1) * ROW_HEIGHT + 2}px`;
    this._spacer.style.height = `${(rows + 1) * ROW_HEIGHT}px`;
    this.node.dataset.rows = String(rows);
    this.node.dataset.totalRows = String(this._bundle.totalRows);
    this._renderFooter();
    this._paint();
  }

  /** Draws the header and the rows in view. */
  private _paint(): void {
    const bundle = this._bundle;
    if (!bundle) {
      return;
    }
    const first = Math.max(0, Math.floor(this._scroller.scrollTop / ROW_HEIGHT) - 2);
    const last = Math.min(bundle.rows.length, first + VIEW_ROWS + 4);
    const head = `<thead><tr><th class="jp-opsbook-Table-index">#</th>${bundle.columns
      .map(c => `<th title="${escape(c.type)}">${escape(c.name)}</th>`)
      .join('')}</tr></thead>`;
    const body: string[] = [];
    for (let r = first; r < last; r++) {
      const cells = bundle.rows[r].map(
        v => `<td class="${cellClass(v)}">${escape(format(v))}</td>`
      );
      body.push(`<tr><td class="jp-opsbook-Table-index">${r + 1}</td>${cells.join('')}</tr>`);
    }
    this._body.innerHTML = `${head}<tbody>${body.join('')}</tbody>`;
    // Only rows in view exist; the grid sits where they belong in the full-height spacer, and the
    // header cells are sticky (CSS) so they stay at the top of the scroller.
    this._body.style.top = `${first * ROW_HEIGHT}px`;
  }

  private _renderFooter(): void {
    const bundle = this._bundle!;
    const elapsed =
      bundle.elapsedMs !== undefined ? ` · ${(bundle.elapsedMs / 1000).toFixed(2)} s` : '';
    this._footer.textContent = '';
    const text = document.createElement('span');
    text.className = 'jp-opsbook-Table-summary';
    text.textContent = summary(bundle) + elapsed;
    this._footer.append(text);
    const pages = Math.ceil(bundle.rows.length / PAGE_ROWS);
    if (pages > 1) {
      const nav = document.createElement('span');
      nav.className = 'jp-opsbook-Table-pages';
      const button = (label: string, title: string, delta: number) => {
        const b = document.createElement('button');
        b.className = 'jp-Button jp-mod-minimal jp-mod-styled';
        b.textContent = label;
        b.title = title;
        b.onclick = () => {
          const page = Math.floor(this._scroller.scrollTop / (PAGE_ROWS * ROW_HEIGHT));
          const next = Math.max(0, Math.min(pages - 1, page + delta));
          this._scroller.scrollTop = next * PAGE_ROWS * ROW_HEIGHT;
        };
        return b;
      };
      nav.append(
        button('‹', `Previous ${PAGE_ROWS} rows`, -1),
        button('›', `Next ${PAGE_ROWS} rows`, 1)
      );
      this._footer.append(nav);
    }
  }
}

function format(value: ResultValue): string {
  if (value === null) {
    return 'NULL';
  }
  if (typeof value === 'number' && !Number.isInteger(value)) {
    return String(Math.round(value * 1e4) / 1e4);
  }
  return String(value);
}

function cellClass(value: ResultValue): string {
  return value === null ? 'jp-opsbook-null' : typeof value === 'number' ? 'jp-opsbook-number' : '';
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
