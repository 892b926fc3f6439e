/**
 * Per-cell collaboration marks, drawn in each cell's footer: the number of open comment threads
 * (a button that opens the Comments panel on that cell; on the active cell a "comment" button even
 * without threads), an avatar for each peer whose cursor is in the cell, and "running by <name>"
 * while a peer runs it. Redrawn when awareness, comments or the list of cells change.
 */
import type { Cell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { observeCollab, readThreads } from '@opsbook/collab-model';
import { displayName, peersOf, sharedOf, type Peer } from './session';

/** The class of the marks container in a cell's footer. */
export const CELL_MARKS_CLASS = 'jp-opsbook-CellMarks';

/** Options of `decorateCells`. */
export interface IDecorateOptions {
  panel: NotebookPanel;
  /** Called when the comment button of a cell is clicked. */
  openComments: (cellId: string) => void;
  /** Whether the local user may comment (viewers only see the count of open threads). */
  canWrite: () => boolean;
}

/** Keeps the marks of every cell of the panel current; stops when the panel is disposed. */
export function decorateCells(options: IDecorateOptions): void {
  const { panel } = options;
  const { ydoc, awareness } = sharedOf(panel);
  let pending = 0;
  const schedule = () => {
    if (!pending) {
      pending = requestAnimationFrame(() => {
        pending = 0;
        if (!panel.isDisposed) {
          draw(panel, options);
        }
      });
    }
  };
  const stopComments = observeCollab(ydoc, schedule);
  awareness.on('change', schedule);
  panel.content.model?.cells.changed.connect(schedule);
  panel.content.activeCellChanged.connect(schedule);
  panel.content.modelChanged.connect(schedule);
  void panel.context.ready.then(schedule);
  panel.disposed.connect(() => {
    stopComments();
    awareness.off('change', schedule);
  });
  schedule();
}

function draw(panel: NotebookPanel, options: IDecorateOptions): void {
  const { ydoc, awareness } = sharedOf(panel);
  const open = new Map<string, number>();
  for (const thread of readThreads(ydoc)) {
    if (!thread.resolved) {
      open.set(thread.cellId, (open.get(thread.cellId) ?? 0) + 1);
    }
  }
  const peers = peersOf(awareness).filter(p => p.clientId !== awareness.clientID && p.opsbook);
  for (const cell of panel.content.widgets) {
    const id = cell.model.id;
    const here = peers.filter(p => p.opsbook!.activeCell === id);
    const running = peers.filter(p => p.opsbook!.runningCells?.includes(id));
    render(marksOf(cell), id, open.get(id) ?? 0, here, running, options);
  }
}

/** The marks container of a cell, created in its footer (or at its end) on first use. */
function marksOf(cell: Cell): HTMLElement {
  let node = cell.node.querySelector<HTMLElement>(`:scope .${CELL_MARKS_CLASS}`);
  if (!node) {
    node = document.createElement('div');
    node.className = CELL_MARKS_CLASS;
    const footer = cell.node.querySelector(':scope > .jp-CellFooter');
    (footer ?? cell.node).appendChild(node);
  }
  return node;
}

function render(
  node: HTMLElement,
  cellId: string,
  comments: number,
  here: Peer[],
  running: Peer[],
  options: IDecorateOptions
): void {
  const writer = options.canWrite();
  const key = JSON.stringify([
    writer,
    comments,
    here.map(p => [p.clientId, p.user.username, p.user.color]),
    running.map(p => p.user.username)
  ]);
  if (node.dataset.key === key) {
    return;
  }
  node.dataset.key = key;
  node.replaceChildren();
  for (const peer of running) {
    const mark = document.createElement('span');
    mark.className = 'jp-opsbook-RunningMark';
    mark.dataset.user = peer.user.username;
    mark.style.setProperty('--jp-opsbook-user-color', peer.user.color ?? 'var(--jp-brand-color1)');
    mark.textContent = `running by ${displayName(peer.user)}`;
    node.appendChild(mark);
  }
  for (const peer of here) {
    const avatar = document.createElement('span');
    avatar.className = 'jp-opsbook-Avatar';
    avatar.dataset.user = peer.user.username;
    avatar.title = `${displayName(peer.user)} is in this cell`;
    avatar.style.backgroundColor = peer.user.color ?? 'var(--jp-brand-color1)';
    avatar.textContent = peer.user.initials || displayName(peer.user).slice(0, 2).toUpperCase();
    node.appendChild(avatar);
  }
  if (!comments && !writer) {
    return;
  }
  const button = document.createElement('button');
  button.className = 'jp-opsbook-CommentButton' + (comments ? ' jp-mod-hasComments' : '');
  button.dataset.count = String(comments);
  button.title = comments ? `${comments} open comment thread(s)` : 'Comment on this cell';
  button.textContent = comments ? `${comments} comment${comments > 1 ? 's' : ''}` : '+ Comment';
  button.addEventListener('click', event => {
    event.stopPropagation();
    options.openComments(cellId);
  });
  node.appendChild(button);
}
