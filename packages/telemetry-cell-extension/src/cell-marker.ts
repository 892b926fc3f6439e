/**
 * Marks telemetry cells in the notebook view (a class the stylesheet turns into a badge and an
 * accent), keeping the mark in step with the cell's metadata as cells are added, edited or
 * converted, including by collaborators.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { isTelemetryMetadata, METADATA_KEY, readResultName } from '@opsbook/telemetry-cell';

/** The class on telemetry cells. */
export const TELEMETRY_CELL_CLASS = 'jp-opsbook-TelemetryCell';

/** Keeps the telemetry class on the cells of `panel` up to date. */
export function markTelemetryCells(panel: NotebookPanel): void {
  const update = () => {
    for (const cell of panel.content.widgets) {
      const telemetry =
        cell.model.type === 'code' &&
        isTelemetryMetadata({ [METADATA_KEY]: cell.model.getMetadata(METADATA_KEY) });
      cell.toggleClass(TELEMETRY_CELL_CLASS, telemetry);
      // The badge shows the result name (style: `--jp-opsbook-result-label`); names are plain
      // identifiers, so quoting them makes a safe CSS string.
      const name = telemetry
        ? readResultName({ [METADATA_KEY]: cell.model.getMetadata(METADATA_KEY) })
        : null;
      if (name) {
        cell.node.style.setProperty('--jp-opsbook-result-label', `" → ${name}"`);
        cell.node.dataset.opsbookResult = name;
      } else {
        cell.node.style.removeProperty('--jp-opsbook-result-label');
        delete cell.node.dataset.opsbookResult;
      }
    }
  };
  panel.content.modelContentChanged.connect(update);
  void panel.context.ready.then(update);
  update();
}
