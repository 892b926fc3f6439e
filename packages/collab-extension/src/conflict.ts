/**
 * The conflict view: when the file of an open notebook changes on disk while the notebook has
 * unsaved edits, the server keeps the notebook's content and publishes the conflict in the
 * shared document's `state` map (`CONFLICT_STATE_KEY` of `@opsbook/collab-model`). Every
 * collaborator then sees a banner above the notebook with three actions, all answered by the
 * server for the whole room:
 *   Keep mine      PUT /api/collaboration/conflict/<fileId>?action=keep_room (save over the file)
 *   Take the file  PUT /api/collaboration/conflict/<fileId>?action=take_disk (load the file)
 *   Show the diff  GET /api/collaboration/conflict/<fileId>, shown cell by cell in a dialog
 * A banner rather than a modal dialog: the conflict belongs to the room, not to one user, so it
 * must not interrupt collaborators while they type, and it disappears for everyone by itself
 * when the server deletes the key (whoever resolved it).
 *
 * "Keep mine" does not go through `docmanager:save`: the stock client compares the file's hash
 * with its last save and would ask again ("File Changed") before the same RAW save.
 */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import { CONFLICT_STATE_KEY, isConflictState, type ConflictState } from '@opsbook/collab-model';
import type * as Y from 'yjs';
import { NotebookBanner } from './banner';
import { diffNotebooks, type CellDiff } from './conflict-diff';
import { sharedOf } from './session';

/** Class of the banner (tests find it by this). */
export const CONFLICT_BANNER_CLASS = 'jp-opsbook-ConflictBanner';

/** Options of `watchConflicts`. */
export interface IWatchConflictsOptions {
  /**
   * Whether the local user may resolve the conflict (viewers may not: the server answers 403);
   * viewers only see the banner and the diff.
   */
  canWrite: () => boolean;
}

/** Shows the conflict banner on `panel` whenever its shared document reports a conflict. */
export function watchConflicts(panel: NotebookPanel, options: IWatchConflictsOptions): void {
  const { ydoc } = sharedOf(panel);
  const state = ydoc.getMap('state');
  const banner = new ConflictBanner({ panel, canWrite: options.canWrite });
  panel.contentHeader.addWidget(banner);
  const update = (event?: Y.YMapEvent<unknown>) => {
    if (!event || event.keysChanged.has(CONFLICT_STATE_KEY)) {
      const value = state.get(CONFLICT_STATE_KEY);
      banner.setConflict(isConflictState(value) ? value : null);
    }
  };
  state.observe(update);
  update();
  panel.disposed.connect(() => state.unobserve(update));
}

/** The actions of the conflict endpoint. */
type ConflictAction = 'keep_room' | 'take_disk';

/** What the banner needs. */
interface ConflictBannerOptions {
  panel: NotebookPanel;
  canWrite: () => boolean;
}

/** The banner above a notebook in conflict with its file (see the file comment). */
class ConflictBanner extends NotebookBanner {
  constructor(options: ConflictBannerOptions) {
    super(CONFLICT_BANNER_CLASS);
    this.panel = options.panel;
    this.canWrite = options.canWrite;
    this.buttons = [
      this.button(
        'Keep mine',
        'Save this notebook, with everyone’s unsaved edits, over the file on disk',
        'accept',
        () => this.resolve('keep_room')
      ),
      this.button(
        'Take the file',
        'Replace this notebook’s content with the file on disk, for everyone (unsaved edits stay in the timeline)',
        'warn',
        () => this.resolve('take_disk')
      ),
      this.button(
        'Show the diff',
        'Compare the file on disk with this notebook, cell by cell',
        'reject',
        () => this.showDiff()
      )
    ];
    this.actions.append(...this.buttons);
  }

  /** Shows the banner for `conflict`, or hides it when null (resolved). */
  setConflict(conflict: ConflictState | null): void {
    this.conflict = conflict;
    this.setBusy(false);
    if (!conflict) {
      this.hide();
      return;
    }
    const name = this.panel.context.path.split('/').pop() ?? this.panel.context.path;
    const time = new Date(conflict.detectedAt).toLocaleTimeString();
    const writer = this.canWrite();
    // Viewers cannot resolve it (the server refuses): they see what happened and the diff.
    this.buttons[0].style.display = writer ? '' : 'none';
    this.buttons[1].style.display = writer ? '' : 'none';
    this.message.textContent =
      `${name} changed on disk while this notebook had unsaved edits (${time}). ` +
      'Nothing is lost: everyone’s edits are still here, and the disk version is kept on the server. ' +
      (writer
        ? '“Keep mine” saves this notebook over the file; “Take the file” loads the file for everyone.'
        : 'An editor can keep this version or take the file.');
    this.showBanner();
  }

  private setBusy(busy: boolean): void {
    for (const button of this.buttons) {
      button.disabled = busy;
    }
  }

  /** Runs `action` on the server; the banner hides when the server deletes the key. */
  private async resolve(action: ConflictAction): Promise<void> {
    const conflict = this.conflict;
    if (!conflict) {
      return;
    }
    this.setBusy(true);
    try {
      await Private.request(conflict.fileId, 'PUT', action);
    } catch (err) {
      this.setBusy(false);
      const what = action === 'keep_room' ? 'keep your version' : 'take the file from disk';
      await showErrorMessage(`Could not ${what}`, err as Error);
    }
  }

  private async showDiff(): Promise<void> {
    const conflict = this.conflict;
    if (!conflict) {
      return;
    }
    let versions: { disk: unknown; room: unknown; savedCopy: string };
    try {
      versions = (await Private.request(conflict.fileId, 'GET')) as typeof versions;
    } catch (err) {
      await showErrorMessage('Could not load the two versions', err as Error);
      return;
    }
    const body = Private.renderDiff(
      diffNotebooks(versions.disk, versions.room),
      versions.savedCopy
    );
    const result = await showDialog({
      title: `${this.panel.context.path}: file on disk vs. this notebook`,
      body,
      buttons: this.canWrite()
        ? [
            Dialog.cancelButton({ label: 'Close' }),
            Dialog.warnButton({ label: 'Take the file', actions: ['take_disk'] }),
            Dialog.okButton({ label: 'Keep mine', actions: ['keep_room'] })
          ]
        : [Dialog.cancelButton({ label: 'Close' })]
    });
    const action = result.button.actions.find(a => a === 'take_disk' || a === 'keep_room');
    if (action && this.conflict === conflict) {
      await this.resolve(action as ConflictAction);
    }
  }

  private readonly panel: NotebookPanel;
  private readonly canWrite: () => boolean;
  private readonly buttons: HTMLButtonElement[];
  private conflict: ConflictState | null = null;
}

namespace Private {
  /** Calls the conflict endpoint of `fileId`; throws a `ResponseError` with the server's text. */
  export async function request(
    fileId: string,
    method: 'GET' | 'PUT',
    action?: ConflictAction
  ): Promise<unknown> {
    const settings = ServerConnection.makeSettings();
    let url = URLExt.join(settings.baseUrl, 'api/collaboration/conflict', fileId);
    if (action) {
      url += `?action=${action}`;
    }
    const response = await ServerConnection.makeRequest(url, { method }, settings);
    if (!response.ok) {
      throw await ServerConnection.ResponseError.create(response);
    }
    return response.json();
  }

  /** The diff as a widget: changed cells as line diffs, unchanged ones as one line each. */
  export function renderDiff(cells: CellDiff[], savedCopy: string): Widget {
    const widget = new Widget();
    widget.addClass('jp-opsbook-ConflictDiff');
    const legend = document.createElement('p');
    legend.className = 'jp-opsbook-ConflictDiff-legend';
    legend.innerHTML =
      '<span class="jp-opsbook-ConflictDiff-disk">− only in the file on disk</span> ' +
      '<span class="jp-opsbook-ConflictDiff-room">+ only in this notebook</span>';
    widget.node.append(legend);
    if (cells.every(c => c.status === 'unchanged')) {
      const same = document.createElement('p');
      same.textContent = 'The cell sources are the same; only outputs or metadata differ.';
      widget.node.append(same);
    }
    for (const cell of cells) {
      const section = document.createElement('section');
      section.className = `jp-opsbook-ConflictDiff-cell jp-mod-${cell.status}`;
      const heading = document.createElement('h4');
      heading.textContent = `${cell.label}: ${STATUS_TEXT[cell.status]}`;
      section.append(heading);
      if (cell.status !== 'unchanged') {
        const pre = document.createElement('pre');
        for (const line of cell.lines) {
          const row = document.createElement('div');
          row.className = `jp-opsbook-ConflictDiff-${line.kind}`;
          row.textContent = `${MARK[line.kind]} ${line.text}`;
          pre.append(row);
        }
        section.append(pre);
      }
      widget.node.append(section);
    }
    const copy = document.createElement('p');
    copy.className = 'jp-opsbook-ConflictDiff-copy';
    copy.textContent = `A copy of the disk version is kept on the server at ${savedCopy}.`;
    widget.node.append(copy);
    return widget;
  }

  const STATUS_TEXT: Record<CellDiff['status'], string> = {
    unchanged: 'unchanged',
    changed: 'changed',
    added: 'only in this notebook',
    removed: 'only in the file on disk'
  };

  const MARK = { same: ' ', disk: '−', room: '+' } as const;
}
