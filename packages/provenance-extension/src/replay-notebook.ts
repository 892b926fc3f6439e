/**
 * "Replay notebook": every recorded run of a notebook replayed in recorded order (the run log's
 * order) on one replay engine, and a reproducibility report of the outcomes.
 *
 * Each run is replayed with `replayRun` in one `ReplaySession`, so a run that read an earlier
 * run's named result gets that parent's replayed result (replayed once). Runs of cells that no
 * longer exist are replayed too: the record holds the SQL. Each replay is logged by the server
 * (an audit entry `replay`), which is the durable trail; the report itself is a document the user
 * downloads (JSON `opsbook.replay-report.v1`, or Markdown), not a file written next to the
 * notebook (docs/provenance.md, "Replay notebook").
 *
 * Non-determinism between recorded runs: runs of the same cell version with the same SQL on the
 * same inputs (snapshots, and parents' result hashes) that logged different result hashes are
 * flagged, with the classifier's causes, whether or not the replay reproduced them.
 */
import {
  classifyNondeterminism,
  type NondeterminismCause,
  type StampedRunRecord
} from '@opsbook/provenance';
import type { HttpSourceOptions, QueryEngine } from '@opsbook/query-engine';
import type { ResultTable } from '@opsbook/telemetry-cell';
import type { LoggedRun, ReplaySubmission, ReplayView } from './api';
import { notReplayableReason, replayRun, ReplaySession, shortId } from './replay';

/** The format tag of a report document. */
export const REPLAY_REPORT_FORMAT = 'opsbook.replay-report.v1';

/** What became of one run. */
export type ReplayVerdict = 'reproduced' | 'diverged' | 'not-replayable';

/** A cause as the report keeps it (plain JSON). */
export interface ReportCause {
  kind: string;
  confidence: string;
  message: string;
}

/** Where a run's cell is in the notebook now. */
export interface ReportCell {
  /** 0-based position in the notebook, or null when the cell no longer exists. */
  index: number | null;
  /** The first non-empty line of the cell's source (of the recorded SQL when it is gone). */
  firstLine: string;
}

/** One run of the report. */
export interface ReportRow {
  runId: string;
  /** The run's position in the run log. */
  seq: number;
  cellId: string;
  cellVersion: string;
  cell: ReportCell;
  user: string;
  /** When the run finished (the server's stamp). */
  recordedAt: string;
  verdict: ReplayVerdict;
  /** Why it diverged or could not be replayed; null when reproduced. */
  reason: string | null;
  causes: ReportCause[];
  /** Row counts of a divergence (`added`/`removed` among the first rows compared). */
  diff: {
    recordedRows: number;
    replayedRows: number;
    compared: number;
    added: number;
    removed: number;
  } | null;
  /** Replay time in ms; null when it did not run. */
  durationMs: number | null;
  parents: string[];
  /**
   * Set when another recorded run of the same cell version on the same inputs logged another
   * result hash: the run ids that disagree with this one.
   */
  recordedDisagreement: string[] | null;
}

/** Runs of one cell version on the same inputs that logged different result hashes. */
export interface RecordedDivergence {
  cellId: string;
  cellVersion: string;
  /** The run ids of the group, oldest first. */
  runIds: string[];
  /** Their distinct result hashes. */
  hashes: string[];
  causes: ReportCause[];
}

/** The reproducibility report of a notebook (see the module comment). */
export interface ReproducibilityReport {
  format: typeof REPLAY_REPORT_FORMAT;
  notebook: string;
  startedAt: string;
  finishedAt: string;
  /** True when the user stopped the replay: `rows` holds the runs done before. */
  cancelled: boolean;
  totals: { runs: number; reproduced: number; diverged: number; notReplayable: number };
  rows: ReportRow[];
  recordedDivergences: RecordedDivergence[];
  /** Wall time of the whole replay, ms. */
  durationMs: number;
}

/** Progress of a notebook replay. */
export interface ReplayNotebookProgress {
  done: number;
  total: number;
  /** The row just finished, if any. */
  row: ReportRow | null;
}

/** What `replayNotebook` needs. */
export interface ReplayNotebookOptions {
  notebook: string;
  /** Every recorded run of the notebook, oldest first (`RunLogClient.notebookRuns`). */
  runs: LoggedRun[];
  /** The replay engine (its datasets are replaced). */
  engine: QueryEngine;
  http: HttpSourceOptions;
  recordReplay(runId: string, replay: ReplaySubmission): Promise<ReplayView>;
  /** Parent runs not among `runs` (`RunLogClient.run`). */
  fetchRun?: (runId: string) => Promise<StampedRunRecord>;
  /** Where a cell is now; null when it no longer exists. */
  findCell?: (cellId: string) => { index: number; source: string } | null;
  /** A run's first rows recorded in this session, for the diff. */
  recorded?: (runId: string) => ResultTable | null;
  onProgress?: (progress: ReplayNotebookProgress) => void;
  /** Aborting stops after the run under way (whose query is cancelled). */
  signal?: AbortSignal;
}

/** Replays every run in `options.runs` in order and reports (see the module comment). */
export async function replayNotebook(
  options: ReplayNotebookOptions
): Promise<ReproducibilityReport> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const records = options.runs.map(r => r.record);
  const parentIds = new Set(records.flatMap(r => r.parents));
  const session = new ReplaySession(runId => parentIds.has(runId));
  session.addRecords(records);
  const groups = recordedGroups(records);
  const classified = new Map<string, ReportCause[]>();
  const onAbort = () => void options.engine.cancel();
  options.signal?.addEventListener('abort', onAbort);
  const rows: ReportRow[] = [];
  try {
    options.onProgress?.({ done: 0, total: options.runs.length, row: null });
    for (const logged of options.runs) {
      if (options.signal?.aborted) {
        break;
      }
      const record = logged.record;
      const row = baseRow(logged, options.findCell?.(record.cellId) ?? null);
      const group = groups.byRun.get(record.runId);
      try {
        const outcome = await replayRun(record, {
          engine: options.engine,
          http: options.http,
          recordReplay: options.recordReplay,
          recorded: options.recorded?.(record.runId) ?? null,
          fetchRun: options.fetchRun,
          session
        });
        row.durationMs = outcome.view.durationMs;
        row.verdict = outcome.view.reproduced ? 'reproduced' : 'diverged';
        row.causes = outcome.causes.map(plainCause);
        if (!outcome.view.reproduced) {
          row.diff = outcome.diff
            ? {
                recordedRows: outcome.diff.recordedRows,
                replayedRows: outcome.diff.replayedRows,
                compared: outcome.diff.compared,
                added: outcome.diff.added.length,
                removed: outcome.diff.removed.length
              }
            : null;
          row.reason = divergedReason(outcome.causes, outcome.parentsDiverged);
        }
        // The engine has this run's pins registered now: the time to ask it about its group.
        if (group && !classified.has(group.key)) {
          classified.set(group.key, await classifyGroup(options.engine, record, group.hashes));
        }
      } catch (error) {
        if (options.signal?.aborted) {
          break;
        }
        row.verdict = 'not-replayable';
        row.reason = notReplayableReason(error);
      }
      rows.push(row);
      options.onProgress?.({ done: rows.length, total: options.runs.length, row });
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const recordedDivergences: RecordedDivergence[] = [];
  for (const group of groups.flagged) {
    const causes = classified.get(group.key) ?? [];
    recordedDivergences.push({
      cellId: group.cellId,
      cellVersion: group.cellVersion,
      runIds: group.runIds,
      hashes: group.hashes,
      causes
    });
    for (const row of rows) {
      if (group.runIds.includes(row.runId)) {
        const mine = records.find(r => r.runId === row.runId)!.result.hash;
        row.recordedDisagreement = group.runIds.filter(
          id => records.find(r => r.runId === id)!.result.hash !== mine
        );
        if (row.verdict === 'reproduced' && row.causes.length === 0) {
          row.causes = causes;
        }
      }
    }
  }
  const count = (verdict: ReplayVerdict) => rows.filter(r => r.verdict === verdict).length;
  return {
    format: REPLAY_REPORT_FORMAT,
    notebook: options.notebook,
    startedAt,
    finishedAt: new Date().toISOString(),
    cancelled: rows.length < options.runs.length,
    totals: {
      runs: rows.length,
      reproduced: count('reproduced'),
      diverged: count('diverged'),
      notReplayable: count('not-replayable')
    },
    rows,
    recordedDivergences,
    durationMs: Date.now() - started
  };
}

/** A group of recorded runs that should agree, and do not. */
interface Group {
  key: string;
  cellId: string;
  cellVersion: string;
  runIds: string[];
  hashes: string[];
}

/**
 * Groups runs by cell version, SQL and inputs (dataset snapshots; for result inputs, the result
 * hash of the parent run when known, else its run id), and keeps the groups whose runs logged
 * more than one result hash.
 */
export function recordedGroups(records: StampedRunRecord[]): {
  flagged: Group[];
  byRun: Map<string, Group>;
} {
  const hashOf = new Map(records.map(r => [r.runId, r.result.hash]));
  const groups = new Map<string, Group>();
  for (const record of records) {
    const inputs = record.inputs
      .map(i =>
        i.kind === 'result'
          ? `${i.table}=result:${(i.run && hashOf.get(i.run)) ?? i.run ?? '?'}`
          : `${i.table}=${i.snapshotId ?? '?'}`
      )
      .sort();
    if (record.inputs.some(i => (i.kind === 'result' ? !i.run : !i.snapshotId))) {
      // An input of unknown origin: two such runs may have read different data.
      continue;
    }
    const key = JSON.stringify([record.cellId, record.cellVersion, record.sql, inputs]);
    const group = groups.get(key) ?? {
      key,
      cellId: record.cellId,
      cellVersion: record.cellVersion,
      runIds: [],
      hashes: []
    };
    group.runIds.push(record.runId);
    if (!group.hashes.includes(record.result.hash)) {
      group.hashes.push(record.result.hash);
    }
    groups.set(key, group);
  }
  const flagged = [...groups.values()].filter(g => g.hashes.length > 1);
  const byRun = new Map<string, Group>();
  for (const group of flagged) {
    group.runIds.forEach(id => byRun.set(id, group));
  }
  return { flagged, byRun };
}

/**
 * The runs among `records` that ran the same cell version and SQL on the same inputs as `record`
 * but logged another result hash (the Provenance panel flags them).
 */
export function disagreeingRuns(record: StampedRunRecord, records: StampedRunRecord[]): string[] {
  const group = recordedGroups(records).byRun.get(record.runId);
  if (!group) {
    return [];
  }
  const hashOf = new Map(records.map(r => [r.runId, r.result.hash]));
  return group.runIds.filter(id => hashOf.get(id) !== record.result.hash);
}

async function classifyGroup(
  engine: QueryEngine,
  record: StampedRunRecord,
  hashes: string[]
): Promise<ReportCause[]> {
  try {
    const report = await classifyNondeterminism({
      engine,
      sql: record.sql,
      hashes: [hashes[0], hashes[1]]
    });
    return report.causes.map(plainCause);
  } catch (error) {
    console.warn('Opsbook: could not classify recorded runs that disagree.', error);
    return [];
  }
}

function plainCause(cause: NondeterminismCause): ReportCause {
  return { kind: cause.kind, confidence: cause.confidence, message: cause.message };
}

function divergedReason(causes: NondeterminismCause[], parentsDiverged: string[]): string {
  const parts: string[] = [];
  if (parentsDiverged.length) {
    parts.push(`parent run ${parentsDiverged.map(shortId).join(', ')} diverged`);
  }
  parts.push(causes.length ? `likely cause: ${causes[0].message}` : 'no likely cause found');
  return parts.join('; ');
}

function baseRow(logged: LoggedRun, cell: { index: number; source: string } | null): ReportRow {
  const record = logged.record;
  return {
    runId: record.runId,
    seq: logged.seq,
    cellId: record.cellId,
    cellVersion: record.cellVersion,
    cell: {
      index: cell ? cell.index : null,
      firstLine: firstLine(cell ? cell.source : record.sql)
    },
    user: record.stamp.user,
    recordedAt: record.stamp.finishedAt,
    verdict: 'not-replayable',
    reason: null,
    causes: [],
    diff: null,
    durationMs: null,
    parents: [...record.parents],
    recordedDisagreement: null
  };
}

/** The first non-empty line of a source, without a leading SQL comment marker, at most 80 chars. */
export function firstLine(source: string): string {
  const line = source
    .split('\n')
    .map(l => l.trim())
    .find(l => l !== '');
  const text = (line ?? '').replace(/^--\s*/, '');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The report as Markdown: totals, then one table row per run, then recorded disagreements. */
export function reportToMarkdown(report: ReproducibilityReport): string {
  const t = report.totals;
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `# Reproducibility report: ${report.notebook}`,
    '',
    `Replayed ${report.startedAt} – ${report.finishedAt}` +
      `${report.cancelled ? ' (cancelled before the end)' : ''}.`,
    '',
    `- Runs replayed: ${t.runs}`,
    `- Reproduced: ${t.reproduced}`,
    `- Diverged: ${t.diverged}`,
    `- Not replayable: ${t.notReplayable}`,
    '',
    '| # | cell | user | recorded | outcome | reason |',
    '|---|---|---|---|---|---|'
  ];
  for (const row of report.rows) {
    const cell =
      row.cell.index === null
        ? `(deleted) ${row.cell.firstLine}`
        : `[${row.cell.index + 1}] ${row.cell.firstLine}`;
    const diff = row.diff
      ? ` (rows ${row.diff.recordedRows} → ${row.diff.replayedRows}, +${row.diff.added} −${row.diff.removed})`
      : '';
    lines.push(
      `| ${row.seq} | ${esc(cell)} | ${esc(row.user)} | ${row.recordedAt} | ${row.verdict} | ` +
        `${esc((row.reason ?? '') + diff)} |`
    );
  }
  if (report.recordedDivergences.length) {
    lines.push('', '## Recorded runs that disagree', '');
    for (const d of report.recordedDivergences) {
      const cause = d.causes[0]?.message ?? 'no likely cause found';
      lines.push(
        `- cell ${d.cellId}, version ${shortId(d.cellVersion)}: runs ` +
          `${d.runIds.map(shortId).join(', ')} gave ${d.hashes.length} different results on the ` +
          `same snapshots. ${cause}`
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
