/**
 * The disconnection banner. When the server restarts, the stock client asks "Session expired:
 * reload?" and then disposes the notebook's shared document whatever the answer. A user who
 * chose "Continue" was left with a notebook that looked alive but whose edits went nowhere.
 * This banner stays above such a notebook: it says the notebook is disconnected, that what was
 * typed before is kept on the server, and offers the reload; the cells become read-only so
 * nothing more is typed into a document that can no longer be saved.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { NotebookBanner } from './banner';
import { lockCells } from './read-only';

/** Class of the banner (tests find it by this). */
export const DISCONNECTED_BANNER_CLASS = 'jp-opsbook-DisconnectedBanner';

/** Shows the disconnection banner on `panel` when its shared document is disposed under it. */
export function watchDisconnection(panel: NotebookPanel): void {
  // YNotebook's `disposed` signal (not part of the ISharedNotebook interface).
  const shared = panel.context.model.sharedModel as unknown as {
    disposed?: { connect(slot: () => void): boolean };
  };
  shared.disposed?.connect(() => {
    // Closing the notebook disposes the document too, right after the panel: wait a turn and
    // show the banner only when the panel is still open.
    window.setTimeout(() => {
      if (!panel.isDisposed) {
        const banner = new DisconnectedBanner();
        panel.contentHeader.addWidget(banner);
        banner.showDisconnected(panel);
      }
    }, 0);
  });
}

/** The banner of a notebook whose shared document was disposed under it. */
class DisconnectedBanner extends NotebookBanner {
  constructor() {
    super(DISCONNECTED_BANNER_CLASS);
    this.actions.append(
      this.button('Reload', 'Reload the page and open this notebook again', 'accept', () =>
        window.location.reload()
      )
    );
  }

  /** Fills in the message for `panel`, locks its cells and shows the banner. */
  showDisconnected(panel: NotebookPanel): void {
    const name = panel.context.path.split('/').pop() ?? panel.context.path;
    this.message.textContent =
      `${name} is disconnected from the server (its session ended, for example because the ` +
      'server restarted). The edits made before are kept on the server; edits made now would ' +
      'not be saved. Reload the page to continue.';
    lockCells(panel);
    panel.addClass('jp-opsbook-mod-disconnected');
    this.showBanner();
  }
}
