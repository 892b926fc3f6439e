/**
 * Per-cell history on the server: WHEN a version of a cell is recorded, by WHOM, and restoring
 * one. The versions live in the provenance store's `cell_versions` chain (see
 * @opsbook/provenance cell-history-log.ts); this module only decides what goes in.
 *
 * The server, never a client, says what a cell held: the source and result-affecting metadata
 * come from the server's copy of the notebook (the open collaboration room's document, else the
 * file), the time is the server's and the authors are the users whose connections changed the
 * cell in the room since its previous version (each client update is applied with its connection
 * as the transaction origin, see room.ts). A version is recorded:
 *
 * - `save`: after a room saved its file, for every cell whose hash differs from its last recorded
 *   version. A cell's first version is preceded by its baseline, the cell as the room loaded it
 *   (when it differs), so the state before the first edit can be restored. Baselines are kept
 *   in memory per room (source and metadata only) and recorded lazily: opening a 2,000-cell
 *   notebook must not sign and store 2,000 versions before the next client can join. A save
 *   through `PUT /api/contents` (no collaboration: scripts, the CLI, stock Jupyter) records the
 *   same way from the content it wrote, by the request's user alone (no baseline: the server
 *   never saw the file before);
 * - `run`: when a run of a cell is logged and the cell changed since its last version;
 * - `checkpoint`: a contents checkpoint, or `POST /api/opsbook/history/checkpoint`;
 * - `restore`: `POST /api/opsbook/history/restore` wrote an old version into the room.
 *
 * Keystrokes are never versions: only a cell whose hash differs from its last version gets one.
 * When nobody was seen editing a cell (the file changed outside a room), a run, checkpoint or
 * restore names the user who asked for it, and a room's save names nobody.
 *
 * History follows the file, not the path: a rename is recorded as it happens, and every query
 * and "last version" covers the notebook's earlier paths (notebook-paths.ts). Entries keep the
 * path they were recorded under. A hook that captured a path before a rename records under the
 * path the file has when it runs (`PathAt`, `rebase`).
 *
 * Hooks never throw: what they describe already happened, so a failure is logged. All work is
 * serialised on one queue, so two hooks never both record the same change.
 */
import {
  CELL_VERSION_FORMAT,
  cellVersionOf,
  HISTORY_VERSION_KEYS,
  versionMetadata,
  type CellVersionKind,
  type CellVersionRecord,
  type LoggedCellVersion
} from '@opsbook/provenance/lib/cell-history';
import type { LoggedRun } from '@opsbook/provenance/lib/run-log';

import { parseDocumentRoom, type Collaboration } from '../collaboration/manager';
import { DocumentRoom } from '../collaboration/document-room';
import type { ContentsStore } from '../contents/store';
import { Errors, OpsbookError } from '../errors';
import type { RequestContext } from '../http/router';
import type { Logger } from '../log';
import { yjs } from '../collaboration/yjs';
import type { NotebookPaths, PathAt } from './notebook-paths';
import { rationaleOf, type ServerProvenance } from './service';

type JsonObject = CellVersionRecord['opsbook'];

/** A cell as the server's copy of the notebook has it. */
export interface CurrentCell {
  id: string;
  source: string;
  /** The result-affecting keys of `metadata.opsbook`. */
  opsbook: JsonObject;
  /** Its version hash. */
  version: string;
}

/** What `GET /api/opsbook/history` answers. */
export interface CellHistoryView {
  notebook: string;
  cellId: string;
  versions: LoggedCellVersion[];
  runs: LoggedRun[];
  /** The cell as the server holds it now (null when it is gone), and whether that is recorded. */
  current: (CurrentCell & { recorded: boolean }) | null;
}

/** Options of `CellHistory`. */
export interface CellHistoryOptions {
  provenance: ServerProvenance;
  contents: ContentsStore;
  /** The collaboration service (rooms), once the server has created it. */
  collaboration: () => Collaboration | null;
  log: Logger;
}

/** Room id of a notebook's shared document. */
const roomId = (fileId: string) => `json:notebook:${fileId}`;

/** Versions (and runs) of a cell listed at most, as the chains' `find` lists by default. */
const MAX_LISTED = 10_000;

/** How `recordCells` records. */
interface RecordOptions {
  /** Who asked (named when nobody was seen editing the cell); null for a room's own save. */
  user: string | null;
  /** Only this cell. */
  cellId?: string;
  runId?: string;
  /**
   * The content came with the request (a contents PUT): `user` is its only author, and the
   * room's editors and baselines, which describe the room's document, are left alone.
   */
  fromRequest?: boolean;
}

/** The server's per-cell history (see the module comment). */
export class CellHistory {
  /** `fileId\0cellId` -> users who changed the cell in its room since its last version. */
  private readonly editors = new Map<string, Set<string>>();
  /** fileId -> the cells as their room loaded them (see the module comment: baselines). */
  private readonly baselines = new Map<
    string,
    Map<string, { source: string; metadata: unknown }>
  >();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: CellHistoryOptions) {}

  /**
   * Hook: a notebook room loaded. Watches which connection changes which cell, and records the
   * baseline of cells without history. Returns how to stop watching.
   */
  roomLoaded(room: DocumentRoom): () => void {
    if (parseDocumentRoom(room.id)?.type !== 'notebook') {
      return () => undefined;
    }
    const cells = room.doc.getArray('cells');
    const { Y } = yjs();
    const onTransaction = (tr: {
      origin: unknown;
      changedParentTypes: Map<unknown, { changes: { added: Set<{ content: unknown }> } }[]>;
    }) => {
      if (!room.isPeer(tr.origin)) {
        return;
      }
      const user = tr.origin.identity.username;
      const touched = new Set<string>();
      for (const [type, events] of tr.changedParentTypes) {
        let t = type as { parent: unknown } | null;
        while (t && t.parent !== cells) {
          t = t.parent as { parent: unknown } | null;
        }
        if (t instanceof Y.Map) {
          touched.add(String(t.get('id')));
        }
        if (type === cells) {
          for (const event of events) {
            for (const item of event.changes.added) {
              const content = (item.content as { getContent(): unknown[] }).getContent();
              for (const cell of content) {
                if (cell instanceof Y.Map) touched.add(String(cell.get('id')));
              }
            }
          }
        }
      }
      for (const cellId of touched) {
        const key = `${room.fileId}\0${cellId}`;
        const set = this.editors.get(key) ?? new Set<string>();
        set.add(user);
        this.editors.set(key, set);
      }
    };
    room.doc.on('afterTransaction', onTransaction as never);
    // Cheap: no hashing, no signing (recordCells hashes a baseline only when it is recorded).
    const baseline = new Map<string, { source: string; metadata: unknown }>();
    for (const cell of cells.toArray() as { get(key: string): unknown }[]) {
      const id = cell.get?.('id');
      if (typeof id === 'string') {
        const metadata = cell.get('metadata') as { get(key: string): unknown } | undefined;
        baseline.set(id, {
          source: String(cell.get('source') ?? ''),
          metadata: { opsbook: metadata?.get?.('opsbook') }
        });
      }
    }
    this.baselines.set(room.fileId, baseline);
    return () => {
      room.doc.off('afterTransaction', onTransaction as never);
      if (this.baselines.get(room.fileId) === baseline) {
        this.baselines.delete(room.fileId);
      }
    };
  }

  /** Hook: a room saved its file. */
  roomSaved(room: DocumentRoom): void {
    this.note(`save of ${room.path}`, () =>
      // The file's path as of now (a rename may have come after the save).
      this.recordChanged(
        {
          path: this.options.collaboration()?.store.pathOf(room.fileId) ?? room.path,
          mark: this.paths.mark()
        },
        'save',
        { user: null }
      )
    );
  }

  /** Hook: a run was logged; resolves when its version (if any) is recorded. */
  runRecorded(user: string, run: LoggedRun): Promise<void> {
    const { record } = run;
    if (!record.notebook?.path) {
      return Promise.resolve();
    }
    const at = this.markNow(record.notebook.path);
    return this.note(`run ${record.runId}`, () =>
      this.recordChanged(at, 'run', { user, cellId: record.cellId, runId: record.runId })
    );
  }

  /** Hook: a contents checkpoint was created. */
  contentsCheckpoint(user: string, path: string): void {
    const at = this.markNow(path);
    this.note(`checkpoint of ${path}`, () => this.recordChanged(at, 'checkpoint', { user }));
  }

  /**
   * Hook: `PUT /api/contents` saved `body`. For a notebook, records a `save` version, by `user`,
   * of each cell whose hash differs from its last version, from the content written (a chunked
   * upload: from the file, after its last chunk). Other files and directories have no history.
   */
  contentsSaved(
    user: string,
    model: { path: string; type: string },
    body: Record<string, unknown>
  ): void {
    const chunk = body.chunk;
    if (model.type !== 'notebook' || (typeof chunk === 'number' && chunk !== -1)) {
      return;
    }
    const content = typeof chunk === 'number' ? null : body.content;
    const at = this.markNow(model.path);
    this.note(`save of ${model.path}`, async () => {
      const now = this.paths.rebase(at);
      const cells = content === null ? await this.readFile(now.path) : { cells: cellsOf(content) };
      if (cells === null) return;
      const fileId = this.options.collaboration()?.store.fileIdOf(now.path) ?? null;
      await this.recordCells(now, { fileId, cells: cells.cells }, 'save', {
        user,
        fromRequest: true
      });
    });
  }

  /**
   * Hook: a file or directory was renamed or moved through the contents API; call it before
   * collaboration learns of it. Records the `rename` audit entry that history queries follow
   * (notebook-paths.ts) for a notebook or a directory (which may hold notebooks); other files
   * have no history. Logs instead of throwing: the rename already happened.
   */
  renamed(ctx: RequestContext, from: string, to: string, type: string): void {
    const kind =
      type === 'directory'
        ? 'directory'
        : type === 'notebook' || /\.ipynb$/i.test(from) || /\.ipynb$/i.test(to)
          ? 'notebook'
          : null;
    if (kind === null || from === to) {
      return;
    }
    try {
      this.paths.record({
        user: ctx.user.username,
        from,
        to,
        type: kind,
        fileId:
          kind === 'notebook' ? (this.options.collaboration()?.store.fileIdOf(from) ?? null) : null,
        rationale: rationaleOf(ctx)
      });
    } catch (error) {
      this.options.log.error(
        `Cell history: could not record the rename of ${from} to ${to}`,
        error
      );
    }
  }

  /**
   * Runs `fn` (a contents rename) on the history's queue: no hook reads a notebook between its
   * move on disk and the `rename` record, which would find it at neither path.
   */
  exclusively<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(fn);
  }

  /** Records `checkpoint` versions of the changed cells (or of one cell); throws 404s. */
  checkpoint(
    user: string,
    path: string,
    cellId?: string
  ): Promise<{ recorded: LoggedCellVersion[]; unchanged: string[] }> {
    return this.serial(async () => {
      const at = { path, mark: this.paths.mark() };
      const cells = await this.requireCells(path);
      if (cellId !== undefined && !cells.cells.some(c => c.id === cellId)) {
        throw new OpsbookError(Errors.historyCellNotFound(path, cellId));
      }
      return this.recordCells(at, cells, 'checkpoint', { user, cellId });
    });
  }

  /**
   * Writes version `seq` of a cell into the notebook's room (a server change every peer sees),
   * then records a `restore` version. Nothing is removed from the history.
   */
  restore(user: string, path: string, cellId: string, seq: number): Promise<LoggedCellVersion> {
    return this.serial(async () => {
      const store = this.options.provenance.store();
      const target = store.history.get(seq);
      // A version of this notebook: recorded under its path now or an earlier one.
      if (!target || target.record.cellId !== cellId || !this.paths.owns(path, target)) {
        throw new OpsbookError(Errors.historyVersionNotFound(path, cellId, seq));
      }
      const room = await this.openRoom(path);
      const cells = room.doc.getArray('cells');
      const { Y, plain } = yjs();
      const cell = cells.toArray().find(c => c instanceof Y.Map && c.get('id') === cellId) as
        { get(key: string): unknown } | undefined;
      if (!cell) {
        throw new OpsbookError(Errors.historyCellGone(path, cellId));
      }
      // Unrecorded edits made before the restore are kept as a checkpoint: nothing is lost.
      const at = { path, mark: this.paths.mark() };
      await this.recordCells(at, this.roomCells(room), 'checkpoint', { user, cellId });
      room.changeAsServer(() => {
        replaceText(cell.get('source') as TextLike, target.record.source);
        const meta = cell.get('metadata') as MapLike;
        const current = (meta.get('opsbook') ?? {}) as Record<string, unknown>;
        const next: Record<string, unknown> = { ...current };
        for (const key of HISTORY_VERSION_KEYS) delete next[key];
        Object.assign(next, target.record.opsbook);
        if (JSON.stringify(next) !== JSON.stringify(current)) {
          if (Object.keys(next).length === 0) meta.delete('opsbook');
          else meta.set('opsbook', plain(next));
        }
      }, user);
      const now = this.roomCells(room).cells.find(c => c.id === cellId)!;
      this.editors.delete(`${room.fileId}\0${cellId}`);
      const restored = store.history.record({
        format: CELL_VERSION_FORMAT,
        notebook: { path, fileId: room.fileId },
        cellId,
        version: now.version,
        source: now.source,
        opsbook: now.opsbook,
        kind: 'restore',
        authors: [user],
        time: new Date().toISOString(),
        restoredFrom: seq
      });
      if (room.peers.size === 0) {
        // Nobody has the notebook open to save it: save now so the file has the restore too.
        await room.save();
      }
      return restored;
    });
  }

  /** The versions and runs of a cell, and the cell as the server holds it now; throws 404s. */
  async view(path: string, cellId: string): Promise<CellHistoryView> {
    await this.queue;
    // Under the notebook's earlier paths too (renames), each entry with the path it was under.
    const versions = this.paths.versions(path, cellId, MAX_LISTED);
    const runs = this.paths.runs({ notebook: path, cellId }, MAX_LISTED);
    const cells = await this.readCells(path);
    if (cells === null && versions.length === 0 && runs.length === 0) {
      throw new OpsbookError(Errors.historyNotebookNotFound(path));
    }
    const cell = cells?.cells.find(c => c.id === cellId) ?? null;
    if (!cell && versions.length === 0 && runs.length === 0) {
      throw new OpsbookError(Errors.historyCellNotFound(path, cellId));
    }
    const last = versions[versions.length - 1];
    return {
      notebook: path,
      cellId,
      versions,
      runs,
      current: cell ? { ...cell, recorded: last?.record.version === cell.version } : null
    };
  }

  /** Resolves when every queued hook has run (tests, shutdown). */
  async idle(): Promise<void> {
    for (let q = this.queue; ; q = this.queue) {
      await q;
      if (q === this.queue) return;
    }
  }

  private async recordChanged(
    at: PathAt,
    kind: CellVersionKind,
    options: RecordOptions
  ): Promise<LoggedCellVersion[]> {
    const now = this.paths.rebase(at);
    const cells = await this.readCells(now.path);
    if (cells === null) {
      this.options.log.debug(
        `Cell history: no notebook '${now.path}' to record a ${kind} version of.`
      );
      return [];
    }
    return (await this.recordCells(now, cells, kind, options)).recorded;
  }

  /**
   * Records a version of each (or one) cell whose hash differs from its last version (over the
   * notebook's earlier paths too), under the path the notebook has now.
   */
  private async recordCells(
    at: PathAt,
    cells: { fileId: string | null; cells: CurrentCell[] },
    kind: CellVersionKind,
    options: RecordOptions
  ): Promise<{ recorded: LoggedCellVersion[]; unchanged: string[] }> {
    const store = this.options.provenance.store();
    const recorded: LoggedCellVersion[] = [];
    const unchanged: string[] = [];
    const time = new Date().toISOString();
    const baselines =
      cells.fileId && !options.fromRequest ? this.baselines.get(cells.fileId) : undefined;
    // One transaction: one commit (fsync) for the whole batch, not one per version. No rename
    // can come between resolving the path and recording under it.
    store.transaction(() => {
      const { path } = this.paths.rebase(at);
      const spans = this.paths.spans(path);
      for (const cell of cells.cells) {
        if (options.cellId !== undefined && cell.id !== options.cellId) continue;
        const last = this.paths.latestVersion(spans, cell.id);
        if (last && last.record.version === cell.version) {
          unchanged.push(cell.id);
          continue;
        }
        const loaded = last ? undefined : baselines?.get(cell.id);
        if (loaded) {
          // The cell's first version: its state when the room loaded comes first.
          const [before] = cellsOf({ cells: [{ id: cell.id, ...loaded }] });
          if (before.version !== cell.version) {
            recorded.push(
              store.history.record({
                format: CELL_VERSION_FORMAT,
                notebook: { path, fileId: cells.fileId },
                cellId: cell.id,
                version: before.version,
                source: before.source,
                opsbook: before.opsbook,
                kind: 'save',
                authors: [],
                time
              })
            );
          }
        }
        const key = `${cells.fileId}\0${cell.id}`;
        const seen = options.fromRequest ? [] : [...(this.editors.get(key) ?? [])];
        const authors = seen.length ? seen : options.user ? [options.user] : [];
        if (!options.fromRequest) this.editors.delete(key);
        recorded.push(
          store.history.record({
            format: CELL_VERSION_FORMAT,
            notebook: { path, fileId: cells.fileId },
            cellId: cell.id,
            version: cell.version,
            source: cell.source,
            opsbook: cell.opsbook,
            kind,
            authors,
            time,
            ...(options.runId !== undefined ? { runId: options.runId } : {})
          })
        );
      }
    });
    return { recorded, unchanged };
  }

  /** The notebook's cells from its open room, else its file; null when there is no such file. */
  private async readCells(
    path: string
  ): Promise<{ fileId: string | null; cells: CurrentCell[] } | null> {
    const collaboration = this.options.collaboration();
    const fileId = collaboration?.store.fileIdOf(path) ?? null;
    const room = fileId ? await collaboration!.loadedRoomOfFile(fileId) : null;
    if (room && !room.isDisposed) {
      return this.roomCells(room);
    }
    const file = await this.readFile(path);
    return file && { fileId, cells: file.cells };
  }

  /** The notebook's cells as its file has them; null when there is no such file. */
  private async readFile(path: string): Promise<{ cells: CurrentCell[] } | null> {
    let content: unknown;
    try {
      content = (
        await this.options.contents.get(path.split('/'), {
          content: true,
          hash: false,
          type: 'notebook',
          format: 'json'
        })
      ).content;
    } catch (error) {
      // Gone (or its folder gone) since it was saved: nothing to record.
      const { status, code } = error as { status?: number; code?: string };
      if (status === 404 || code === 'ENOENT') return null;
      throw error;
    }
    return { cells: cellsOf(content) };
  }

  private async requireCells(path: string) {
    const cells = await this.readCells(path);
    if (cells === null) {
      throw new OpsbookError(Errors.historyNotebookNotFound(path));
    }
    return cells;
  }

  private roomCells(room: DocumentRoom): { fileId: string; cells: CurrentCell[] } {
    return { fileId: room.fileId, cells: cellsOf(room.currentContent()) };
  }

  /** The notebook's room, loading it (a restore must reach every peer, and the file). */
  private async openRoom(path: string): Promise<DocumentRoom> {
    const collaboration = this.options.collaboration();
    await this.requireCells(path);
    if (!collaboration) {
      throw new Error('Cell history: the collaboration service is not running.');
    }
    const { fileId } = collaboration.store.indexFile(path);
    const room = await collaboration.getRoom(roomId(fileId));
    if (!(room instanceof DocumentRoom)) {
      throw new OpsbookError(Errors.collabRoomNotFound(roomId(fileId)));
    }
    return room;
  }

  private get paths(): NotebookPaths {
    return this.options.provenance.paths;
  }

  /** `path` as of now; a failing store (shutting down) means no later rename applies. */
  private markNow(path: string): PathAt {
    try {
      return { path, mark: this.paths.mark() };
    } catch {
      return { path, mark: Number.MAX_SAFE_INTEGER };
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Queues `fn` for a hook: failures are logged, never thrown. */
  private note(what: string, fn: () => Promise<unknown>): Promise<void> {
    return this.serial(fn).then(
      () => undefined,
      error => this.options.log.error(`Cell history: could not record the ${what}`, error)
    );
  }
}

/** The cells of notebook JSON with their versions (cells without an id are skipped). */
function cellsOf(content: unknown): CurrentCell[] {
  const cells = (content as { cells?: unknown } | null)?.cells;
  const out: CurrentCell[] = [];
  for (const cell of Array.isArray(cells) ? cells : []) {
    const c = cell as { id?: unknown; source?: unknown; metadata?: unknown };
    if (typeof c.id !== 'string' || c.id === '') continue;
    const source = Array.isArray(c.source) ? c.source.join('') : String(c.source ?? '');
    // A JSON copy: the room's objects may come from yjs's module realm (see yjs.ts `plain`).
    const opsbook = JSON.parse(JSON.stringify(versionMetadata(c.metadata))) as JsonObject;
    out.push({ id: c.id, source, opsbook, version: cellVersionOf(source, opsbook) });
  }
  return out;
}

interface TextLike {
  toString(): string;
  insert(index: number, text: string): void;
  delete(index: number, length: number): void;
}

interface MapLike {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/** Replaces a Y.Text's content by editing only the middle that differs (cursors elsewhere stay). */
function replaceText(text: TextLike, next: string): void {
  const prev = text.toString();
  let start = 0;
  while (start < prev.length && start < next.length && prev[start] === next[start]) start++;
  let end = 0;
  while (
    end < prev.length - start &&
    end < next.length - start &&
    prev[prev.length - 1 - end] === next[next.length - 1 - end]
  ) {
    end++;
  }
  const removed = prev.length - start - end;
  if (removed > 0) text.delete(start, removed);
  const inserted = next.slice(start, next.length - end);
  if (inserted) text.insert(start, inserted);
}
