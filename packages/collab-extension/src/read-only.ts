/**
 * A viewer's notebook. The server refuses every change a viewer makes to the shared document (it
 * answers with a `read_only` message the stock client ignores), so without this the app let a
 * viewer type, showed the text as if it were saved, and lost it silently. Instead:
 * - a "Read-only" label in the notebook toolbar says so before anyone types, and the document
 *   model is flagged read-only (JupyterLab's save button then says "Cannot Save");
 * - every cell's editor is read-only (without writing the `editable` flag into the notebook);
 * - notebook commands that change the document (insert, delete, move, paste, change type, run,
 *   clear outputs, hide, collapse, ...) are refused with a message, from the keyboard, menus and
 *   toolbar alike: running would write outputs, which the server refuses too;
 * - any change that still reaches the document from this client (another extension, drag and
 *   drop) is undone at once, and a message says that nothing was saved. Undoing an insertion
 *   removes it exactly; undoing a deletion re-creates the content, which is why the commands
 *   above are refused rather than undone.
 * Changes from peers are never undone: only this client's own transactions are tracked.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { lockIcon } from '@jupyterlab/ui-components';
import { ensureCollabRoot } from '@opsbook/collab-model';
import { Widget } from '@lumino/widgets';
import * as Y from 'yjs';
import { sharedOf } from './session';

/** Class of the toolbar label (tests find it by this). */
export const READ_ONLY_LABEL_CLASS = 'jp-opsbook-ReadOnlyLabel';

/** What a viewer is told when a command that would change the notebook is refused. */
export const REFUSED_MESSAGE =
  'You are a viewer: you can read this notebook, but not change or run it. Ask an owner for editor access.';

/** What a viewer is told when a change of theirs was undone. */
export const UNDONE_MESSAGE =
  'You are a viewer: your change to this notebook was undone and nothing was saved.';

/** The notebook commands that change the shared document (see the file comment). */
const CHANGING_COMMANDS = new RegExp(
  '^(notebook:(change-cell-to-|clear-|cut-|delete-|duplicate-|insert-|merge-|move-cell-|' +
    'paste-|redo|undo|replace-selection|restart-and-run|restart-clear-output|restart-run-all|' +
    'run-|split-cell|hide-|show-|toggle-cell-outputs|toggle-heading-collapse|collapse-all|' +
    'expand-all|enable-output-scrolling|disable-output-scrolling|toggle-output-scrolling|' +
    'trust)|opsbook:insert-telemetry-cell$)'
);

/**
 * Refuses, with a message, every command that would change a notebook (for a viewer: the
 * server would refuse the change). `execute` is wrapped on the registry itself because every
 * path runs through it: key bindings, menus, toolbar buttons and the palette.
 */
export function refuseChangingCommands(commands: JupyterFrontEnd['commands']): void {
  const execute = commands.execute.bind(commands);
  commands.execute = (id: string, args?: Parameters<typeof execute>[1]) => {
    if (CHANGING_COMMANDS.test(id)) {
      Private.notifyOnce(REFUSED_MESSAGE);
      return Promise.resolve(undefined);
    }
    return execute(id, args);
  };
}

/** Makes `panel` read-only for a viewer (see the file comment). */
export function guardReadOnly(panel: NotebookPanel): void {
  panel.addClass('jp-opsbook-mod-readOnly');
  const label = Private.label();
  if (!panel.toolbar.insertBefore('kernelName', 'opsbook-read-only', label)) {
    panel.toolbar.addItem('opsbook-read-only', label);
  }
  const lock = () => lockCells(panel);
  void panel.context.ready.then(() => {
    // JupyterLab's own read-only flag: "Cannot Save" on the save button, "Read-only" in the
    // tab's caption, no save before printing.
    panel.context.model.readOnly = true;
    lock();
    panel.content.model?.cells.changed.connect(() => requestAnimationFrame(lock));
    Private.undoLocalChanges(panel);
  });
}

/** Makes the editor of every cell of `panel` read-only, without touching the cells' metadata. */
export function lockCells(panel: NotebookPanel): void {
  if (panel.isDisposed) {
    return;
  }
  for (const cell of panel.content.widgets) {
    if (!cell.readOnly) {
      // With syncEditable the cell would write `editable: false` into the shared document.
      cell.syncEditable = false;
      cell.readOnly = true;
    }
  }
}

namespace Private {
  /** The toolbar label, in the style of JupyterLab's own "is read-only" label. */
  export function label(): Widget {
    const widget = new Widget();
    widget.addClass(READ_ONLY_LABEL_CLASS);
    widget.node.title =
      'You are a viewer: you can read this notebook, follow collaborators and read comments, ' +
      'but your edits are not saved. Ask an owner for editor access.';
    const icon = lockIcon.element({ tag: 'span', className: 'jp-opsbook-ReadOnlyLabel-icon' });
    const text = document.createElement('span');
    text.textContent = 'Read-only: you are a viewer';
    widget.node.append(icon, text);
    return widget;
  }

  const shown = new Map<string, string>();

  /** Shows `message` unless the same message is still on screen. */
  export function notifyOnce(message: string): void {
    const id = shown.get(message);
    if (!id || !Notification.manager.has(id)) {
      shown.set(message, Notification.warning(message, { autoClose: 8000 }));
    }
  }

  /** An origin set that matches every origin: which code made a local change does not matter. */
  class AnyOrigin extends Set<unknown> {
    override has(): boolean {
      return true;
    }
  }

  /**
   * Undoes every local change to the cells and to the comments and hypotheses as soon as it is
   * made, and tells the user (one notification at a time). The notebook-level metadata is left
   * out: the app itself writes the kernel's `language_info` there when a kernel starts, which
   * is no user's doing (the server drops it like any viewer change).
   */
  export function undoLocalChanges(panel: NotebookPanel): void {
    const { ydoc } = sharedOf(panel);
    const scope = [ydoc.getArray('cells'), ensureCollabRoot(ydoc)];
    const undo = new Y.UndoManager(scope, {
      captureTimeout: 0,
      trackedOrigins: new AnyOrigin(),
      captureTransaction: transaction => transaction.local
    });
    let pending = 0;
    const revert = () => {
      pending = 0;
      while (undo.undoStack.length) {
        undo.undo();
      }
      undo.clear();
      notifyOnce(UNDONE_MESSAGE);
    };
    undo.on('stack-item-added', event => {
      if (event.type === 'undo' && !pending) {
        pending = window.setTimeout(revert, 0);
      }
    });
    panel.disposed.connect(() => {
      window.clearTimeout(pending);
      undo.destroy();
    });
  }
}
