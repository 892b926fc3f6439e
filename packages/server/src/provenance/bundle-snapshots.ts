/**
 * Re-derives a snapshot's content id from the rows of its Parquet file inside a bundle, exactly as
 * the catalog derives it (`@opsbook/catalog` canonical.ts: the canonical cells of each row in
 * stored order, hashed per row, then the row hashes with the dataset, table and schema version).
 *
 * The file is read with hyparquet (pure JavaScript) one row group at a time straight from the
 * bundle (positional reads), so memory is bounded by the largest row group (122,880 rows by
 * default), never the snapshot. This module loads the telemetry schema's Arrow code: only the
 * CLI and the bundle worker load it, never the server's main thread (see provenance/store.ts).
 */
import * as fs from 'node:fs';

import { loadHyparquet, PARSERS } from '@opsbook/adapters/lib/hyparquet';
import { canonicalCells, cellsHash, SnapshotHasher } from '@opsbook/catalog/lib/canonical';
import { TABLES, type TableName } from '@opsbook/telemetry-schema';

import type { MemberLocation } from './bundle-format';

/** What was derived from a snapshot member. */
export interface DerivedSnapshot {
  id: string;
  rows: number;
}

/**
 * The content id of the Parquet member `member` of `file`, for a snapshot of `dataset`'s `table`
 * at `schemaVersion`. Throws with hyparquet's message when the file cannot be decoded.
 */
export async function deriveSnapshotId(
  file: string,
  member: MemberLocation,
  dataset: string,
  table: string,
  schemaVersion: number
): Promise<DerivedSnapshot> {
  if (!Object.prototype.hasOwnProperty.call(TABLES, table)) {
    throw new Error(`'${table}' is not a canonical telemetry table`);
  }
  const [hyparquet, { compressors }] = await loadHyparquet();
  const handle = fs.openSync(file, 'r');
  try {
    const buffer = {
      byteLength: member.size,
      slice: (start: number, end?: number): ArrayBuffer => {
        const stop = Math.min(end ?? member.size, member.size);
        const bytes = new Uint8Array(Math.max(0, stop - start));
        fs.readSync(handle, bytes, 0, bytes.length, member.offset + start);
        return bytes.buffer;
      }
    };
    const metadata = await hyparquet.parquetMetadataAsync(buffer, { parsers: PARSERS });
    const hasher = new SnapshotHasher(dataset, table as TableName, schemaVersion);
    let rowStart = 0;
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      let rows: Record<string, unknown>[] = [];
      await hyparquet.parquetRead({
        file: buffer,
        metadata,
        rowStart,
        rowEnd,
        compressors,
        parsers: PARSERS,
        rowFormat: 'object',
        onComplete: (result: Record<string, unknown>[]) => {
          rows = result;
        }
      });
      for (const row of rows) {
        hasher.add(cellsHash(canonicalCells(table as TableName, row)));
      }
      rowStart = rowEnd;
    }
    return { id: hasher.digest(), rows: rowStart };
  } finally {
    fs.closeSync(handle);
  }
}
