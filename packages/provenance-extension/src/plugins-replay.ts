/**
 * The "Replay Notebook" plugin: a command (notebook toolbar button, palette, Run menu) that
 * replays every recorded run of the current notebook in order on a replay engine of its own and
 * opens the Reproducibility Report in the main area (replay-notebook.ts, report-view.ts).
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { CommandToolbarButton, ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker } from '@jupyterlab/notebook';
import { refreshIcon } from '@jupyterlab/ui-components';
import { IDuckDBKernelHooks } from '@opsbook/duckdb-kernel-extension';
import type { QueryEngine } from '@opsbook/query-engine';
import { RunLogClient } from './api';
import { recent } from './plugins';
import { replayNotebook } from './replay-notebook';
import { ReproducibilityReportView } from './report-view';

/** Command ids of the plugin. */
export const ReplayCommandIDs = {
  replayNotebook: 'opsbook:replay-notebook'
} as const;

const replayNotebookPlugin: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/provenance-extension:replay-notebook',
  description:
    'Replays every recorded run of a notebook on its snapshots and shows a reproducibility report.',
  autoStart: true,
  requires: [IDuckDBKernelHooks, INotebookTracker],
  optional: [ICommandPalette, IMainMenu],
  activate: (
    app: JupyterFrontEnd,
    hooks: IDuckDBKernelHooks,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null
  ) => {
    const client = new RunLogClient();
    // One engine for notebook replays, started on the first and reused; one replay at a time.
    let engine: Promise<QueryEngine> | null = null;
    let running = false;
    /** The report tab of each notebook: a new replay takes its place. */
    const reports = new Map<string, MainAreaWidget<ReproducibilityReportView>>();
    app.commands.addCommand(ReplayCommandIDs.replayNotebook, {
      label: args => (args.toolbar ? '' : 'Replay Notebook'),
      caption:
        'Replay every recorded run of this notebook on the snapshots it read, and report which ' +
        'reproduced',
      icon: args => (args.toolbar ? refreshIcon : undefined),
      isEnabled: () => !!tracker.currentWidget && !running,
      execute: async () => {
        const panel = tracker.currentWidget;
        if (!panel) {
          return null;
        }
        const path = panel.context.path;
        const view = new ReproducibilityReportView(path);
        const main = new MainAreaWidget({ content: view });
        main.id = view.id;
        main.title.label = view.title.label;
        main.title.caption = view.title.caption;
        main.title.icon = refreshIcon;
        main.disposed.connect(() => view.dispose());
        const previous = reports.get(path);
        if (previous && !previous.isDisposed) {
          app.shell.add(main, 'main', { ref: previous.id, mode: 'tab-after' });
          previous.dispose();
        } else {
          app.shell.add(main, 'main', { mode: 'split-right' });
        }
        reports.set(path, main);
        running = true;
        app.commands.notifyCommandChanged(ReplayCommandIDs.replayNotebook);
        try {
          const runs = await client.notebookRuns(path);
          view.progress({ done: 0, total: runs.length, row: null });
          engine ??= hooks.createEngine();
          const cells = panel.content.model?.cells;
          const report = await replayNotebook({
            notebook: path,
            runs,
            engine: await engine,
            http: hooks.http,
            recordReplay: (runId, replay) => client.recordReplay(runId, replay),
            fetchRun: async runId => (await client.run(runId)).record,
            findCell: cellId => {
              for (let i = 0; cells && i < cells.length; i++) {
                const cell = cells.get(i);
                if (cell.id === cellId) {
                  return { index: i, source: cell.sharedModel.getSource() };
                }
              }
              return null;
            },
            recorded: runId => recent.get(runId),
            onProgress: p => {
              if (!view.isDisposed) {
                view.progress(p);
              }
            },
            signal: view.signal
          });
          if (!view.isDisposed) {
            view.showReport(report);
          }
          return report;
        } catch (error) {
          if (!view.isDisposed) {
            view.fail(`Could not replay the notebook: ${(error as Error).message}`);
          }
          return null;
        } finally {
          running = false;
          app.commands.notifyCommandChanged(ReplayCommandIDs.replayNotebook);
        }
      }
    });
    palette?.addItem({ command: ReplayCommandIDs.replayNotebook, category: 'Notebook Operations' });
    mainMenu?.runMenu.addGroup([{ command: ReplayCommandIDs.replayNotebook }], 100);
    tracker.widgetAdded.connect((_, panel) => {
      const button = new CommandToolbarButton({
        commands: app.commands,
        id: ReplayCommandIDs.replayNotebook,
        args: { toolbar: true }
      });
      if (!panel.toolbar.insertAfter('cellType', 'opsbook-replay-notebook', button)) {
        panel.toolbar.insertItem(10, 'opsbook-replay-notebook', button);
      }
    });
  }
};

export default [replayNotebookPlugin];
