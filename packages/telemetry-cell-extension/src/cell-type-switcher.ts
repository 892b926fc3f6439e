/**
 * The notebook toolbar's cell-type menu, with "Telemetry" next to Code, Markdown and Raw.
 * It replaces JupyterLab's own `cellType` toolbar item (same name, so toolbar settings still apply).
 */
import { NotebookActions, type Notebook, type NotebookPanel } from '@jupyterlab/notebook';
import { isTelemetryMetadata, METADATA_KEY } from '@opsbook/telemetry-cell';
import { Widget } from '@lumino/widgets';
import { changeToTelemetryCell } from './commands';

type Choice = 'code' | 'markdown' | 'raw' | 'telemetry' | '-';

/** A `<select>` that shows and changes the type of the selected cells. */
export class CellTypeSwitcher extends Widget {
  private readonly _select = document.createElement('select');

  constructor(private readonly _notebook: Notebook) {
    super();
    this.addClass('jp-Notebook-toolbarCellType');
    this.addClass('jp-opsbook-CellTypeSwitcher');
    this._select.className = 'jp-Notebook-toolbarCellTypeDropdown jp-mod-styled';
    this._select.setAttribute('aria-label', 'Cell type');
    this._select.title = 'Select the cell type';
    for (const [value, label] of [
      ['-', '-'],
      ['code', 'Code'],
      ['telemetry', 'Telemetry'],
      ['markdown', 'Markdown'],
      ['raw', 'Raw']
    ]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      this._select.append(option);
    }
    this._select.onchange = () => this._change(this._select.value as Choice);
    this.node.append(this._select);
    _notebook.activeCellChanged.connect(this._sync, this);
    _notebook.selectionChanged.connect(this._sync, this);
    _notebook.modelContentChanged.connect(this._sync, this);
    this._sync();
  }

  private _current(): Choice {
    const cells = this._notebook.widgets.filter(c => this._notebook.isSelectedOrActive(c));
    const kinds = new Set(
      cells.map(c =>
        c.model.type === 'code' &&
        isTelemetryMetadata({ [METADATA_KEY]: c.model.getMetadata(METADATA_KEY) })
          ? 'telemetry'
          : c.model.type
      )
    );
    return kinds.size === 1 ? ([...kinds][0] as Choice) : '-';
  }

  private _sync(): void {
    this._select.value = this._current();
  }

  private _change(choice: Choice): void {
    const notebook = this._notebook;
    if (choice === 'telemetry') {
      changeToTelemetryCell(notebook);
    } else if (choice !== '-') {
      NotebookActions.changeCellType(notebook, choice);
      if (choice === 'code') {
        notebook.widgets
          .filter(c => notebook.isSelectedOrActive(c))
          .forEach(c => c.model.deleteMetadata(METADATA_KEY));
      }
    }
    this._sync();
    notebook.activate();
  }
}

/** The toolbar item factory for notebook panels. */
export function createCellTypeSwitcher(panel: NotebookPanel): Widget {
  return new CellTypeSwitcher(panel.content);
}
