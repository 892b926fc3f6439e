/**
 * The "Cell History" plugin: a right side panel with the active cell's versions and runs, diffs
 * between any two of them, Restore and Checkpoint (history-panel.ts). Result diffs replay both
 * runs on their pinned snapshots in the browser, on a replay engine of its own started on the
 * first diff (the kernel's tables are untouched).
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { listIcon } from '@jupyterlab/ui-components';
import { IDuckDBKernelHooks } from '@opsbook/duckdb-kernel-extension';
import { hashArrowTable } from '@opsbook/provenance';
import { queryPinned, type QueryEngine } from '@opsbook/query-engine';
import { toResultTable } from '@opsbook/telemetry-cell';
import type { LoggedRun } from './api';
import { CellHistoryClient } from './history-api';
import type { ReplayedResult } from './history-diff-view';
import { CellHistoryPanel } from './history-panel';

/** Command ids of the plugin. */
export const HistoryCommandIDs = {
  showCellHistory: 'opsbook:show-cell-history'
} as const;

/** How many leading rows of each replayed result a result diff compares. */
export const HISTORY_DIFF_ROWS = 10_000;

const historyPlugin: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/provenance-extension:cell-history',
  description:
    'A side panel with the versions and runs of the active cell: diffs, restore and checkpoints.',
  autoStart: true,
  requires: [IDuckDBKernelHooks, INotebookTracker],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    hooks: IDuckDBKernelHooks,
    tracker: INotebookTracker,
    palette: ICommandPalette | null
  ) => {
    let engine: Promise<QueryEngine> | null = null;
    let queue: Promise<unknown> = Promise.resolve();
    const replay = (run: LoggedRun): Promise<ReplayedResult> => {
      const next = queue.then(async () => {
        engine ??= hooks.createEngine();
        return replayOne(run, await engine, hooks);
      });
      queue = next.catch(() => undefined);
      return next;
    };
    const widget = new CellHistoryPanel({
      tracker,
      client: new CellHistoryClient(),
      icon: listIcon,
      replay
    });
    app.shell.add(widget, 'right', { rank: 530 });
    // After a run the server may have recorded a version. The panel also reloads when the
    // recorder writes the run's summary into the cell (after the server logged it).
    hooks.addRunObserver(async () => {
      void widget.refresh();
      return null;
    });
    tracker.currentChanged.connect((_, panel) => {
      panel?.context.saveState.connect((__, state) => {
        if (state === 'completed' && panel === tracker.currentWidget) {
          void widget.refresh();
        }
      });
    });
    app.commands.addCommand(HistoryCommandIDs.showCellHistory, {
      label: 'Show Cell History',
      caption: 'Open the Cell History panel: versions and runs of the active cell, diffs, restore',
      execute: () => {
        app.shell.activateById(widget.id);
        return widget.refresh();
      }
    });
    palette?.addItem({ command: HistoryCommandIDs.showCellHistory, category: 'Opsbook' });
  }
};

/** Replays one run on its pinned snapshots: its first rows, row count and reproduction. */
async function replayOne(
  run: LoggedRun,
  engine: QueryEngine,
  hooks: IDuckDBKernelHooks
): Promise<ReplayedResult> {
  const pins: Record<string, string> = {};
  for (const input of run.record.inputs) {
    if (input.snapshotId) {
      pins[input.table] = input.snapshotId;
    }
  }
  const { result, hash } = await queryPinned(run.record.sql, {
    engine,
    http: hooks.http,
    pins,
    hash: table => hashArrowTable(table)
  });
  return {
    table: toResultTable(result.table, HISTORY_DIFF_ROWS),
    rows: hash.rowCount,
    reproduced: hash.hash === run.record.result.hash
  };
}

export default [historyPlugin];
