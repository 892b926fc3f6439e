/**
 * Tells a user when a collaborator mentions them: a new comment or reply from someone else with
 * `@username` raises a JupyterLab notification ("Ana Silva mentioned you on Cell 3 of
 * checkout-incident.ipynb") with a "Show" action that opens the thread. Only messages that
 * arrive while the notebook is open count: the ones already in the notebook when it opened
 * were there before (the Comments panel marks every thread that mentions the user).
 */
import { Notification } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { observeCollab, readThreads } from '@opsbook/collab-model';
import { cellLabel, displayName, localUsername, peersOf, sharedOf, type Identity } from './session';

/** Options of `notifyMentions`. */
export interface INotifyMentionsOptions {
  panel: NotebookPanel;
  /** The local user's identity from the server, once known. */
  me: () => Identity | null;
  /** Opens the Comments panel on a cell. */
  show: (cellId: string) => void;
}

/** JupyterLab cuts a notification's text after 140 characters: the excerpt fits in the rest. */
const MESSAGE_CHARS = 138;

/** Raises a notification for each new mention of the local user in `panel`'s comments. */
export function notifyMentions(options: INotifyMentionsOptions): void {
  const { panel } = options;
  const { ydoc, awareness } = sharedOf(panel);
  const seen = new Set<string>();
  const scan = (notify: boolean) => {
    const me = localUsername(awareness, options.me());
    for (const thread of readThreads(ydoc)) {
      for (const message of thread.messages) {
        if (seen.has(message.id)) {
          continue;
        }
        seen.add(message.id);
        if (notify && message.author !== me && message.mentions.includes(me)) {
          const author = peersOf(awareness).find(p => p.user.username === message.author)?.user;
          const file = panel.context.path.split('/').pop() ?? panel.context.path;
          const lead =
            `${displayName(author, message.author)} mentioned you on ` +
            `${cellLabel(panel, thread.cellId)} of ${file}: `;
          const room = Math.max(20, MESSAGE_CHARS - lead.length - 2);
          const text =
            message.text.length > room ? `${message.text.slice(0, room - 1)}…` : message.text;
          Notification.info(`${lead}“${text}”`, {
            autoClose: false,
            actions: [
              {
                label: 'Show',
                caption: 'Open the comment thread',
                callback: () => options.show(thread.cellId)
              }
            ]
          });
        }
      }
    }
  };
  void panel.context.ready.then(() => {
    if (panel.isDisposed) {
      return;
    }
    scan(false);
    const stop = observeCollab(ydoc, local => scan(!local));
    panel.disposed.connect(stop);
  });
}
