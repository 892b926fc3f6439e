/**
 * Getting a catalog table into a telemetry cell, by drag and drop or by command.
 *
 * The panel's table rows are HTML5-draggable with two kinds of data: `text/plain`, the table's
 * SQL name, which CodeMirror 6 inserts at the drop point by itself (its `drop` handler reads
 * `dataTransfer.getData("Text")`), and `TABLE_MIME`, our own JSON, which says the drag came from
 * the catalog. A capture-phase `drop` listener on each notebook looks for `TABLE_MIME`: dropped
 * on an EMPTY cell editor it writes a starter query instead of the bare name (and makes the cell
 * a telemetry cell if it was a plain code cell), so the cell runs as it is. Lumino's own drag
 * (used to move cells) uses `lm-*` events and is not affected.
 */
import type { Cell } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { isTelemetryMetadata, METADATA_KEY, newTelemetryMetadata } from '@opsbook/telemetry-cell';

/** The MIME type of a catalog table on the drag data. */
export const TABLE_MIME = 'application/vnd.opsbook.catalog-table+json';

/** What a catalog table drag carries. */
export interface DraggedTable {
  /** The SQL name to use in queries. */
  name: string;
  dataset: string;
  table: string;
  snapshotId: string | null;
}

/** The query written into an empty cell for `name`. */
export function starterQuery(name: string): string {
  return `SELECT * FROM ${name} LIMIT 100`;
}

/** Puts `table` on a drag's data. */
export function setDragData(event: DragEvent, table: DraggedTable): void {
  const data = event.dataTransfer;
  if (!data) {
    return;
  }
  data.setData('text/plain', table.name);
  data.setData(TABLE_MIME, JSON.stringify(table));
  data.effectAllowed = 'copy';
}

/** True when the cell's source is only whitespace. */
function isEmpty(cell: Cell): boolean {
  return cell.model.sharedModel.getSource().trim() === '';
}

/** Writes the starter query into an empty cell (making it a telemetry cell) and focuses it. */
function fillEmptyCell(panel: NotebookPanel, cell: Cell, name: string): void {
  const query = starterQuery(name);
  if (cell.model.type === 'code' && !isTelemetryMetadata(cell.model.metadata)) {
    cell.model.setMetadata(METADATA_KEY, newTelemetryMetadata());
  }
  cell.model.sharedModel.setSource(query);
  const index = panel.content.widgets.indexOf(cell);
  if (index >= 0) {
    panel.content.activeCellIndex = index;
  }
  panel.content.mode = 'edit';
  cell.editor?.focus();
  cell.editor?.setCursorPosition(cell.editor.getPositionAt(query.length) ?? { line: 0, column: 0 });
}

/** Handles catalog drops on the cells of `panel` (see the module comment). */
export function acceptTableDrops(panel: NotebookPanel): void {
  const onDrop = (event: DragEvent) => {
    const raw = event.dataTransfer?.getData(TABLE_MIME);
    if (!raw) {
      return;
    }
    const target = event.target as HTMLElement | null;
    const cell = panel.content.widgets.find(c => c.node.contains(target));
    if (!cell || cell.model.type !== 'code' || !target?.closest('.jp-Cell-inputArea')) {
      return;
    }
    let table: DraggedTable;
    try {
      table = JSON.parse(raw) as DraggedTable;
    } catch {
      return;
    }
    if (isEmpty(cell)) {
      event.preventDefault();
      event.stopPropagation();
      fillEmptyCell(panel, cell, table.name);
    } else {
      // CodeMirror inserts the text/plain name at the drop point; just make the cell active.
      panel.content.activeCellIndex = panel.content.widgets.indexOf(cell);
    }
  };
  panel.content.node.addEventListener('drop', onDrop, true);
  panel.disposed.connect(() => panel.content.node.removeEventListener('drop', onDrop, true));
}

/**
 * Inserts `name` into the active cell of the current notebook at its cursor (the starter query
 * when the cell is empty). Returns false when there is no notebook or no code cell active.
 */
export function insertIntoActiveCell(tracker: INotebookTracker, name: string): boolean {
  const panel = tracker.currentWidget;
  const cell = panel?.content.activeCell;
  if (!panel || !cell || cell.model.type !== 'code') {
    return false;
  }
  if (isEmpty(cell)) {
    fillEmptyCell(panel, cell, name);
    return true;
  }
  const editor = cell.editor;
  if (editor?.replaceSelection) {
    editor.replaceSelection(name);
  } else {
    const source = cell.model.sharedModel.getSource();
    cell.model.sharedModel.setSource(`${source}${source.endsWith(' ') ? '' : ' '}${name}`);
  }
  panel.content.mode = 'edit';
  editor?.focus();
  return true;
}
