/**
 * Applies a chart change made in a chart renderer to its cell: the choice goes into the cell's
 * metadata (so it is saved, versioned and shared like any edit) and the chart output is rebuilt
 * from the table output's stored rows, so no re-run is needed and stock Jupyter shows the new chart.
 */
import type { CodeCell } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { NotebookPanel } from '@jupyterlab/notebook';
import {
  buildChartOutput,
  CHART_MIME,
  METADATA_KEY,
  newTelemetryMetadata,
  TABLE_MIME,
  type ChartConfig,
  type TableBundle,
  type TelemetryCellMetadata
} from '@opsbook/telemetry-cell';
import { CHART_CHANGE_EVENT, type ChartChangeDetail } from './chart-renderer';

/** Listens for chart changes inside a notebook panel. */
export function watchChartChoices(panel: NotebookPanel): void {
  panel.node.addEventListener(CHART_CHANGE_EVENT, event => {
    const detail = (event as CustomEvent<ChartChangeDetail>).detail;
    const cell = panel.content.widgets.find(c => c.node.contains(event.target as Node));
    if (cell && cell.model.type === 'code') {
      applyChartChoice(cell as CodeCell, detail.chart);
    }
  });
}

/** Stores `chart` on the cell and rewrites its chart output. */
export function applyChartChoice(cell: CodeCell, chart: ChartConfig): void {
  const previous =
    (cell.model.getMetadata(METADATA_KEY) as TelemetryCellMetadata | undefined) ??
    newTelemetryMetadata();
  cell.model.setMetadata(METADATA_KEY, { ...previous, chart });
  const outputs = cell.model.outputs;
  const list = outputs.toJSON();
  const table = list.find(o => hasMime(o, TABLE_MIME));
  if (!table) {
    return;
  }
  const rebuilt = buildChartOutput(
    (table as nbformat.IExecuteResult).data[TABLE_MIME] as unknown as TableBundle,
    chart
  );
  const withoutChart = list.filter(o => !hasMime(o, CHART_MIME));
  const next = rebuilt ? [rebuilt as unknown as nbformat.IOutput, ...withoutChart] : withoutChart;
  outputs.clear();
  next.forEach(o => outputs.add(o));
}

function hasMime(output: nbformat.IOutput, mime: string): boolean {
  const data = (output as nbformat.IDisplayData).data;
  return !!data && mime in data;
}
