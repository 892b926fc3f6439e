/**
 * Publishes where the local user is and what they run, in the notebook's awareness under
 * `opsbook: {activeCell, runningCells}`, so peers can show "in this cell" and "running by" marks.
 * Runs are tracked through `NotebookActions.executionScheduled` / `executed`, which fire for every
 * run path (toolbar, Shift+Enter, Run All) whatever cell executor is installed.
 */
import { NotebookActions, type NotebookPanel } from '@jupyterlab/notebook';
import type { OpsbookAwareness } from './session';
import { sharedOf } from './session';

/** Keeps the local awareness `opsbook` field of `panel`'s notebook up to date. */
export function publishPresence(panel: NotebookPanel): void {
  const { awareness } = sharedOf(panel);
  const running = new Set<string>();
  const publish = () => {
    if (panel.isDisposed) {
      return;
    }
    const state: OpsbookAwareness = {
      activeCell: panel.content.activeCell?.model.id ?? null,
      runningCells: [...running]
    };
    awareness.setLocalStateField('opsbook', state);
  };
  const onScheduled = (
    _: unknown,
    args: { notebook: unknown; cell: { model: { id: string } } }
  ) => {
    if (args.notebook === panel.content) {
      running.add(args.cell.model.id);
      publish();
    }
  };
  const onExecuted = (_: unknown, args: { notebook: unknown; cell: { model: { id: string } } }) => {
    if (args.notebook === panel.content && running.delete(args.cell.model.id)) {
      publish();
    }
  };
  NotebookActions.executionScheduled.connect(onScheduled);
  NotebookActions.executed.connect(onExecuted);
  panel.content.activeCellChanged.connect(publish);
  panel.disposed.connect(() => {
    NotebookActions.executionScheduled.disconnect(onScheduled);
    NotebookActions.executed.disconnect(onExecuted);
  });
  publish();
}
