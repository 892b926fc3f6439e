/**
 * Shape checks of what clients send to the provenance routes: a run record (`POST
 * /api/opsbook/runs`) and a replay outcome (`POST /api/opsbook/runs/<runId>/replays`). Every
 * refusal is a 400 naming the field (`inputs[2].snapshotId`). Unknown top-level keys are refused
 * too: whatever is accepted goes into an append-only log for good.
 */
import type { RunInput, RunRecord } from '@opsbook/provenance/lib/run-record';

import { Errors, OpsbookError } from '../errors';
import { isObject } from '../http/router';
import { RUN_FORMAT } from './store';

/** A run record as submitted, with the duration the client measured. */
export interface RunSubmission {
  /** The record with `stamp: null` (the client's stamp, if any, is dropped). */
  record: RunRecord;
  /** Milliseconds the client reports the run took (0 when it sent none). */
  durationMs: number;
}

/** A replay outcome as submitted. */
export interface ReplaySubmission {
  hash: string;
  rows: number;
  durationMs: number;
  /** What the client found when the hashes differ (e.g. the non-determinism classifier's causes). */
  diverged: Record<string, unknown> | null;
  rationale: string | null;
}

/** Run ids: UUIDs in practice; `export` is a route, not an id. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const RECORD_KEYS = [
  'format',
  'runId',
  'cellId',
  'cellVersion',
  'notebook',
  'sql',
  'parameters',
  'template',
  'inputs',
  'engine',
  'result',
  'parents',
  'hypothesisId',
  'rationale',
  'stamp'
];

/** True when `runId` can name a run in a URL. */
export function isRunId(runId: string): boolean {
  return RUN_ID.test(runId) && runId !== 'export';
}

/** Checks a submitted run record; throws a 400 naming the first bad field. */
export function parseRunSubmission(body: unknown): RunSubmission {
  const bad = (field: string, detail: string): never => {
    throw new OpsbookError(Errors.runBadRecord(field, detail));
  };
  if (!isObject(body)) {
    return bad('(body)', 'must be a JSON object');
  }
  for (const key of Object.keys(body)) {
    if (!RECORD_KEYS.includes(key) && key !== 'durationMs') {
      bad(key, 'is not a field of a run record');
    }
  }
  const text = (value: unknown, field: string, allowEmpty = false): string =>
    typeof value === 'string' && (allowEmpty || value !== '')
      ? value
      : bad(field, allowEmpty ? 'must be a string' : 'must be a non-empty string');
  const textOrNull = (value: unknown, field: string): string | null =>
    value === null || value === undefined ? null : text(value, field, true);
  const strings = (value: unknown, field: string): string[] =>
    Array.isArray(value)
      ? value.map((v, i) => text(v, `${field}[${i}]`))
      : bad(field, 'must be an array of strings');
  const object = (value: unknown, field: string): Record<string, unknown> =>
    isObject(value) ? value : bad(field, 'must be a JSON object');

  if (body.format !== RUN_FORMAT) {
    bad('format', `must be "${RUN_FORMAT}"`);
  }
  const runId = text(body.runId, 'runId');
  if (!isRunId(runId)) {
    bad('runId', "must be 1-128 letters, digits, '_', '.', ':' or '-' (a UUID), and not 'export'");
  }
  const cellId = text(body.cellId, 'cellId');
  const cellVersion = text(body.cellVersion, 'cellVersion');
  if (!HEX64.test(cellVersion)) {
    bad('cellVersion', 'must be 64 lower-case hex digits (cellVersion of the cell)');
  }
  let notebook: RunRecord['notebook'] = null;
  if (body.notebook !== null && body.notebook !== undefined) {
    const nb = object(body.notebook, 'notebook');
    notebook = {
      path: text(nb.path, 'notebook.path'),
      fileId: textOrNull(nb.fileId, 'notebook.fileId')
    };
  }
  const sql = text(body.sql, 'sql', true);
  const parameters = object(body.parameters ?? {}, 'parameters') as RunRecord['parameters'];
  let template: RunRecord['template'] = null;
  if (body.template !== null && body.template !== undefined) {
    const t = object(body.template, 'template');
    template = {
      id: text(t.id, 'template.id'),
      version: text(t.version, 'template.version', true)
    };
  }
  if (!Array.isArray(body.inputs)) {
    bad('inputs', 'must be an array (one entry per table read)');
  }
  const inputs = (body.inputs as unknown[]).map((value, i): RunInput => {
    const field = `inputs[${i}]`;
    const input = object(value, field);
    const out: RunInput = {
      table: text(input.table, `${field}.table`),
      snapshotId: textOrNull(input.snapshotId, `${field}.snapshotId`),
      columns: strings(input.columns ?? [], `${field}.columns`)
    };
    // An earlier run's named result (docs/provenance.md, "Named results"): no snapshot, a run.
    if (input.kind === 'result') {
      out.kind = 'result';
      out.run = textOrNull(input.run, `${field}.run`);
    } else if (input.kind !== undefined && input.kind !== null) {
      bad(`${field}.kind`, "must be 'result' (an earlier run's named result) or absent");
    }
    for (const bound of ['start', 'end'] as const) {
      if (input[bound] !== undefined && input[bound] !== null) {
        out[bound] = text(input[bound], `${field}.${bound}`);
      }
    }
    return out;
  });
  const engine = object(body.engine, 'engine');
  const result = object(body.result, 'result');
  const resultHash = text(result.hash, 'result.hash');
  if (!HEX64.test(resultHash)) {
    bad('result.hash', 'must be 64 lower-case hex digits (the canonical result hash)');
  }
  if (!Number.isSafeInteger(result.rowCount) || (result.rowCount as number) < 0) {
    bad('result.rowCount', 'must be a whole number >= 0');
  }
  if (!Array.isArray(result.schema)) {
    bad('result.schema', 'must be an array of {name, type, nullable}');
  }
  const schema = (result.schema as unknown[]).map((value, i) => {
    const field = object(value, `result.schema[${i}]`);
    if (typeof field.nullable !== 'boolean') {
      bad(`result.schema[${i}].nullable`, 'must be true or false');
    }
    return {
      name: text(field.name, `result.schema[${i}].name`, true),
      type: text(field.type, `result.schema[${i}].type`),
      nullable: field.nullable as boolean
    };
  });
  const record: RunRecord = {
    format: RUN_FORMAT,
    runId,
    cellId,
    cellVersion,
    notebook,
    sql,
    parameters,
    template,
    inputs,
    engine: {
      name: text(engine.name, 'engine.name'),
      version: text(engine.version, 'engine.version', true),
      settings: Object.fromEntries(
        Object.entries(object(engine.settings ?? {}, 'engine.settings')).map(([name, value]) => [
          name,
          text(value, `engine.settings.${name}`, true)
        ])
      )
    },
    result: {
      encoding: text(result.encoding, 'result.encoding'),
      hash: resultHash,
      rowCount: result.rowCount as number,
      schema
    },
    parents: strings(body.parents ?? [], 'parents'),
    hypothesisId: textOrNull(body.hypothesisId, 'hypothesisId'),
    rationale: textOrNull(body.rationale, 'rationale'),
    // Who and when are the server's to say (routes.ts stamps them).
    stamp: null
  };
  return { record, durationMs: durationOf(body, bad) };
}

/**
 * The duration the client reports: `durationMs`, else the span of the stamp it claims (only the
 * difference is used, never the times themselves), else 0.
 */
function durationOf(body: Record<string, unknown>, bad: (f: string, d: string) => never): number {
  if (body.durationMs !== undefined) {
    const ms = body.durationMs;
    return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0
      ? ms
      : bad('durationMs', 'must be a number of milliseconds >= 0');
  }
  const stamp = isObject(body.stamp) ? body.stamp : null;
  const from = stamp?.startedAt;
  const to = stamp?.finishedAt;
  if (
    typeof from === 'string' &&
    typeof to === 'string' &&
    ISO_UTC.test(from) &&
    ISO_UTC.test(to)
  ) {
    return Math.max(0, Date.parse(to) - Date.parse(from));
  }
  return 0;
}

/** Checks a submitted replay outcome; throws a 400 naming the first bad field. */
export function parseReplay(body: unknown): ReplaySubmission {
  const bad = (field: string, detail: string): never => {
    throw new OpsbookError(Errors.replayBadRequest(field, detail));
  };
  if (!isObject(body)) {
    return bad('(body)', 'must be a JSON object');
  }
  for (const key of Object.keys(body)) {
    if (!['hash', 'rows', 'durationMs', 'diverged', 'rationale'].includes(key)) {
      bad(key, 'is not a field of a replay');
    }
  }
  if (typeof body.hash !== 'string' || !HEX64.test(body.hash)) {
    bad('hash', 'must be the replay result hash: 64 lower-case hex digits');
  }
  if (!Number.isSafeInteger(body.rows) || (body.rows as number) < 0) {
    bad('rows', 'must be a whole number >= 0');
  }
  const ms = body.durationMs;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    bad('durationMs', 'must be a number of milliseconds >= 0');
  }
  if (body.diverged !== undefined && body.diverged !== null && !isObject(body.diverged)) {
    bad('diverged', 'must be a JSON object (what differs, e.g. the likely causes) or null');
  }
  if (
    body.rationale !== undefined &&
    body.rationale !== null &&
    typeof body.rationale !== 'string'
  ) {
    bad('rationale', 'must be a string');
  }
  return {
    hash: body.hash as string,
    rows: body.rows as number,
    durationMs: ms as number,
    diverged: (body.diverged as Record<string, unknown> | undefined) ?? null,
    rationale: (body.rationale as string | undefined) ?? null
  };
}
