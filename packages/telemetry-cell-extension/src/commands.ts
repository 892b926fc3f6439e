/**
 * Commands that create telemetry cells. A telemetry cell is a code cell with Opsbook's metadata
 * (see `@opsbook/telemetry-cell`'s metadata.ts), so inserting one is JupyterLab's own "insert
 * below" followed by marking the new cell. "Name the Result of this Cell…" sets the cell's
 * `resultName`, the table later cells can read its result from.
 */
import { InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { NotebookActions, type Notebook } from '@jupyterlab/notebook';
import {
  isTelemetryMetadata,
  METADATA_KEY,
  newTelemetryMetadata,
  readResultName,
  resultNameProblem
} from '@opsbook/telemetry-cell';

/** Command ids of this package. */
export namespace CommandIDs {
  export const insertTelemetryCell = 'opsbook:insert-telemetry-cell';
  export const toTelemetryCell = 'opsbook:change-to-telemetry-cell';
  export const nameResult = 'opsbook:name-result';
}

/**
 * Asks for the active telemetry cell's result name and stores it (an empty answer removes it).
 * A bad name is refused with the reason, and the cell is left as it was. Resolves with the name
 * set, '' when removed, or null when nothing changed.
 */
export async function nameResult(notebook: Notebook): Promise<string | null> {
  const cell = notebook.activeCell;
  if (!cell || !isTelemetryMetadata({ [METADATA_KEY]: cell.model.getMetadata(METADATA_KEY) })) {
    await showErrorMessage(
      'Name the result',
      'Only a telemetry cell can name its result: select one (or change this cell to Telemetry).'
    );
    return null;
  }
  const current = readResultName({ [METADATA_KEY]: cell.model.getMetadata(METADATA_KEY) });
  const answer = await InputDialog.getText({
    title: 'Name the Result of this Cell',
    label:
      'Later cells can read the full result under this name (e.g. SELECT * FROM slow_ops). ' +
      'Leave empty to remove the name.',
    placeholder: 'slow_ops',
    text: current ?? ''
  });
  if (!answer.button.accept || answer.value === null) {
    return null;
  }
  const name = answer.value.trim();
  const opsbook = { ...(cell.model.getMetadata(METADATA_KEY) as Record<string, unknown>) };
  if (name === '') {
    delete opsbook.resultName;
    cell.model.setMetadata(METADATA_KEY, opsbook);
    return '';
  }
  const problem = resultNameProblem(name);
  if (problem) {
    await showErrorMessage('Name the result', problem);
    return null;
  }
  cell.model.setMetadata(METADATA_KEY, { ...opsbook, resultName: name });
  return name;
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
