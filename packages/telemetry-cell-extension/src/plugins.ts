/**
 * The JupyterLab plugins of telemetry cells. Each only wires library code into the application:
 * - `renderers`: the table and chart views for telemetry outputs;
 * - `plugin`: the "Insert telemetry cell" command (toolbar button, palette, menu) and the chart
 *   and cell marking behaviour of every notebook;
 * - `cell-type`: the notebook toolbar's cell-type menu with "Telemetry".
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { INotebookTracker, INotebookWidgetFactory } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { CHART_MIME, TABLE_MIME } from '@opsbook/telemetry-cell';
import { telemetryCellIcon } from './icons';
import { markTelemetryCells } from './cell-marker';
import { createCellTypeSwitcher } from './cell-type-switcher';
import { watchChartChoices } from './chart-choice';
import { ChartRenderer } from './chart-renderer';
import { changeToTelemetryCell, CommandIDs, insertTelemetryCell, nameResult } from './commands';
import { TableRenderer } from './table-renderer';

/** Our renderers outrank the stock Vega-Lite (57) and HTML renderers for outputs that carry both. */
const RENDERER_RANK = 10;

const renderers: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/telemetry-cell-extension:renderers',
  description: 'Renders telemetry results as a virtual-scrolling table and a chart with controls.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (_app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    rendermime.addFactory(
      {
        safe: true,
        mimeTypes: [TABLE_MIME],
        defaultRank: RENDERER_RANK,
        createRenderer: () => new TableRenderer()
      },
      RENDERER_RANK
    );
    rendermime.addFactory(
      {
        safe: true,
        mimeTypes: [CHART_MIME],
        defaultRank: RENDERER_RANK,
        createRenderer: () => new ChartRenderer()
      },
      RENDERER_RANK
    );
  }
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/telemetry-cell-extension:plugin',
  description: 'Adds telemetry cells to notebooks: insert command, cell marking and chart choices.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null) => {
    const { commands, shell } = app;
    const current = () => {
      const widget = tracker.currentWidget;
      if (widget && shell.currentWidget === widget) {
        shell.activateById(widget.id);
      }
      return widget;
    };
    commands.addCommand(CommandIDs.insertTelemetryCell, {
      label: 'Insert Telemetry Cell',
      caption: 'Insert a telemetry cell (SQL over your telemetry, with a table and a chart) below',
      icon: args => (args.toolbar ? telemetryCellIcon : undefined),
      isEnabled: () => !!tracker.currentWidget,
      execute: () => {
        const panel = current();
        return panel ? insertTelemetryCell(panel.content) : null;
      }
    });
    commands.addCommand(CommandIDs.toTelemetryCell, {
      label: 'Change to Telemetry Cell Type',
      caption: 'Turn the selected cells into telemetry cells',
      isEnabled: () => !!tracker.currentWidget,
      execute: () => {
        const panel = current();
        if (panel) {
          changeToTelemetryCell(panel.content);
        }
      }
    });
    commands.addCommand(CommandIDs.nameResult, {
      label: 'Name the Result of this Cell…',
      caption: 'Keep the active telemetry cell’s result as a table later cells can read',
      isEnabled: () => !!tracker.currentWidget,
      execute: () => {
        const panel = current();
        return panel ? nameResult(panel.content) : null;
      }
    });
    palette?.addItem({ command: CommandIDs.nameResult, category: 'Notebook Operations' });
    app.contextMenu.addItem({
      command: CommandIDs.nameResult,
      selector: '.jp-opsbook-TelemetryCell',
      rank: 20
    });
    palette?.addItem({ command: CommandIDs.insertTelemetryCell, category: 'Notebook Operations' });
    palette?.addItem({ command: CommandIDs.toTelemetryCell, category: 'Notebook Operations' });
    app.contextMenu.addItem({
      command: CommandIDs.insertTelemetryCell,
      selector: '.jp-Notebook',
      rank: 0
    });
    tracker.widgetAdded.connect((_, panel) => {
      markTelemetryCells(panel);
      watchChartChoices(panel);
    });
  }
};

const cellType: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/telemetry-cell-extension:cell-type',
  description: 'Puts "Telemetry" in the notebook toolbar cell-type menu.',
  autoStart: true,
  // INotebookWidgetFactory: activate after the stock factory so our `cellType` item replaces it.
  requires: [IToolbarWidgetRegistry, INotebookWidgetFactory],
  activate: (_app: JupyterFrontEnd, toolbarRegistry: IToolbarWidgetRegistry) => {
    toolbarRegistry.addFactory('Notebook', 'cellType', createCellTypeSwitcher);
  }
};

export default [renderers, plugin, cellType];
