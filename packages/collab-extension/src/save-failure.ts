/**
 * Explains a failed save. The server answers a save it could not write (a read-only folder, a
 * full disk) with `failed` and no reason, so the stock dialog reads only "File Save Error:
 * Saving failed", which leaves the user wondering whether their work is gone. It is not: the
 * room keeps every edit and the next save tries again. A notification says so and offers to
 * save again; it goes away once a save succeeds.
 */
import { Notification } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';

/** Raises the explanation each time a save of `panel`'s notebook fails. */
export function explainSaveFailures(panel: NotebookPanel): void {
  let shown: string | null = null;
  panel.context.saveState.connect((context, state) => {
    if (state === 'completed' && shown) {
      // Saved after all: the explanation is out of date.
      Notification.dismiss(shown);
      shown = null;
    }
    if (state !== 'failed' || panel.isDisposed) {
      return;
    }
    if (shown) {
      Notification.dismiss(shown);
    }
    const name = context.path.split('/').pop() ?? context.path;
    shown = Notification.error(
      `${name} was not saved: the server cannot write the file (read-only folder or full ` +
        'disk?). Your edits are kept on the server.',
      {
        autoClose: false,
        actions: [
          {
            label: 'Save again',
            caption: 'Try to save the notebook again',
            callback: () => void context.save().catch(() => undefined)
          }
        ]
      }
    );
  });
}
