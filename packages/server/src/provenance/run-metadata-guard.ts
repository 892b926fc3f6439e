/**
 * The run summaries in a cell's `metadata.opsbook.runs` travel through the shared document, so any
 * client can write them: they are claims. The run log is the truth. This guard watches every
 * notebook room and, whenever a client's change touches a cell's `opsbook` metadata (or inserts a
 * cell carrying it), rewrites that cell's `runs` from the log:
 *
 * - a summary whose run id is in the log, recorded for this cell, becomes the log's summary (the
 *   server's stamp: user and time; the logged result hash, rows, inputs and cell version), so a
 *   forged author, a future time or another hash is overwritten;
 * - a summary whose run id the log does not have, or that the log recorded for another cell, is
 *   removed (and a warning names the user who wrote it);
 * - malformed entries are removed.
 *
 * The correction is one server-origin change (persisted and broadcast like any edit), made right
 * after the client's update was applied; an honest client (the recorder posts the run first, then
 * writes the log's summary) causes no correction at all. Other `opsbook` keys are left alone.
 */
import { summarizeRun, type RunSummary } from '@opsbook/provenance/lib/run-summary';
import type { StampedRunRecord } from '@opsbook/provenance/lib/run-record';

import type { Room } from '../collaboration/room';
import { yjs } from '../collaboration/yjs';
import type { Logger } from '../log';

/** The actor the guard's corrections are logged under in the room's update log. */
export const GUARD_ACTOR = 'opsbook-provenance';

/** How many summaries a cell keeps (`MAX_CELL_RUNS` of @opsbook/telemetry-cell). */
const MAX_RUNS = 10;

/** One claimed summary the guard removed, and why. */
export interface RejectedSummary {
  runId: string | null;
  reason: string;
}

/** `runs` as the log says they are, and what was removed. */
export interface CheckedRuns {
  runs: RunSummary[];
  rejected: RejectedSummary[];
}

/** Looks a run up in the log (null when it is not there). */
export type RunLookup = (runId: string) => StampedRunRecord | null;

/** The summaries of `claimed` (a cell's `opsbook.runs`) that the log confirms, as the log has them. */
export function checkRunSummaries(
  claimed: unknown,
  cellId: string,
  lookup: RunLookup
): CheckedRuns {
  const rejected: RejectedSummary[] = [];
  const confirmed = new Map<string, StampedRunRecord>();
  for (const entry of Array.isArray(claimed) ? claimed : [claimed]) {
    const runId = (entry as { runId?: unknown } | null)?.runId;
    if (typeof runId !== 'string' || runId === '') {
      rejected.push({ runId: null, reason: 'not a run summary (no run id)' });
      continue;
    }
    const record = lookup(runId);
    if (!record) {
      rejected.push({ runId, reason: 'the run log has no such run' });
    } else if (record.cellId !== cellId) {
      rejected.push({ runId, reason: `the run log recorded it for cell ${record.cellId}` });
    } else {
      confirmed.set(runId, record);
    }
  }
  // Oldest first, as the recorder appends them; the newest MAX_RUNS are kept.
  const runs = [...confirmed.values()]
    .sort((a, b) => (a.stamp.finishedAt < b.stamp.finishedAt ? -1 : 1))
    .map(summarizeRun)
    .slice(-MAX_RUNS);
  return { runs, rejected };
}

/** A cell of the room's notebook model, as far as the guard needs it. */
interface GuardedCell {
  id: string;
  ymodel: { get(key: string): unknown; _item: { id: { client: number; clock: number } } | null };
  getMetadata(key: string): unknown;
  setMetadata(key: string, value: unknown): void;
}

/** A Yjs transaction, as far as the guard needs it. */
interface GuardedTransaction {
  origin: unknown;
  changed: Map<unknown, Set<string | null>>;
  beforeState: Map<number, number>;
}

/** Watches a notebook room (see the module comment). Returns how to stop watching. */
export function guardRunMetadata(room: Room, lookup: RunLookup, log: Logger): () => void {
  const model = room.model as unknown as { cells?: GuardedCell[] };
  if (!Array.isArray(model.cells)) {
    return () => undefined; // Not a notebook.
  }
  const ycells = room.doc.getArray('cells');
  const pending = new Map<GuardedCell, string>();
  let scheduled = false;

  const onTransaction = (tr: GuardedTransaction): void => {
    if (!room.isPeer(tr.origin)) {
      return;
    }
    const metadataChanged = [...tr.changed].filter(([, keys]) => keys.has('opsbook'));
    const cellsChanged = tr.changed.has(ycells);
    if (metadataChanged.length === 0 && !cellsChanged) {
      return;
    }
    const user = (tr.origin as { identity: { username: string } }).identity.username;
    for (const cell of model.cells ?? []) {
      const item = cell.ymodel._item;
      const inserted =
        cellsChanged && item !== null && item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0);
      const metadata = cell.ymodel.get('metadata');
      if (inserted || metadataChanged.some(([type]) => type === metadata)) {
        pending.set(cell, user);
      }
    }
    if (pending.size > 0 && !scheduled) {
      // After the client's transaction is complete (and relayed): a change of our own.
      scheduled = true;
      queueMicrotask(correct);
    }
  };

  const correct = (): void => {
    scheduled = false;
    const cells = [...pending];
    pending.clear();
    if (room.isDisposed) {
      return;
    }
    room.changeAsServer(() => {
      for (const [cell, user] of cells) {
        const opsbook = cell.getMetadata('opsbook') as Record<string, unknown> | undefined;
        if (!opsbook || typeof opsbook !== 'object' || !('runs' in opsbook)) {
          continue;
        }
        let checked: CheckedRuns;
        try {
          checked = checkRunSummaries(opsbook.runs, cell.id, lookup);
        } catch (error) {
          log.error(
            `Could not check the run summaries of cell ${cell.id} in room ${room.id}`,
            error
          );
          continue;
        }
        if (sortedJson(checked.runs) === sortedJson(opsbook.runs)) {
          continue;
        }
        for (const r of checked.rejected) {
          log.warn(
            `Removed run summary ${r.runId ?? '(malformed)'} written by ${user} to cell ${cell.id} ` +
              `in room ${room.id}: ${r.reason}.`
          );
        }
        // Made in yjs's realm (see yjs.ts `plain`): Y types refuse objects of another realm.
        cell.setMetadata('opsbook', yjs().plain({ ...opsbook, runs: checked.runs }));
      }
    }, GUARD_ACTOR);
  };

  room.doc.on('afterTransaction', onTransaction as never);
  return () => room.doc.off('afterTransaction', onTransaction as never);
}

/** JSON with object keys sorted: equal for equal values whatever the key order. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  );
}
