/**
 * The server's provenance store: @opsbook/provenance's store opened from its apache-arrow-free
 * modules (src/provenance/store.ts says why); duplicates are a 409, and apache-arrow stays out of
 * the server process even after runs are recorded.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

import {
  openProvenanceStore,
  RUN_RECORD_FORMAT,
  stampRunRecord,
  STORE_FILE,
  type RunRecord
} from '@opsbook/provenance/lib/node';

import {
  appendRun,
  openExistingProvenanceStore,
  openServerProvenanceStore,
  PROVENANCE_DB_FILE,
  RUN_FORMAT,
  stampRecord
} from '../src/provenance/store';
import { tempDir } from './helpers';

function record(runId: string, notebook: string): RunRecord {
  return {
    format: RUN_FORMAT,
    runId,
    cellId: 'cell-1',
    cellVersion: 'c'.repeat(64),
    notebook: { path: notebook, fileId: null },
    sql: 'SELECT 1',
    parameters: { window: '1h' },
    template: null,
    inputs: [{ table: 'spans', snapshotId: 'a'.repeat(64), columns: ['service'] }],
    engine: { name: 'duckdb', version: '1.4.3', settings: {} },
    result: { encoding: 'opsbook.result.v1', hash: 'd'.repeat(64), rowCount: 1, schema: [] },
    parents: [],
    hypothesisId: null,
    rationale: null,
    stamp: null
  };
}

const STAMP = {
  user: 'ana',
  startedAt: '2026-11-25T03:00:00.000Z',
  finishedAt: '2026-11-25T03:00:01.000Z'
};

describe("the server's provenance store", () => {
  it("uses the library's file name, record format and stamp", () => {
    expect(PROVENANCE_DB_FILE).toBe(STORE_FILE);
    expect(RUN_FORMAT).toBe(RUN_RECORD_FORMAT);
    expect(stampRecord(record('r', 'a.ipynb'), STAMP)).toEqual(
      stampRunRecord(record('r', 'a.ipynb'), STAMP)
    );
  });

  it('refuses a run id twice with a 409 and keeps the first', () => {
    const dir = path.join(tempDir('opsbook-prov-'), 'provenance');
    const store = openServerProvenanceStore(dir);
    const first = appendRun(store, stampRecord(record('run-1', 'a.ipynb'), STAMP));
    expect(() => appendRun(store, stampRecord(record('run-1', 'b.ipynb'), STAMP))).toThrow(
      expect.objectContaining({ status: 409, message: expect.stringMatching(/run-1/) })
    );
    expect(store.runs.find({})).toEqual([first]);
    expect(first.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    store.close();
    const library = openProvenanceStore(dir);
    expect(library.runs.verify()).toMatchObject({ ok: true, verified: 1 });
    library.close();
  });

  it('refuses to open a missing store for the CLI (a new key would fail every old entry)', () => {
    expect(() => openExistingProvenanceStore(tempDir('opsbook-prov-'))).toThrow(/provenance/i);
  });

  it('keeps apache-arrow out of the server process, also after recording runs', async () => {
    const lib = path.resolve(__dirname, '../lib');
    const dir = path.join(tempDir('opsbook-prov-'), 'provenance');
    const script = `
      require(${JSON.stringify(path.join(lib, 'index.js'))});
      require(${JSON.stringify(path.join(lib, 'cli.js'))});
      require(${JSON.stringify(path.join(lib, 'provenance/routes.js'))});
      const { openServerProvenanceStore, stampRecord } = require(${JSON.stringify(
        path.join(lib, 'provenance/store.js')
      )});
      const store = openServerProvenanceStore(${JSON.stringify(dir)});
      store.runs.append(stampRecord(${JSON.stringify(record('r', 'a.ipynb'))}, ${JSON.stringify(STAMP)}));
      store.runs.verify();
      store.audit.record({ action: 'run', user: 'ana', time: new Date().toISOString() });
      store.close();
      const loaded = Object.keys(require.cache).filter(k => k.includes('apache-arrow'));
      process.stdout.write(String(loaded.length));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], (error, stdout) =>
        error ? reject(error) : resolve(stdout)
      )
    );
    expect(out).toBe('0');
  });
});
