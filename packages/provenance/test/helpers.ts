import { tableToIPC, type Table } from 'apache-arrow';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DatasetSource } from '@opsbook/query-engine';

/** A seeded PRNG (mulberry32): the same seed gives the same sequence, so failures replay. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export const pick = (rand: () => number, n: number) => Math.floor(rand() * n);

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-provenance-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A dataset served from an in-memory Arrow table (whole rows; the engine filters again). */
export function tableSource(
  name: string,
  table: Table,
  columns: { name: string; type: string }[],
  snapshotId: string
): DatasetSource {
  return {
    name,
    columns,
    snapshotId,
    timeColumn: null,
    rowCount: table.numRows,
    async fetchSlice(request) {
      return tableToIPC(table.select(request.columns), 'stream');
    }
  };
}
