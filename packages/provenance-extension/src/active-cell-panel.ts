/**
 * The base of the side panels that show something about the active cell (Provenance, Cell
 * History): following the current notebook's active cell, reloading when it changes, when the
 * panel is shown and when the cell's run summary changes, and a refresh ticket so that only the
 * newest of overlapping loads updates the panel.
 */
import type { ICellModel } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { METADATA_KEY } from '@opsbook/telemetry-cell';
import { Widget } from '@lumino/widgets';

/**
 * A side panel that follows the active cell of the current notebook (see the module comment).
 * Subclasses call `followActiveCell()` at the end of their constructor, once their own fields are
 * set, because following starts with a `refresh()`.
 */
export abstract class ActiveCellPanel extends Widget {
  private readonly _tracker: INotebookTracker;
  private _notebook: NotebookPanel | null = null;
  private _cell: ICellModel | null = null;
  private _loading = 0;

  constructor(tracker: INotebookTracker) {
    super();
    this._tracker = tracker;
  }

  /** The notebook whose active cell the panel shows, if any. */
  protected get notebook(): NotebookPanel | null {
    return this._notebook;
  }

  /** The model of the active cell, if any. */
  protected get cell(): ICellModel | null {
    return this._cell;
  }

  /** Reloads what the panel shows about the active cell. */
  abstract refresh(): Promise<void>;

  /** Forgets what the panel showed about the previous cell (the active cell changed). */
  protected abstract resetCell(): void;

  /** Redraws the panel from its state. */
  protected abstract render(): void;

  protected onAfterShow(): void {
    void this.refresh();
  }

  /** Starts following the current notebook's active cell, and loads it. */
  protected followActiveCell(): void {
    this._tracker.currentChanged.connect(this._follow, this);
    this._tracker.activeCellChanged.connect(this._follow, this);
    this._follow();
  }

  /**
   * Runs one load under a refresh ticket: `apply` (or `fail`) only runs when no newer load began
   * meanwhile, and the newest load renders the panel when it ends.
   */
  protected async load<T>(
    fetch: () => Promise<T>,
    apply: (value: T) => void,
    fail: (error: Error) => void
  ): Promise<void> {
    const ticket = ++this._loading;
    try {
      const value = await fetch();
      if (ticket === this._loading) {
        apply(value);
      }
    } catch (error) {
      if (ticket === this._loading) {
        fail(error as Error);
      }
    } finally {
      if (ticket === this._loading) {
        this._loading = 0;
        this.render();
      }
    }
  }

  private _follow(): void {
    const notebook = this._tracker.currentWidget;
    const cell = notebook?.content.activeCell?.model ?? null;
    if (cell === this._cell && notebook === this._notebook) {
      return;
    }
    this._cell?.metadataChanged.disconnect(this._onMetadata, this);
    this._notebook = notebook;
    this._cell = cell;
    this.resetCell();
    cell?.metadataChanged.connect(this._onMetadata, this);
    void this.refresh();
  }

  /** A new run summary (ours or a collaborator's) means a new run (maybe a version) on the server. */
  private _onMetadata(_: ICellModel, change: { key: string }): void {
    if (change.key === METADATA_KEY) {
      void this.refresh();
    }
  }
}
