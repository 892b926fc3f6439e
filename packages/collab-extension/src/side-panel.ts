/**
 * The base of the Comments and Hypotheses side panels: follows the current notebook, redraws on
 * every change of its collaboration state or awareness, and keeps what the user is typing (drafts
 * and the focused field with its selection) across redraws caused by peers.
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { LabIcon } from '@jupyterlab/ui-components';
import { observeCollab } from '@opsbook/collab-model';
import { Widget } from '@lumino/widgets';
import { sharedOf, type Identity } from './session';

/** Options of a notebook side panel. */
export interface ISidePanelOptions {
  tracker: INotebookTracker;
  id: string;
  label: string;
  caption: string;
  icon: LabIcon;
  className: string;
  /** The local user's identity from the server, once known. */
  me: () => Identity | null;
  /**
   * Whether the local user may change the notebook (false for viewers: the panel then shows the
   * state without the controls that would change it). True until the server said.
   */
  canWrite: () => boolean;
}

/** Fields whose text survives redraws even when not focused (new comments, replies). */
const DRAFT_PREFIXES = ['new', 'reply:'];

/** A side panel that shows the collaboration state of the current notebook. */
export abstract class NotebookSidePanel extends Widget {
  constructor(options: ISidePanelOptions) {
    super();
    this.id = options.id;
    this.title.icon = options.icon;
    this.title.caption = options.caption;
    this.title.label = '';
    this.addClass('jp-opsbook-SidePanel');
    this.addClass(options.className);
    this.tracker = options.tracker;
    this.me = options.me;
    this.canWrite = options.canWrite;
    this.node.addEventListener('input', event => {
      const target = event.target as HTMLInputElement;
      const key = target.dataset?.key;
      if (key && DRAFT_PREFIXES.some(p => key.startsWith(p))) {
        this.drafts.set(key, target.value);
      }
    });
    options.tracker.currentChanged.connect(this.follow, this);
    this.follow();
  }

  /** The notebook shown, or null. */
  get notebook(): NotebookPanel | null {
    return this.current;
  }

  /** Forgets a draft (after it was submitted) and redraws. */
  protected clearDraft(key: string): void {
    this.drafts.delete(key);
  }

  /** Redraws soon (coalesced to one frame). */
  scheduleRender(): void {
    if (!this.pending) {
      this.pending = requestAnimationFrame(() => {
        this.pending = 0;
        this.renderNow();
      });
    }
  }

  /** Redraws when shown: what was drawn while hidden could not be measured. */
  protected override onAfterShow(msg: Parameters<Widget['processMessage']>[0]): void {
    super.onAfterShow(msg);
    this.scheduleRender();
  }

  /** Draws the panel body for `panel` (null: no notebook open). */
  protected abstract draw(panel: NotebookPanel | null): HTMLElement;

  private renderNow(): void {
    if (this.isDisposed) {
      return;
    }
    const active = document.activeElement as HTMLInputElement | null;
    const focused =
      active && this.node.contains(active) && active.dataset.key
        ? {
            key: active.dataset.key,
            value: active.value,
            start: active.selectionStart,
            end: active.selectionEnd
          }
        : null;
    this.node.replaceChildren(this.draw(this.current));
    for (const [key, value] of this.drafts) {
      const field = this.field(key);
      if (field) {
        field.value = value;
      }
    }
    if (focused) {
      const field = this.field(focused.key);
      if (field) {
        field.value = focused.value;
        field.focus();
        field.setSelectionRange(focused.start, focused.end);
      }
    }
  }

  private field(key: string): HTMLInputElement | null {
    return this.node.querySelector<HTMLInputElement>(`[data-key="${CSS.escape(key)}"]`);
  }

  private follow(): void {
    const panel = this.tracker.currentWidget;
    if (panel === this.current) {
      return;
    }
    this.stop?.();
    this.stop = null;
    this.current = panel;
    if (panel) {
      const { ydoc, awareness } = sharedOf(panel);
      const schedule = () => this.scheduleRender();
      const stopCollab = observeCollab(ydoc, schedule);
      awareness.on('change', schedule);
      panel.content.activeCellChanged.connect(schedule);
      panel.content.model?.cells.changed.connect(schedule);
      void panel.context.ready.then(schedule);
      this.stop = () => {
        stopCollab();
        awareness.off('change', schedule);
        panel.content.activeCellChanged.disconnect(schedule);
        panel.content.model?.cells.changed.disconnect(schedule);
      };
      panel.disposed.connect(() => this.follow());
    }
    this.scheduleRender();
  }

  /** The local user's identity from the server, once known. */
  protected readonly me: () => Identity | null;
  /** Whether the local user may change the notebook (see `ISidePanelOptions.canWrite`). */
  protected readonly canWrite: () => boolean;
  private tracker: INotebookTracker;
  private current: NotebookPanel | null = null;
  private stop: (() => void) | null = null;
  private pending = 0;
  private drafts = new Map<string, string>();
}

/** Creates an element with a class and optional text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A button that runs `onClick`. */
export function button(className: string, label: string, onClick: () => void): HTMLButtonElement {
  const node = h('button', `jp-Button jp-mod-minimal jp-opsbook-Button ${className}`, label);
  node.addEventListener('click', event => {
    event.preventDefault();
    onClick();
  });
  return node;
}

/** A short local time for a timestamp. */
export function shortTime(iso: string): string {
  const date = new Date(iso);
  return isNaN(date.getTime())
    ? ''
    : date.toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit'
      });
}
