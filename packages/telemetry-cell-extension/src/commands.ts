/**
 * Commands that create telemetry cells. A telemetry cell is a code cell with Opsbook's metadata
 * (see `@opsbook/telemetry-cell`'s metadata.ts), so inserting one is JupyterLab's own "insert
 * below" followed by marking the new cell.
 */
import { NotebookActions, type Notebook } from '@jupyterlab/notebook';
import { isTelemetryMetadata, METADATA_KEY, newTelemetryMetadata } from '@opsbook/telemetry-cell';

/** Command ids of this package. */
export namespace CommandIDs {
  export const insertTelemetryCell = 'opsbook:insert-telemetry-cell';
  export const toTelemetryCell = 'opsbook:change-to-telemetry-cell';
}

/** Inserts a telemetry cell below the active cell, enters edit mode and returns its id. */
export function insertTelemetryCell(notebook: Notebook): string | null {
  if (!notebook.model) {
    return null;
  }
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (!cell) {
    return null;
  }
  cell.model.setMetadata(METADATA_KEY, newTelemetryMetadata());
  notebook.activate();
  notebook.mode = 'edit';
  // Typing goes straight into the new cell, as after JupyterLab's own "insert below" + Enter.
  cell.editor?.focus();
  return cell.model.id;
}

/** Turns the selected cells into telemetry cells (markdown and raw cells become code cells). */
export function changeToTelemetryCell(notebook: Notebook): void {
  if (!notebook.model) {
    return;
  }
  const selected = notebook.widgets.filter(c => notebook.isSelectedOrActive(c));
  if (selected.some(c => c.model.type !== 'code')) {
    NotebookActions.changeCellType(notebook, 'code');
  }
  notebook.widgets
    .filter(c => notebook.isSelectedOrActive(c))
    .forEach(cell => {
      if (!isTelemetryMetadata(cell.model.metadata)) {
        cell.model.setMetadata(METADATA_KEY, newTelemetryMetadata());
      }
    });
}
