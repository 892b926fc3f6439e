/**
 * What the collaboration plugins need from an open notebook: its Y.Doc and awareness (from
 * `@jupyter/ydoc`'s YNotebook, synced by the docprovider when collaboration is on), who the local
 * user is, and how to find and show a cell by id.
 */
import type { Cell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';

/** The identity the server gives each user (`GET /api/me`), as published in awareness `user`. */
export interface Identity {
  username: string;
  name?: string;
  display_name?: string;
  initials?: string;
  color?: string;
}

/** What each client publishes in awareness under `opsbook`. */
export interface OpsbookAwareness {
  /** Id of the cell the user is in, or null. */
  activeCell: string | null;
  /** Ids of the cells this user has running or queued. */
  runningCells: string[];
}

/** One remote (or local) client's awareness state, as read by the plugins. */
export interface Peer {
  clientId: number;
  user: Identity;
  opsbook: OpsbookAwareness | null;
}

/** The Y.Doc and awareness of a notebook panel. */
export function sharedOf(panel: NotebookPanel): { ydoc: Y.Doc; awareness: Awareness } {
  const shared = panel.context.model.sharedModel as unknown as {
    ydoc: Y.Doc;
    awareness: Awareness;
  };
  return { ydoc: shared.ydoc, awareness: shared.awareness };
}

/** The name shown for a user: display name, then name, then username. */
export function displayName(user: Identity | undefined, fallback = 'someone'): string {
  return user?.display_name || user?.name || user?.username || fallback;
}

/** Every client in the notebook's awareness that has a user, local one included. */
export function peersOf(awareness: Awareness): Peer[] {
  const peers: Peer[] = [];
  awareness.getStates().forEach((state, clientId) => {
    const user = state.user as Identity | undefined;
    if (user && typeof user.username === 'string') {
      peers.push({ clientId, user, opsbook: (state.opsbook as OpsbookAwareness) ?? null });
    }
  });
  return peers;
}

/**
 * The local user's username: from awareness (set by the docprovider), else from the identity the
 * server returned (`me`, used when collaboration is off), else 'anonymous'.
 */
export function localUsername(awareness: Awareness, me?: Identity | null): string {
  const user = awareness.getLocalState()?.user as Identity | undefined;
  return user?.username ?? me?.username ?? 'anonymous';
}

/** The cell widget with the given model id, with its index, or null. */
export function findCell(
  panel: NotebookPanel,
  cellId: string
): { cell: Cell; index: number } | null {
  const index = panel.content.widgets.findIndex(c => c.model.id === cellId);
  return index < 0 ? null : { cell: panel.content.widgets[index], index };
}

/** Makes the cell active and scrolls it into view; false when it no longer exists. */
export function revealCell(panel: NotebookPanel, cellId: string): boolean {
  const found = findCell(panel, cellId);
  if (!found) {
    return false;
  }
  panel.content.activeCellIndex = found.index;
  void panel.content.scrollToCell(found.cell, 'center');
  return true;
}

/** A short label for a cell: "Cell 3", or "deleted cell" when it is gone. */
export function cellLabel(panel: NotebookPanel, cellId: string): string {
  const found = findCell(panel, cellId);
  return found ? `Cell ${found.index + 1}` : 'deleted cell';
}
