import type { KernelRun } from '@opsbook/duckdb-kernel';
import { hashArrowTable, type RunRecord } from '@opsbook/provenance';
import { tableFromArrays } from 'apache-arrow';
import type { LoggedRun } from '../src/api';
import {
  createRunRecorder,
  RecentResults,
  ResultOrigins,
  type RecordedCell
} from '../src/recorder';

const table = tableFromArrays({ n: Int32Array.from({ length: 2500 }, (_, i) => i) });

function run(overrides: Partial<KernelRun> = {}): KernelRun {
  return {
    cellId: 'cell-1',
    telemetry: true,
    code: 'SELECT n FROM spans',
    result: {
      table,
      elapsedMs: 12.4,
      statements: ['SELECT n FROM spans'],
      scans: [{ table: 'spans', columns: ['n'], snapshotId: 'snap-a', fullLoad: false }]
    },
    engine: { name: 'duckdb-wasm (test)', version: 'v1', settings: {} },
    resultName: null,
    ...overrides
  };
}

function cell(): RecordedCell & { opsbook: Record<string, unknown> } {
  const c = {
    path: 'dir/nb.ipynb',
    fileId: null,
    opsbook: { version: 1, kind: 'telemetry', runs: [] as unknown[] } as Record<string, unknown>,
    get metadata() {
      return { opsbook: c.opsbook };
    },
    setOpsbook(value: Record<string, unknown>) {
      c.opsbook = value;
    }
  };
  return c;
}

const stamp = (record: RunRecord): LoggedRun => ({
  seq: 1,
  hash: 'h',
  signature: 's',
  record: {
    ...record,
    stamp: { user: 'ana', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z' }
  }
});

describe('the run recorder', () => {
  it('records the full result hash and the scanned snapshots, and keeps the stamped summary', async () => {
    const target = cell();
    const posted: RunRecord[] = [];
    const recent = new RecentResults();
    const recorder = createRunRecorder({
      findCell: () => target,
      recordRun: async record => {
        posted.push(record);
        return stamp(record);
      },
      recent
    });
    expect(await recorder(run())).toBeNull();
    expect(posted).toHaveLength(1);
    const [record] = posted;
    expect(record.result).toMatchObject({ hash: hashArrowTable(table).hash, rowCount: 2500 });
    expect(record.inputs).toEqual([{ table: 'spans', snapshotId: 'snap-a', columns: ['n'] }]);
    expect(record).toMatchObject({ cellId: 'cell-1', notebook: { path: 'dir/nb.ipynb' } });
    expect(target.opsbook.runs).toEqual([
      expect.objectContaining({ runId: record.runId, user: 'ana', rows: 2500, inputs: ['snap-a'] })
    ]);
    expect(target.opsbook).toMatchObject({ version: 1, kind: 'telemetry' });
    expect(recent.get(record.runId)?.rows).toHaveLength(100);
  });

  it('keeps the newest ten runs in the cell', async () => {
    const target = cell();
    const recorder = createRunRecorder({ findCell: () => target, recordRun: async r => stamp(r) });
    for (let i = 0; i < 12; i++) {
      await recorder(run());
    }
    expect(target.opsbook.runs).toHaveLength(10);
  });

  it('turns a failed POST into a warning and leaves the cell as it was', async () => {
    const target = cell();
    const recorder = createRunRecorder({
      findCell: () => target,
      recordRun: async () => {
        throw new Error("'vic' is a viewer (HTTP 403)");
      }
    });
    expect(await recorder(run())).toBe("run not recorded: 'vic' is a viewer (HTTP 403)");
    expect(target.opsbook.runs).toEqual([]);
  });

  it('ignores plain code cells and cells it cannot find', async () => {
    const recordRun = jest.fn();
    const recorder = createRunRecorder({ findCell: () => null, recordRun });
    expect(await recorder(run({ telemetry: false }))).toBeNull();
    expect(await recorder(run())).toBeNull();
    expect(recordRun).not.toHaveBeenCalled();
  });

  describe('parent links (named results)', () => {
    /** A run of a cell that reads the result table `slow_ops`. */
    const childRun = (overrides: Partial<KernelRun> = {}) =>
      run({
        cellId: 'cell-2',
        code: 'SELECT count(*) FROM slow_ops',
        result: {
          table,
          elapsedMs: 3,
          statements: ['SELECT count(*) FROM slow_ops'],
          scans: [
            { table: 'slow_ops', kind: 'result', columns: ['n'], snapshotId: null, fullLoad: false }
          ]
        },
        ...overrides
      });

    it('links a run that reads a named result to the recorded run that made it', async () => {
      const posted: RunRecord[] = [];
      const recorder = createRunRecorder({
        findCell: () => cell(),
        recordRun: async record => {
          posted.push(record);
          return stamp(record);
        }
      });
      expect(await recorder(run({ resultName: 'slow_ops' }))).toBeNull();
      expect(await recorder(childRun())).toBeNull();
      const [parent, child] = posted;
      expect(child.parents).toEqual([parent.runId]);
      expect(child.inputs).toEqual([
        { table: 'slow_ops', kind: 'result', run: parent.runId, snapshotId: null, columns: ['n'] }
      ]);
      expect(parent.parents).toEqual([]);
    });

    it('follows the latest run of a name, per notebook', async () => {
      const posted: RunRecord[] = [];
      const origins = new ResultOrigins();
      let path = 'a.ipynb';
      const recorder = createRunRecorder({
        findCell: () => ({ ...cell(), path }),
        recordRun: async record => {
          posted.push(record);
          return stamp(record);
        },
        origins
      });
      await recorder(run({ resultName: 'slow_ops' }));
      await recorder(run({ resultName: 'slow_ops' }));
      path = 'b.ipynb';
      await recorder(run({ resultName: 'slow_ops' }));
      path = 'a.ipynb';
      await recorder(childRun());
      expect(posted[3].parents).toEqual([posted[1].runId]);
      expect(origins.get('b.ipynb', 'slow_ops')).toBe(posted[2].runId);
    });

    it('records no parent, and warns, when the run that made the table was not recorded', async () => {
      const posted: RunRecord[] = [];
      let fail = true;
      const recorder = createRunRecorder({
        findCell: () => cell(),
        recordRun: async record => {
          if (fail) {
            throw new Error('server down');
          }
          posted.push(record);
          return stamp(record);
        }
      });
      expect(await recorder(run({ resultName: 'slow_ops' }))).toMatch(/run not recorded/);
      fail = false;
      const warning = await recorder(childRun());
      expect(warning).toMatch(
        /without its parent run: slow_ops was made by a run that was not recorded/
      );
      expect(posted[0].parents).toEqual([]);
      expect(posted[0].inputs).toEqual([
        { table: 'slow_ops', kind: 'result', run: null, snapshotId: null, columns: ['n'] }
      ]);
    });

    it('forgets the parent when the name was last made by an unrecorded plain code cell', async () => {
      const posted: RunRecord[] = [];
      const recorder = createRunRecorder({
        findCell: () => cell(),
        recordRun: async record => {
          posted.push(record);
          return stamp(record);
        }
      });
      await recorder(run({ resultName: 'slow_ops' }));
      await recorder(run({ resultName: 'slow_ops', telemetry: false }));
      await recorder(childRun());
      expect(posted).toHaveLength(2);
      expect(posted[1].parents).toEqual([]);
      expect(posted[1].inputs[0]).toMatchObject({ kind: 'result', run: null });
    });
  });
});
