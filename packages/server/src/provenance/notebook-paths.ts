/**
 * A notebook's history follows the FILE across renames and moves, while every signed entry keeps
 * the path it was recorded under: entries are never rewritten, so every chain still verifies.
 *
 * A rename or move through the contents API (`PATCH /api/contents/<from>`, of a notebook or of a
 * directory) is recorded as it happens, as an audit entry appended in one SQLite transaction with
 * reading the heads of the run log and the cell-version log:
 *
 *   {action: "rename", user, time, notebook: {path: <to>, fileId} | null (a directory),
 *    rationale, details: {from, to, type: "notebook" | "directory", heads: {runs, versions}}}
 *
 * `heads` are the last seq of each chain when the rename happened, so every run and version is
 * before or after it without comparing clocks. The audit trail is hash-chained and signed, so
 * the renames that queries rely on verify with the rest of the trail (`opsbook audit verify`).
 *
 * Resolving a path P (`spansOf`) walks the renames back from now:
 * - a rename INTO P (`to` is P, or a directory holding P) means the entries under P after it are
 *   P's file's, and before it the file was at `from` (+ the rest of P): the walk goes on there,
 *   with that rename as the upper bound;
 * - a rename AWAY from P (`from` is P, or a directory that held it) means the file now at P came
 *   later (it was created anew): only entries after that rename are its own; the walk stops;
 * - no rename: every entry under P up to the bound is the file's.
 * So a new file at an old path starts empty, a moved directory takes every notebook in it along,
 * and a notebook renamed back and forth keeps all of its history.
 *
 * Hooks that captured a path before running (queued on the history's queue) `rebase` it: the
 * renames recorded since they captured it (an audit seq, the `mark`) move it to where that file
 * is now.
 */
import type { AuditRecord } from '@opsbook/provenance/lib/audit-log';
import type { LoggedCellVersion } from '@opsbook/provenance/lib/cell-history';
import type { LoggedRun, RunFilter } from '@opsbook/provenance/lib/run-log';

import type { ImportedRun, ImportedRuns } from './bundle-registry';
import type { ServerProvenanceStore } from './store';

/** The chains whose entries carry a notebook path. */
export type PathChain = 'runs' | 'versions';

/** A point in the logs: a rename's audit seq, the chains' heads then, and its time. */
export interface PathBound {
  audit: number;
  runs: number;
  versions: number;
  time: string;
}

/** One recorded rename (`from` and `to` are contents API paths, files or directories). */
export interface PathMove extends PathBound {
  from: string;
  to: string;
}

/**
 * Where a notebook's entries are: those recorded under `path` after `after` (null: from the
 * start) and up to `upTo` (null: until now).
 */
export interface PathSpan {
  path: string;
  after: PathBound | null;
  upTo: PathBound | null;
}

/** A path captured at audit seq `mark` (see the module comment: `rebase`). */
export interface PathAt {
  path: string;
  mark: number;
}

/** What `NotebookPaths.record` records. */
export interface RenameInput {
  user: string;
  from: string;
  to: string;
  type: 'notebook' | 'directory';
  fileId: string | null;
  rationale: string | null;
}

/** The `limit` of a query that must list everything (every rename, a path's every entry). */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** True when `p` is `dir` or inside it. */
const under = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

/** The spans of `path`, newest first (see the module comment); `moves` oldest first. */
export function spansOf(path: string, moves: readonly PathMove[]): PathSpan[] {
  const spans: PathSpan[] = [];
  let current = path;
  let upTo: PathBound | null = null;
  for (let i = moves.length - 1; i >= 0; i--) {
    const move = moves[i];
    if (move.from === move.to) continue;
    if (under(current, move.to)) {
      spans.push({ path: current, after: move, upTo });
      current = move.from + current.slice(move.to.length);
      upTo = move;
    } else if (under(current, move.from)) {
      spans.push({ path: current, after: move, upTo });
      return spans;
    }
  }
  spans.push({ path: current, after: null, upTo });
  return spans;
}

/** Where the file at `path` when audit seq `mark` was the head is after the later moves. */
export function forwardPath(path: string, moves: readonly PathMove[], mark: number): string {
  let current = path;
  for (const move of moves) {
    if (move.audit > mark && move.from !== move.to && under(current, move.from)) {
      current = move.to + current.slice(move.from.length);
    }
  }
  return current;
}

/**
 * Every path the notebook of an entry (`seq` in `chain`, recorded under `path`) has had since,
 * oldest first: `path` first, the path now last (a path it came back to is listed again).
 */
export function pathsSince(
  path: string,
  moves: readonly PathMove[],
  chain: PathChain | 'audit',
  seq: number
): string[] {
  const paths = [path];
  let current = path;
  for (const move of moves) {
    // A move after the entry: the entry was at or before the chain's head then.
    const after = chain === 'audit' ? move.audit > seq : move[chain] >= seq;
    if (after && move.from !== move.to && under(current, move.from)) {
      current = move.to + current.slice(move.from.length);
      paths.push(current);
    }
  }
  return paths;
}

/** True when entry `seq` of `chain` falls inside `span`'s bounds. */
export function inSpan(span: PathSpan, chain: PathChain | 'audit', seq: number): boolean {
  return (
    (span.after === null || seq > span.after[chain]) &&
    (span.upTo === null || seq <= span.upTo[chain])
  );
}

/** The renames of one provenance store and the queries that follow them (module comment). */
export class NotebookPaths {
  private cache: { head: number; moves: PathMove[] } | null = null;

  constructor(private readonly store: () => ServerProvenanceStore) {}

  /**
   * Records a rename (the audit entry of the module comment) with the chains' heads, in one
   * transaction; throws when the store cannot be written.
   */
  record(input: RenameInput): AuditRecord {
    const store = this.store();
    return store.transaction(() =>
      store.audit.record({
        action: 'rename',
        user: input.user,
        time: new Date().toISOString(),
        notebook: input.type === 'notebook' ? { path: input.to, fileId: input.fileId } : null,
        rationale: input.rationale,
        details: {
          from: input.from,
          to: input.to,
          type: input.type,
          // Nested, so the audit view's one-line summary shows from, to and type only.
          heads: {
            runs: store.runs.chain.head()?.seq ?? 0,
            versions: store.history.chain.head()?.seq ?? 0
          }
        }
      })
    );
  }

  /** Every recorded rename, oldest first, and the audit head they were read at. */
  moves(): { head: number; moves: PathMove[] } {
    const store = this.store();
    const head = store.audit.chain.head()?.seq ?? 0;
    if (this.cache?.head !== head) {
      const moves: PathMove[] = [];
      for (const e of store.audit.query({ action: 'rename', limit: UNBOUNDED })) {
        const d = e.details as {
          from?: unknown;
          to?: unknown;
          heads?: { runs?: unknown; versions?: unknown };
        };
        if (
          typeof d.from === 'string' &&
          typeof d.to === 'string' &&
          Number.isSafeInteger(d.heads?.runs) &&
          Number.isSafeInteger(d.heads?.versions)
        ) {
          moves.push({
            from: d.from,
            to: d.to,
            audit: e.seq,
            runs: d.heads!.runs as number,
            versions: d.heads!.versions as number,
            time: e.time
          });
        }
      }
      this.cache = { head, moves };
    }
    return this.cache;
  }

  /** The audit head now: a path captured now is valid at this mark. */
  mark(): number {
    return this.moves().head;
  }

  /** `at` moved to where its file is now, with a mark of now. */
  rebase(at: PathAt): PathAt {
    const { head, moves } = this.moves();
    return { path: forwardPath(at.path, moves, at.mark), mark: head };
  }

  /** The spans of the notebook now at `path`, newest first. */
  spans(path: string): PathSpan[] {
    return spansOf(path, this.moves().moves);
  }

  /** Every path the notebook of entry `seq` of `chain` (recorded under `path`) has had since. */
  pathsSince(path: string, chain: PathChain | 'audit', seq: number): string[] {
    return pathsSince(path, this.moves().moves, chain, seq);
  }

  /** Runs of the notebook now at `filter.notebook` (or of every notebook), oldest first. */
  runs(filter: RunFilter, limit: number): LoggedRun[] {
    const { runs } = this.store();
    if (filter.notebook === undefined) {
      return runs.find(filter, limit);
    }
    const spans = this.spans(filter.notebook);
    if (spans.length === 1 && spans[0].after === null) {
      return runs.find(filter, limit); // Never renamed: the path is the whole story.
    }
    return merge(
      spans.map(span =>
        runs
          .find({ ...filter, notebook: span.path }, UNBOUNDED)
          .filter(r => inSpan(span, 'runs', r.seq))
      ),
      limit
    );
  }

  /**
   * Runs imported from investigation bundles into the notebook now at `filter.notebook`: those
   * imported under each span's path while the span lasted (the import's audit entry says when).
   */
  importedRuns(filter: RunFilter, imported: ImportedRuns, limit: number): ImportedRun[] {
    if (filter.notebook === undefined) {
      return imported.find(filter, limit);
    }
    const spans = this.spans(filter.notebook);
    if (spans.length === 1 && spans[0].after === null) {
      return imported.find(filter, limit);
    }
    const out: ImportedRun[] = [];
    for (const span of [...spans].reverse()) {
      const imports = this.imports(span.path);
      for (const run of imported.find({ ...filter, notebook: span.path })) {
        const seqs = imports.filter(e => e.details.bundle === run.origin.bundle).map(e => e.seq);
        // No import entry (another store's CLI import): it belongs to the path's first file.
        if (seqs.length ? seqs.some(seq => inSpan(span, 'audit', seq)) : span.after === null) {
          out.push(run);
        }
      }
    }
    return out.slice(0, limit);
  }

  /** The audit seq of the newest import of `bundle` as `path`, or 0 when none is recorded. */
  importSeq(path: string, bundle: string): number {
    const imports = this.imports(path).filter(e => e.details.bundle === bundle);
    return imports.length ? imports[imports.length - 1].seq : 0;
  }

  /** Versions of the notebook now at `path` (optionally of one cell), oldest first. */
  versions(path: string, cellId?: string, limit = 10_000): LoggedCellVersion[] {
    const { history } = this.store();
    const spans = this.spans(path);
    if (spans.length === 1 && spans[0].after === null) {
      return history.find({ notebook: path, cellId }, limit);
    }
    return merge(
      spans.map(span =>
        history
          .find({ notebook: span.path, cellId }, UNBOUNDED)
          .filter(v => inSpan(span, 'versions', v.seq))
      ),
      limit
    );
  }

  /** The newest version of a cell of the notebook whose spans are `spans`, or null. */
  latestVersion(spans: readonly PathSpan[], cellId: string): LoggedCellVersion | null {
    const { history } = this.store();
    for (const span of spans) {
      const last = history.latest(span.path, cellId, span.upTo?.versions);
      if (last && inSpan(span, 'versions', last.seq)) {
        return last;
      }
    }
    return null;
  }

  /** True when `version` is one of the notebook now at `path`'s versions. */
  owns(path: string, version: LoggedCellVersion): boolean {
    return this.spans(path).some(
      span => span.path === version.record.notebook.path && inSpan(span, 'versions', version.seq)
    );
  }

  /** The `import` audit entries that created a notebook at `path`, oldest first. */
  private imports(path: string): AuditRecord[] {
    return this.store().audit.query({ action: 'import', notebook: path, limit: UNBOUNDED });
  }
}

/** Lists (each in seq order) merged in seq order, the first `limit`. */
function merge<T extends { seq: number }>(lists: T[][], limit: number): T[] {
  return lists
    .flat()
    .sort((a, b) => a.seq - b.seq)
    .slice(0, limit);
}
