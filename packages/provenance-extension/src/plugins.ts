/**
 * The JupyterLab plugins of run provenance. Each only wires library code into the application:
 * - `recorder`: records every successful telemetry-cell run of the DuckDB kernel in the server's
 *   run log and keeps the stamped summaries in the cell's `metadata.opsbook.runs`;
 * - `panel`: the Provenance side panel (right), listing the active cell's runs with a Replay
 *   button each (pinned replay in the browser, on an engine of its own).
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { historyIcon } from '@jupyterlab/ui-components';
import { IDuckDBKernelHooks } from '@opsbook/duckdb-kernel-extension';
import { loadFastSha256 } from '@opsbook/provenance';
import type { QueryEngine } from '@opsbook/query-engine';
import { METADATA_KEY } from '@opsbook/telemetry-cell';
import { RunLogClient } from './api';
import { ProvenancePanel } from './panel';
import { createRunRecorder, RecentResults, type RecordedCell } from './recorder';
import { replayRun } from './replay';

/** The command that opens the Provenance panel. */
export const CommandIDs = {
  showProvenance: 'opsbook:show-provenance'
} as const;

/** Shared by the plugins: the first rows of the runs recorded in this page. */
export const recent = new RecentResults();

const recorder: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/provenance-extension:recorder',
  description: 'Records every telemetry-cell run in the signed run log and in the cell metadata.',
  autoStart: true,
  requires: [IDuckDBKernelHooks, INotebookTracker],
  activate: (_app: JupyterFrontEnd, hooks: IDuckDBKernelHooks, tracker: INotebookTracker) => {
    // The WebAssembly SHA-256 for result hashes, ready long before the first run ends.
    void loadFastSha256();
    const client = new RunLogClient();
    const findCell = (cellId: string): RecordedCell | null => {
      let found: RecordedCell | null = null;
      tracker.forEach(panel => {
        const cells = panel.content.model?.cells;
        for (let i = 0; !found && cells && i < cells.length; i++) {
          const cell = cells.get(i);
          if (cell.id === cellId) {
            found = {
              path: panel.context.path,
              fileId: null,
              metadata: cell.metadata as Record<string, unknown>,
              setOpsbook: value => cell.setMetadata(METADATA_KEY, value)
            };
          }
        }
      });
      return found;
    };
    hooks.addRunObserver(
      createRunRecorder({
        findCell,
        recordRun: (record, durationMs) => client.recordRun(record, durationMs),
        recent
      })
    );
  }
};

const panel: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/provenance-extension:panel',
  description: 'A side panel with the runs of the active telemetry cell and a Replay button each.',
  autoStart: true,
  requires: [IDuckDBKernelHooks, INotebookTracker],
  activate: (app: JupyterFrontEnd, hooks: IDuckDBKernelHooks, tracker: INotebookTracker) => {
    const client = new RunLogClient();
    // One engine for every replay, started on the first; replays run one at a time on it.
    let engine: Promise<QueryEngine> | null = null;
    let queue: Promise<unknown> = Promise.resolve();
    const widget = new ProvenancePanel({
      tracker,
      client,
      icon: historyIcon,
      recent,
      replay: (run, recorded) => {
        const next = queue.then(async () => {
          engine ??= hooks.createEngine();
          return replayRun(run.record, {
            engine: await engine,
            http: hooks.http,
            recorded,
            recordReplay: (runId, replay) => client.recordReplay(runId, replay)
          });
        });
        queue = next.catch(() => undefined);
        return next;
      }
    });
    app.shell.add(widget, 'right', { rank: 520 });
    app.commands.addCommand(CommandIDs.showProvenance, {
      label: 'Show Provenance of the Active Cell',
      caption: 'Open the Provenance panel: recorded runs of the active cell, and replays',
      execute: () => {
        app.shell.activateById(widget.id);
        return widget.refresh();
      }
    });
  }
};

export default [recorder, panel];
