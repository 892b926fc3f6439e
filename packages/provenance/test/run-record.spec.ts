import { tableFromArrays } from 'apache-arrow';
import type { DuckDBEngine } from '@opsbook/query-engine';
import { createNodeEngine } from '../../query-engine/src/node';
import { hashArrowTable } from '../src/result-hash';
import { buildRunRecord, cellVersion, RUN_RECORD_FORMAT, stampRunRecord } from '../src/run-record';
import { appendRunSummary, summarizeRun } from '../src/run-summary';
import { openProvenanceStore } from '../src/store';
import { tableSource, tempDir } from './helpers';

const SNAP_SPANS = 'a'.repeat(64);
const SNAP_LOGS = 'b'.repeat(64);

describe('run records', () => {
  let engine: DuckDBEngine;
  beforeAll(async () => {
    engine = await createNodeEngine();
    const spans = tableFromArrays({
      service: Array.from({ length: 300 }, (_, i) => `svc-${i % 3}`),
      duration_ms: Float64Array.from({ length: 300 }, (_, i) => i * 1.5),
      status: Int32Array.from({ length: 300 }, (_, i) => i % 2)
    });
    const logs = tableFromArrays({
      service: Array.from({ length: 50 }, (_, i) => `svc-${i % 3}`),
      body: Array.from({ length: 50 }, (_, i) => `line ${i}`)
    });
    await engine.registerDataset(
      tableSource(
        'spans',
        spans,
        [
          { name: 'service', type: 'VARCHAR' },
          { name: 'duration_ms', type: 'DOUBLE' },
          { name: 'status', type: 'INTEGER' }
        ],
        SNAP_SPANS
      )
    );
    await engine.registerDataset(
      tableSource(
        'logs',
        logs,
        [
          { name: 'service', type: 'VARCHAR' },
          { name: 'body', type: 'VARCHAR' }
        ],
        SNAP_LOGS
      )
    );
  });
  afterAll(() => engine.dispose());

  const cell = {
    id: 'cell-1',
    source: [
      'SELECT s.service, count(*) AS n\n',
      'FROM spans s JOIN logs l USING (service)\n',
      'GROUP BY 1 ORDER BY 1'
    ],
    metadata: { opsbook: { version: 1, kind: 'telemetry', chart: { mark: 'bar' } }, tags: ['x'] }
  };

  it('records the snapshots of every table DuckDB scanned, the SQL, engine and result hash', async () => {
    const query = await engine.query(cell.source.join(''));
    const record = buildRunRecord({
      cell,
      query,
      engine: engine.info,
      runId: 'run-1',
      notebook: { path: 'incidents/checkout.ipynb' },
      parameters: { window: '1h' },
      template: { id: 'errors-by-service', version: '3' },
      parents: ['run-0'],
      hypothesisId: 'h-7',
      rationale: 'which service fails'
    });
    expect(record).toMatchObject({
      format: RUN_RECORD_FORMAT,
      runId: 'run-1',
      cellId: 'cell-1',
      cellVersion: cellVersion(cell),
      notebook: { path: 'incidents/checkout.ipynb', fileId: null },
      sql: cell.source.join(''),
      inputs: [
        { table: 'logs', snapshotId: SNAP_LOGS, columns: ['service'] },
        { table: 'spans', snapshotId: SNAP_SPANS, columns: ['service'] }
      ],
      engine: { name: engine.info.name, version: engine.info.version },
      result: { hash: hashArrowTable(query.table).hash, rowCount: 3 },
      parents: ['run-0'],
      stamp: null
    });
    expect(record.result.schema.map(f => f.name)).toEqual(['service', 'n']);
  });

  it('gives a new cell version for a new source or template, not for a new chart or tags', () => {
    const base = cellVersion(cell);
    expect(cellVersion({ ...cell, source: cell.source.join('') })).toBe(base);
    expect(
      cellVersion({
        ...cell,
        metadata: { opsbook: { version: 1, kind: 'telemetry', chart: { mark: 'line' } } }
      })
    ).toBe(base);
    expect(cellVersion({ ...cell, source: 'SELECT 1' })).not.toBe(base);
    expect(
      cellVersion({
        ...cell,
        metadata: { opsbook: { ...cell.metadata.opsbook, template: { id: 't', version: '2' } } }
      })
    ).not.toBe(base);
    expect(
      cellVersion({
        ...cell,
        metadata: { opsbook: { ...cell.metadata.opsbook, pins: { spans: SNAP_SPANS } } }
      })
    ).not.toBe(base);
  });

  it('is stamped by the server and rejects a bad stamp', async () => {
    const record = buildRunRecord({
      cell,
      query: await engine.query('SELECT 1 AS x'),
      engine: engine.info
    });
    expect(record.runId).toMatch(/^[0-9a-f-]{36}$/);
    const stamped = stampRunRecord(record, {
      user: 'ana',
      startedAt: '2026-11-25T03:00:00.000Z',
      finishedAt: '2026-11-25T03:00:01.250Z'
    });
    expect(stamped.stamp.user).toBe('ana');
    expect(record.stamp).toBeNull();
    expect(() =>
      stampRunRecord(record, { user: 'ana', startedAt: 'now', finishedAt: 'later' })
    ).toThrow(/stamp.startedAt must be ISO-8601 UTC/);
    expect(() =>
      stampRunRecord(record, {
        user: 'ana',
        startedAt: '2026-11-25T03:00:01Z',
        finishedAt: '2026-11-25T03:00:00Z'
      })
    ).toThrow(/before/);
  });

  it('refuses parameters that are not JSON, naming the parameter', async () => {
    const query = await engine.query('SELECT 1 AS x');
    expect(() =>
      buildRunRecord({
        cell,
        query,
        engine: engine.info,
        parameters: { limit: BigInt(5) as never }
      })
    ).toThrow(/\$\.parameters\.limit is a bigint/);
    expect(() => buildRunRecord({ cell: { ...cell, id: '' }, query, engine: engine.info })).toThrow(
      /cell.id/
    );
  });

  it('keeps the last N summaries in the cell metadata', async () => {
    const query = await engine.query('SELECT 1 AS x');
    let runs: unknown = 'garbage';
    for (let i = 0; i < 12; i++) {
      const record = stampRunRecord(
        buildRunRecord({ cell, query, engine: engine.info, runId: `r${i}` }),
        {
          user: 'bo',
          startedAt: '2026-11-25T03:00:00Z',
          finishedAt: '2026-11-25T03:00:00Z'
        }
      );
      runs = appendRunSummary(runs, summarizeRun(record), 10);
    }
    const list = runs as ReturnType<typeof summarizeRun>[];
    expect(list.map(s => s.runId)).toEqual([
      'r2',
      'r3',
      'r4',
      'r5',
      'r6',
      'r7',
      'r8',
      'r9',
      'r10',
      'r11'
    ]);
    expect(list[0]).toEqual({
      runId: 'r2',
      cellVersion: cellVersion(cell),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      rows: 1,
      inputs: [],
      user: 'bo',
      finishedAt: '2026-11-25T03:00:00Z'
    });
  });

  it('appends stamped records to the run log, which verifies and finds them', async () => {
    const tmp = tempDir();
    const store = openProvenanceStore(tmp.dir);
    try {
      const query = await engine.query(
        'SELECT service, sum(duration_ms) AS total FROM spans GROUP BY 1 ORDER BY 1'
      );
      const stamp = {
        user: 'cy',
        startedAt: '2026-11-25T03:00:00Z',
        finishedAt: '2026-11-25T03:00:02Z'
      };
      const a = stampRunRecord(
        buildRunRecord({
          cell,
          query,
          engine: engine.info,
          runId: 'ra',
          notebook: { path: 'n.ipynb' }
        }),
        stamp
      );
      const b = stampRunRecord(
        buildRunRecord({ cell, query, engine: engine.info, runId: 'rb', parents: ['ra'] }),
        stamp
      );
      store.runs.append(a);
      store.runs.append(b);
      expect(() => store.runs.append(a)).toThrow(/already in the log/);
      expect(() =>
        store.runs.append(buildRunRecord({ cell, query, engine: engine.info }) as never)
      ).toThrow(/stamped by the server/);
      expect(store.runs.get('rb')?.record.parents).toEqual(['ra']);
      expect(store.runs.byCell('cell-1').map(r => r.record.runId)).toEqual(['ra', 'rb']);
      expect(store.runs.byCell('cell-1', 'n.ipynb').map(r => r.record.runId)).toEqual(['ra']);
      expect(store.runs.get('ra')?.record).toEqual(a);
      expect(store.runs.verify({ anchor: store.runs.chain.head() }).ok).toBe(true);
    } finally {
      store.close();
      tmp.cleanup();
    }
  });
});
