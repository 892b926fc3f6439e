/**
 * The JupyterLab plugin of the telemetry catalog. It only wires the pieces together:
 * - the Catalog side panel (left area) and its commands (open, refresh, upload, pulls);
 * - "Insert into Active Cell" for a table (command, context menu of a table row);
 * - drops of catalog tables on the cells of every notebook (see cell-insert.ts).
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILabShell } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { CatalogClient } from './api';
import { CatalogPanel } from './catalog-panel';
import { acceptTableDrops, insertIntoActiveCell } from './cell-insert';
import { CommandIDs } from './commands';
import { catalogIcon } from './icons';
import type { PullRequest } from './protocol';

const PANEL_ID = 'jp-opsbook-catalog';
const CATEGORY = 'Telemetry';

const catalog: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/catalog-extension:catalog',
  description:
    'The Catalog side panel: datasets, tables and snapshots with quality figures; uploads, Prometheus pulls and dragging tables into telemetry cells.',
  autoStart: true,
  requires: [INotebookTracker, ILabShell],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    shell: ILabShell,
    palette: ICommandPalette | null
  ) => {
    const { commands } = app;
    const insert = (name: string) => {
      const ok = insertIntoActiveCell(tracker, name);
      if (ok && tracker.currentWidget) {
        shell.activateById(tracker.currentWidget.id);
        tracker.currentWidget.content.activeCell?.editor?.focus();
      }
      return ok;
    };
    const panel = new CatalogPanel({
      client: new CatalogClient(app.serviceManager.serverSettings),
      id: PANEL_ID,
      icon: catalogIcon,
      insert
    });
    shell.add(panel, 'left', { rank: 150 });

    const open = () => {
      shell.activateById(PANEL_ID);
      return panel;
    };
    commands.addCommand(CommandIDs.openCatalog, {
      label: 'Show Telemetry Catalog',
      caption: 'Open the Catalog panel: datasets, tables and snapshots',
      execute: () => {
        open();
      }
    });
    commands.addCommand(CommandIDs.refreshCatalog, {
      label: 'Refresh Telemetry Catalog',
      execute: () => panel.refresh()
    });
    commands.addCommand(CommandIDs.uploadTelemetry, {
      label: 'Upload Telemetry Files…',
      caption: 'Upload OTLP, logs, metrics, CSV, Parquet or Arrow files into a dataset',
      execute: args => {
        open();
        const files = args.files as unknown as File[] | undefined;
        return Array.isArray(files) ? panel.upload(files) : panel.chooseFiles();
      }
    });
    commands.addCommand(CommandIDs.pullPrometheus, {
      label: 'Pull from Prometheus…',
      caption: 'Run a PromQL range query on a configured Prometheus and store the result',
      execute: args => {
        open();
        return args.request
          ? panel.runPull(args.request as unknown as PullRequest)
          : panel.pull('prometheus');
      }
    });
    commands.addCommand(CommandIDs.pullAlerts, {
      label: 'Pull Alerts from Alertmanager…',
      caption: 'Store the current alerts of a configured Alertmanager as events',
      execute: () => {
        open();
        return panel.pull('alertmanager');
      }
    });
    commands.addCommand(CommandIDs.insertTable, {
      label: 'Insert into Active Cell',
      caption:
        'Insert the table name at the cursor of the active cell (empty cell: a starter query)',
      isEnabled: () => !!tracker.activeCell,
      execute: args => {
        let name = typeof args.name === 'string' ? args.name : null;
        if (!name) {
          const node = app.contextMenuHitTest(n => !!n.dataset.sqlName);
          name = node?.dataset.sqlName ?? null;
        }
        return name ? insert(name) : false;
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.insertTable,
      selector: '.jp-opsbook-TableRow',
      rank: 0
    });
    for (const command of [
      CommandIDs.openCatalog,
      CommandIDs.refreshCatalog,
      CommandIDs.uploadTelemetry,
      CommandIDs.pullPrometheus,
      CommandIDs.pullAlerts
    ]) {
      palette?.addItem({ command, category: CATEGORY });
    }
    tracker.widgetAdded.connect((_, notebook) => acceptTableDrops(notebook));
  }
};

export default [catalog];
