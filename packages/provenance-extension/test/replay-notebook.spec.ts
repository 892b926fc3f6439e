/**
 * Named results, parent links and "Replay notebook" end to end (issue #5), with real parts: a
 * real server on 127.0.0.1:0 (catalog from an OTLP upload, signed run log), real DuckDB-WASM in
 * Node as the kernel's engine and as the replay engine, and the real recorder posting to the run
 * log. The replay of a child replays its parent on the parent's own pins first; runs that cannot
 * be replayed say why (snapshot gone, SQL error, unknown or unreadable or unreplayable parent).
 */
import { createServer, type OpsbookServer } from '@opsbook/server';
import type { KernelRun } from '@opsbook/duckdb-kernel';
import type { RunRecord, StampedRunRecord } from '@opsbook/provenance';
import {
  httpDatasetSource,
  listDatasets,
  type DuckDBEngine,
  type HttpSourceOptions
} from '@opsbook/query-engine';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createNodeEngine } from '../../query-engine/src/node';
import type { LoggedRun, ReplaySubmission, ReplayView } from '../src/api';
import { createRunRecorder, RecentResults, type RecordedCell } from '../src/recorder';
import { replayNotebook, reportToMarkdown } from '../src/replay-notebook';
import { replayRun, ReplaySession } from '../src/replay';

const TOKEN = 'replay-notebook-test-token-0123456789';
const OTLP = path.resolve(__dirname, '../../adapters/test/fixtures/otlp');
const NOTEBOOK = 'incident.ipynb';

describe('named results and Replay notebook', () => {
  let dir: string;
  let server: OpsbookServer;
  let base: string;
  let http: HttpSourceOptions;
  let kernel: DuckDBEngine;
  let replayEngine: DuckDBEngine;
  const recent = new RecentResults();
  const cells = new Map<string, RecordedCell>();
  let recorder: (run: KernelRun) => Promise<string | null>;
  let loggedRuns: LoggedRun[];

  const api = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}/api/opsbook/${p}`, {
      method,
      headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${JSON.parse(text).message} (HTTP ${response.status})`);
    }
    return JSON.parse(text) as T;
  };
  const recordReplay = (runId: string, replay: ReplaySubmission) =>
    api<ReplayView>('POST', `runs/${encodeURIComponent(runId)}/replays`, replay);
  const fetchRun = async (runId: string) =>
    (await api<LoggedRun>('GET', `runs/${encodeURIComponent(runId)}`)).record;

  /** Runs a cell as the kernel does: query, keep a named result, then the recorder. */
  async function runCell(cellId: string, sql: string, resultName: string | null = null) {
    cells.set(cellId, {
      path: NOTEBOOK,
      fileId: null,
      metadata: { opsbook: { version: 1, kind: 'telemetry', resultName: resultName ?? undefined } },
      setOpsbook: () => undefined
    });
    const result = await kernel.query(sql);
    if (resultName) {
      await kernel.registerResult(resultName, result.table);
    }
    const warning = await recorder({
      cellId,
      telemetry: true,
      code: sql,
      result,
      engine: kernel.info,
      resultName
    });
    return { result, warning };
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-replay-nb-'));
    fs.mkdirSync(path.join(dir, 'notebooks'));
    fs.mkdirSync(path.join(dir, 'data'));
    server = createServer({
      notebookDir: path.join(dir, 'notebooks'),
      dataDir: path.join(dir, 'data'),
      catalogDir: path.join(dir, 'catalog'),
      port: 0,
      token: TOKEN,
      logLevel: 'error'
    });
    const info = await server.listen();
    base = `http://127.0.0.1:${info.port}`;
    http = { datasetsUrl: `${base}/api/datasets`, headers: { Authorization: `token ${TOKEN}` } };
    const ingest = await fetch(`${base}/api/opsbook/ingest?dataset=checkout&as=otlp`, {
      method: 'POST',
      headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/octet-stream' },
      body: fs.readFileSync(path.join(OTLP, 'trace.json'))
    });
    expect(ingest.status).toBe(200);
    await ingest.text();
    kernel = await createNodeEngine();
    replayEngine = await createNodeEngine();
    for (const listing of await listDatasets(http)) {
      await kernel.registerDataset(httpDatasetSource(listing, http));
    }
    recorder = createRunRecorder({
      findCell: id => cells.get(id) ?? null,
      recordRun: (record: RunRecord, durationMs: number) =>
        api<LoggedRun>('POST', 'runs', { ...record, durationMs }),
      recent
    });

    expect(
      (
        await runCell(
          'parent',
          'SELECT span_id, name FROM checkout_spans ORDER BY span_id',
          'picked'
        )
      ).warning
    ).toBeNull();
    expect(
      (await runCell('child', 'SELECT count(*) AS n, min(name) AS first FROM picked')).warning
    ).toBeNull();
    await runCell('noise', 'SELECT random() AS r');
    await runCell('noise', 'SELECT random() AS r');
    loggedRuns = (await api<{ runs: LoggedRun[] }>('GET', `runs?notebook=${NOTEBOOK}`)).runs;
  }, 60_000);

  afterAll(async () => {
    await kernel?.dispose();
    await replayEngine?.dispose();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records the parent run of a run that reads a named result', () => {
    const [parent, child] = loggedRuns.map(r => r.record);
    expect(parent.inputs).toEqual([
      expect.objectContaining({ table: 'checkout_spans', snapshotId: expect.any(String) })
    ]);
    expect(child.parents).toEqual([parent.runId]);
    expect(child.inputs).toEqual([
      {
        table: 'picked',
        kind: 'result',
        run: parent.runId,
        snapshotId: null,
        columns: ['name']
      }
    ]);
  });

  it('has the server keep a result input with its run, and refuse an input of another kind', async () => {
    const child = loggedRuns[1].record;
    const logged = await api<LoggedRun>('GET', `runs/${child.runId}`);
    expect(logged.record.inputs[0]).toMatchObject({
      kind: 'result',
      run: loggedRuns[0].record.runId
    });
    const { stamp: _stamp, ...unstamped } = child;
    void _stamp;
    await expect(
      api('POST', 'runs', {
        ...unstamped,
        runId: 'bad-kind-run',
        inputs: [{ ...child.inputs[0], kind: 'view' }]
      })
    ).rejects.toThrow(/inputs\[0\]\.kind.*HTTP 400/);
  });

  it('replays a child by replaying its parent first, on its own pins; both reproduce', async () => {
    const child = loggedRuns[1].record;
    const engine = await createNodeEngine();
    try {
      const replayed: string[] = [];
      const outcome = await replayRun(child, {
        engine,
        http,
        recorded: null,
        fetchRun,
        recordReplay: async (runId, replay) => {
          replayed.push(runId);
          return recordReplay(runId, replay);
        },
        session: new ReplaySession()
      });
      expect(replayed).toEqual([loggedRuns[0].record.runId, child.runId]);
      expect(outcome.view.reproduced).toBe(true);
      expect(outcome.parentsDiverged).toEqual([]);
      expect(outcome.view.hash).toBe(child.result.hash);
    } finally {
      await engine.dispose();
    }
  });

  it('replays the notebook in recorded order and reports reproduced and diverged runs', async () => {
    const progress: number[] = [];
    const report = await replayNotebook({
      notebook: NOTEBOOK,
      runs: loggedRuns,
      engine: replayEngine,
      http,
      recordReplay,
      fetchRun,
      findCell: id =>
        id === 'child' ? { index: 1, source: 'SELECT count(*)\nFROM picked' } : null,
      recorded: id => recent.get(id),
      onProgress: p => progress.push(p.done)
    });
    expect(progress).toEqual([0, 1, 2, 3, 4]);
    expect(report.totals).toEqual({ runs: 4, reproduced: 2, diverged: 2, notReplayable: 0 });
    expect(report.cancelled).toBe(false);
    expect(report.rows.map(r => [r.cellId, r.verdict])).toEqual([
      ['parent', 'reproduced'],
      ['child', 'reproduced'],
      ['noise', 'diverged'],
      ['noise', 'diverged']
    ]);
    expect(report.rows[1].cell).toEqual({ index: 1, firstLine: 'SELECT count(*)' });
    expect(report.rows[0].cell).toEqual({
      index: null,
      firstLine: 'SELECT span_id, name FROM checkout_spans ORDER BY span_id'
    });
    const noisy = report.rows[2];
    expect(noisy.causes[0]).toMatchObject({ kind: 'volatile-function' });
    expect(noisy.reason).toMatch(/likely cause: The query calls random/);
    expect(noisy.diff).toEqual({
      recordedRows: 1,
      replayedRows: 1,
      compared: 1,
      added: 1,
      removed: 1
    });
    // The two recorded runs of the same cell version disagree: flagged, with the cause.
    expect(report.recordedDivergences).toEqual([
      expect.objectContaining({
        cellId: 'noise',
        runIds: [loggedRuns[2].record.runId, loggedRuns[3].record.runId],
        hashes: [loggedRuns[2].record.result.hash, loggedRuns[3].record.result.hash]
      })
    ]);
    expect(report.recordedDivergences[0].causes[0]).toMatchObject({ kind: 'volatile-function' });
    expect(noisy.recordedDisagreement).toEqual([loggedRuns[3].record.runId]);
    expect(report.rows[0].recordedDisagreement).toBeNull();
    // Every replay is in the server's audit trail, reproduced as the server decided it.
    const replays = await api<{ replays: ReplayView[] }>(
      'GET',
      `runs/${loggedRuns[1].record.runId}/replays`
    );
    expect(replays.replays.at(-1)).toMatchObject({ reproduced: true });
    const md = reportToMarkdown(report);
    expect(md).toContain('- Reproduced: 2');
    expect(md).toContain('| diverged |');
  });

  describe('runs that cannot be replayed', () => {
    const tampered = (
      from: StampedRunRecord,
      changes: Partial<StampedRunRecord>,
      seq: number
    ): LoggedRun => ({
      seq,
      hash: 'h',
      signature: 's',
      record: { ...from, runId: `tampered-${seq}`, ...changes }
    });

    it('says which snapshot is gone, the SQL error, and what is wrong with a parent', async () => {
      const [parent, child] = loggedRuns.map(r => r.record);
      const gone = tampered(
        parent,
        { inputs: [{ ...parent.inputs[0], snapshotId: 'deadbeefdeadbeef' }] },
        101
      );
      const runs: LoggedRun[] = [
        gone,
        tampered(parent, { sql: 'SELECT * FROM nowhere_at_all', inputs: [] }, 102),
        tampered(child, { inputs: [{ ...child.inputs[0], run: null }], parents: [] }, 103),
        tampered(child, { inputs: [{ ...child.inputs[0], run: 'no-such-run' }] }, 104),
        tampered(child, { inputs: [{ ...child.inputs[0], run: gone.record.runId }] }, 105)
      ];
      const posted: string[] = [];
      const report = await replayNotebook({
        notebook: NOTEBOOK,
        runs,
        engine: replayEngine,
        http,
        recordReplay: async (runId, replay) => {
          posted.push(runId);
          return recordReplay(runId, replay);
        },
        fetchRun
      });
      expect(report.totals).toEqual({ runs: 5, reproduced: 0, diverged: 0, notReplayable: 5 });
      const reasons = report.rows.map(r => r.reason);
      expect(reasons[0]).toMatch(/^snapshot deadbeefdeadbeef of checkout_spans no longer exists/);
      expect(reasons[1]).toMatch(/^SQL error: Catalog Error: .*nowhere_at_all/);
      expect(reasons[2]).toMatch(/reads picked, the result of a run that was not recorded/);
      expect(reasons[3]).toMatch(/^parent run no-such- could not be read from the run log: .*404/);
      expect(reasons[4]).toMatch(
        /^parent run tampered not replayable: snapshot deadbeefdeadbeef of checkout_spans no longer exists/
      );
      expect(posted).toEqual([]);
    });

    it('stops at Cancel and reports the runs done before', async () => {
      const controller = new AbortController();
      const report = await replayNotebook({
        notebook: NOTEBOOK,
        runs: loggedRuns,
        engine: replayEngine,
        http,
        recordReplay,
        fetchRun,
        onProgress: p => {
          if (p.done === 1) {
            controller.abort();
          }
        },
        signal: controller.signal
      });
      expect(report.cancelled).toBe(true);
      expect(report.rows.map(r => r.cellId)).toEqual(['parent']);
      expect(report.totals.runs).toBe(1);
    });
  });
});
