import Database from 'better-sqlite3';
import * as path from 'node:path';
import { cellVersionOf, type CellVersionRecord } from '../src/cell-history';
import { openProvenanceStore, STORE_FILE, type ProvenanceStore } from '../src/store';
import { tempDir } from './helpers';

function version(over: Partial<CellVersionRecord> = {}): CellVersionRecord {
  const source = over.source ?? 'SELECT 1';
  return {
    format: 'opsbook.cell-version.v1',
    notebook: { path: 'a.ipynb', fileId: null },
    cellId: 'c1',
    version: cellVersionOf(source, over.opsbook ?? {}),
    source,
    opsbook: {},
    kind: 'save',
    authors: ['bo', 'ana', 'bo'],
    time: new Date().toISOString(),
    ...over
  };
}

describe('CellHistoryLog', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: ProvenanceStore;
  beforeEach(() => {
    tmp = tempDir();
    store = openProvenanceStore(tmp.dir);
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('appends versions, finds them per cell and returns the latest', () => {
    const first = store.history.record(version());
    store.history.record(version({ cellId: 'c2' }));
    const third = store.history.record(
      version({ source: 'SELECT 2', kind: 'restore', restoredFrom: first.seq })
    );
    expect(first.record.authors).toEqual(['ana', 'bo']);
    expect(store.history.find({ notebook: 'a.ipynb', cellId: 'c1' }).map(v => v.seq)).toEqual([
      1, 3
    ]);
    expect(store.history.find({ notebook: 'a.ipynb' })).toHaveLength(3);
    expect(store.history.latest('a.ipynb', 'c1')).toEqual(third);
    expect(store.history.latest('a.ipynb', 'nope')).toBeNull();
    expect(store.history.get(3)?.record.restoredFrom).toBe(1);
    expect(store.history.get(99)).toBeNull();
    expect(store.history.verify()).toMatchObject({ ok: true, verified: 3 });
  });

  it('refuses a malformed version, naming the field', () => {
    expect(() => store.history.record(version({ version: 'abc' }))).toThrow(/version must be/);
    expect(() => store.history.record(version({ kind: 'typing' as never }))).toThrow(/kind/);
    expect(() => store.history.record(version({ time: 'yesterday' }))).toThrow(/time/);
    expect(() => store.history.record(version({ restoredFrom: 0 }))).toThrow(/restoredFrom/);
    expect(store.history.chain.head()).toBeNull();
  });

  it('detects an edited version, and the table refuses UPDATE and DELETE', () => {
    for (let i = 0; i < 5; i++) store.history.record(version({ source: `SELECT ${i}` }));
    const raw = new Database(path.join(tmp.dir, STORE_FILE));
    try {
      expect(() => raw.prepare('DELETE FROM cell_versions WHERE seq = 2').run()).toThrow(
        /append-only/
      );
      raw.exec('DROP TRIGGER cell_versions_no_update');
      const row = raw.prepare('SELECT payload FROM cell_versions WHERE seq = 3').get() as {
        payload: string;
      };
      raw
        .prepare('UPDATE cell_versions SET payload = ? WHERE seq = 3')
        .run(row.payload.replace('SELECT 2', 'SELECT 666'));
    } finally {
      raw.close();
    }
    expect(store.history.verify()).toMatchObject({
      ok: false,
      fault: { seq: 3, problem: 'payload-edited' }
    });
  });
});
