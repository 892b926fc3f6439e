/**
 * `replayRun` with real DuckDB-WASM (Node): a deterministic run reproduces; `random()` diverges
 * with a diff of the first rows and the volatile function as the cause; what is posted to the
 * server is what the server's replay API accepts.
 */
import { buildRunRecord, type StampedRunRecord } from '@opsbook/provenance';
import type { DuckDBEngine } from '@opsbook/query-engine';
import { createNodeEngine } from '../../query-engine/src/node';
import { toResultTable } from '@opsbook/telemetry-cell';
import type { ReplaySubmission, ReplayView } from '../src/api';
import { replayRun } from '../src/replay';

/** A server with no datasets: the listing is all `queryPinned` asks it for here. */
const http = {
  datasetsUrl: 'http://server/api/datasets',
  fetch: (async () =>
    new Response(JSON.stringify({ datasets: [] }), { status: 200 })) as unknown as typeof fetch
};

describe('replayRun', () => {
  let engine: DuckDBEngine;
  let posted: { runId: string; replay: ReplaySubmission }[];

  const recordReplay = async (runId: string, replay: ReplaySubmission): Promise<ReplayView> => {
    posted.push({ runId, replay });
    return { reproduced: false, hash: replay.hash, rows: replay.rows } as ReplayView;
  };

  async function recordedRun(
    sql: string
  ): Promise<{ record: StampedRunRecord; first: ReturnType<typeof toResultTable> }> {
    const query = await engine.query(sql);
    const record = buildRunRecord({ cell: { id: 'c', source: sql }, query, engine: engine.info });
    const stamped = { ...record, stamp: { user: 'ana', startedAt: 'x', finishedAt: 'x' } };
    return { record: stamped, first: toResultTable(query.table, 100) };
  }

  beforeAll(async () => {
    engine = await createNodeEngine();
  });
  beforeEach(() => {
    posted = [];
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('posts the same hash for a deterministic run, with no divergence', async () => {
    const { record, first } = await recordedRun('SELECT range AS n FROM range(5) ORDER BY n');
    const outcome = await replayRun(record, { engine, http, recordReplay, recorded: first });
    expect(outcome.diff).toBeNull();
    expect(posted).toEqual([
      {
        runId: record.runId,
        replay: {
          hash: record.result.hash,
          rows: 5,
          durationMs: expect.any(Number),
          diverged: null
        }
      }
    ]);
  });

  it('diffs the first rows and names the volatile function when random() diverges', async () => {
    const { record, first } = await recordedRun('SELECT random() AS r');
    const outcome = await replayRun(record, { engine, http, recordReplay, recorded: first });
    expect(outcome.diff).toMatchObject({ recordedRows: 1, replayedRows: 1, compared: 1 });
    expect(outcome.diff!.added).toHaveLength(1);
    expect(outcome.diff!.removed).toEqual(first.rows);
    expect(outcome.causes[0]).toMatchObject({ kind: 'volatile-function', functions: ['random'] });
    const diverged = posted[0].replay.diverged as Record<string, unknown>;
    expect(posted[0].replay.hash).not.toBe(record.result.hash);
    expect(diverged).toMatchObject({ added: 1, removed: 1, recordedRows: 1, replayedRows: 1 });
    expect(diverged.causes).toEqual([expect.objectContaining({ kind: 'volatile-function' })]);
  });
});
