/**
 * The JupyterLab plugins of collaborative debugging. They only wire library code:
 * - `presence`: publishes the local user's active and running cells in each notebook's awareness
 *   and draws peers' avatars, "running by" marks and the comment button in every cell;
 * - `comments`: the Comments side panel and its commands;
 * - `hypotheses`: the Hypotheses side panel and its commands;
 * - `conflict`: a banner with Keep mine / Take the file / Show the diff when the file changed on
 *   disk under unsaved edits, one with Reload when the notebook lost its server session, and
 *   an explanation when a save failed;
 * - `read-only`: for viewers, a "Read-only" label, read-only cells, commands that would change
 *   a notebook refused and any other change undone, with a message (the server refuses them).
 * - mentions: a notification to the user an arriving comment mentions (in `comments`).
 * Panels and cell marks hide the controls viewers cannot use (`/api/me` permissions).
 * The shared document and awareness come from the notebook's YNotebook, which the stock
 * docprovider connects to the server's collaboration rooms.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILabShell } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { decorateCells } from './cell-decorations';
import { CommandIDs } from './commands';
import { watchConflicts } from './conflict';
import { watchDisconnection } from './connection';
import { CommentsPanel } from './comments-panel';
import { HypothesesPanel } from './hypotheses-panel';
import { commentsIcon, hypothesesIcon } from './icons';
import { notifyMentions } from './mention-notifier';
import { canWriteDocuments } from './permissions';
import { publishPresence } from './presence';
import { explainSaveFailures } from './save-failure';
import { guardReadOnly, refuseChangingCommands } from './read-only';
import type { Identity } from './session';

/** The local user's identity from the server (`GET /api/me`), once loaded. */
function identityOf(app: JupyterFrontEnd): Identity | null {
  const identity = app.serviceManager.user.identity;
  return identity ? (identity as unknown as Identity) : null;
}

/**
 * Whether the local user may change documents: true until the server said otherwise (the
 * server enforces the role anyway), then its answer.
 */
function writeAccess(onKnown: () => void): () => boolean {
  let writer = true;
  void canWriteDocuments().then(answer => {
    writer = answer;
    onKnown();
  });
  return () => writer;
}

const COMMENTS_PANEL_ID = 'jp-opsbook-comments';
const HYPOTHESES_PANEL_ID = 'jp-opsbook-hypotheses';

const comments: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/collab-extension:comments',
  description: 'Threaded comments with @mentions on cells, in a Comments side panel.',
  autoStart: true,
  requires: [INotebookTracker, ILabShell],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    shell: ILabShell,
    palette: ICommandPalette | null
  ) => {
    const canWrite = writeAccess(() => panel.scheduleRender());
    const panel: CommentsPanel = new CommentsPanel({
      tracker,
      id: COMMENTS_PANEL_ID,
      label: 'Comments',
      caption: 'Comments on the cells of this notebook',
      icon: commentsIcon,
      className: 'jp-opsbook-CommentsPanel',
      me: () => identityOf(app),
      canWrite
    });
    shell.add(panel, 'right', { rank: 500 });
    app.commands.addCommand(CommandIDs.openComments, {
      label: 'Show Comments',
      caption: 'Open the Comments panel',
      execute: args => {
        shell.activateById(COMMENTS_PANEL_ID);
        panel.focusNewComment(typeof args.cellId === 'string' ? args.cellId : undefined);
      }
    });
    app.commands.addCommand(CommandIDs.addComment, {
      label: 'Comment on Cell',
      caption: 'Open a comment thread on the active cell',
      isEnabled: () => !!tracker.activeCell && canWrite(),
      execute: args => {
        if (typeof args.text === 'string') {
          return panel.comment(
            args.text,
            typeof args.cellId === 'string' ? args.cellId : undefined
          );
        }
        shell.activateById(COMMENTS_PANEL_ID);
        panel.focusNewComment();
        return null;
      }
    });
    tracker.widgetAdded.connect((_, notebook) => {
      const openComments = (cellId: string) =>
        void app.commands.execute(CommandIDs.openComments, { cellId });
      void canWriteDocuments().then(() =>
        decorateCells({ panel: notebook, openComments, canWrite })
      );
      notifyMentions({ panel: notebook, me: () => identityOf(app), show: openComments });
    });
    palette?.addItem({ command: CommandIDs.openComments, category: 'Collaboration' });
    palette?.addItem({ command: CommandIDs.addComment, category: 'Collaboration' });
  }
};

const hypotheses: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/collab-extension:hypotheses',
  description: 'A Hypotheses side panel: hypotheses with status, verdict and evidence cells.',
  autoStart: true,
  requires: [INotebookTracker, ILabShell],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    shell: ILabShell,
    palette: ICommandPalette | null
  ) => {
    const canWrite = writeAccess(() => panel.scheduleRender());
    const panel: HypothesesPanel = new HypothesesPanel({
      tracker,
      id: HYPOTHESES_PANEL_ID,
      label: 'Hypotheses',
      caption: 'Hypotheses about this incident and their evidence',
      icon: hypothesesIcon,
      className: 'jp-opsbook-HypothesesPanel',
      me: () => identityOf(app),
      canWrite
    });
    shell.add(panel, 'right', { rank: 510 });
    app.commands.addCommand(CommandIDs.openHypotheses, {
      label: 'Show Hypotheses',
      caption: 'Open the Hypotheses panel',
      execute: () => shell.activateById(HYPOTHESES_PANEL_ID)
    });
    app.commands.addCommand(CommandIDs.addHypothesis, {
      label: 'Propose Hypothesis',
      caption: 'Add a hypothesis to this notebook',
      isEnabled: () => !!tracker.currentWidget && canWrite(),
      execute: args => {
        if (typeof args.title === 'string') {
          return panel.propose(args.title);
        }
        shell.activateById(HYPOTHESES_PANEL_ID);
        return null;
      }
    });
    app.commands.addCommand(CommandIDs.linkEvidence, {
      label: 'Link Active Cell as Evidence',
      caption: 'Link the active cell as evidence of a hypothesis',
      isEnabled: () => !!tracker.activeCell && canWrite(),
      execute: args => (typeof args.id === 'string' ? panel.linkActiveCell(args.id) : false)
    });
    palette?.addItem({ command: CommandIDs.openHypotheses, category: 'Collaboration' });
    palette?.addItem({ command: CommandIDs.addHypothesis, category: 'Collaboration' });
  }
};

const presence: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/collab-extension:presence',
  description: 'Shows who is in and who is running each cell, from the notebook awareness.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker) => {
    tracker.widgetAdded.connect((_, notebook) => publishPresence(notebook));
  }
};

const conflict: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/collab-extension:conflict',
  description:
    'Shows a banner with Keep mine / Take the file / Show the diff when a notebook’s file changed on disk under unsaved edits, one with Reload when it lost its server session, and explains failed saves.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker) => {
    const canWrite = writeAccess(() => undefined);
    tracker.widgetAdded.connect((_, notebook) => {
      watchConflicts(notebook, { canWrite });
      watchDisconnection(notebook);
      explainSaveFailures(notebook);
    });
  }
};

const readOnly: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/collab-extension:read-only',
  description:
    'For viewers: a Read-only label on notebooks, read-only cells, and changing commands refused (or changes undone) with a message.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker) => {
    void canWriteDocuments().then(writer => {
      if (!writer) {
        refuseChangingCommands(app.commands);
      }
    });
    tracker.widgetAdded.connect((_, notebook) => {
      void canWriteDocuments().then(writer => {
        if (!writer && !notebook.isDisposed) {
          guardReadOnly(notebook);
        }
      });
    });
  }
};

export default [presence, comments, hypotheses, conflict, readOnly];
