/**
 * The telemetry catalog's tables as `/api/datasets` entries, so the browser's DuckDB kernel can
 * query them by name: every table of every catalog dataset as `<dataset>_<table>`
 * (`checkout_spans`), and the default dataset's tables also under their bare names (`spans`,
 * `logs`, `metrics`, `events`, what the example notebooks query).
 *
 * An entry reads the table at the dataset's latest version: the union of that table's snapshots
 * in the latest manifest (they never overlap), named by the newest one (`snapshot.id`). Pinning
 * `snapshot=<id>` reads the table as it was when that snapshot was the newest (see
 * `CatalogReader.tableAt`). Columns come from the telemetry schema, so listing opens no Parquet.
 */
import * as fs from 'node:fs';

import { TIME_COLUMN } from '@opsbook/catalog/lib/model';

import { Errors, OpsbookError } from '../errors';
import type { CatalogReader, ResolvedTable } from '../catalog/reader';
import { isoOfNs, schemaOf } from '../catalog/views';
import type { CatalogItem } from './model';

/** Lists and resolves catalog tables as dataset items. */
export class SnapshotDatasets {
  constructor(
    private readonly reader: () => CatalogReader,
    private readonly defaultDataset: string
  ) {}

  /** Every catalog table, under its dataset-qualified name and (default dataset) bare name. */
  list(): CatalogItem[] {
    const items: CatalogItem[] = [];
    for (const table of this.reader().tables()) {
      items.push(itemOf(`${table.dataset}_${table.table}`, table));
      if (table.dataset === this.defaultDataset) {
        items.push(itemOf(table.table, table));
      }
    }
    return items;
  }

  /** `item` (a catalog table) pinned at snapshot `id`; a 404 naming the dataset if unknown. */
  pinned(item: CatalogItem, id: string): CatalogItem {
    const { snapshot } = item.entry;
    if (!snapshot) {
      throw new OpsbookError(
        Errors.badQueryParam('snapshot', id, 'no snapshot: this dataset is a plain file')
      );
    }
    const table = this.reader().tableAt(
      snapshot.dataset,
      snapshot.table as ResolvedTable['table'],
      id
    );
    return itemOf(item.entry.name, table);
  }
}

/** The dataset item of a resolved catalog table; checks its files are all there. */
function itemOf(name: string, t: ResolvedTable): CatalogItem {
  const canonical = t.snapshot.table;
  let min = t.snapshots[0].timeRange.min;
  let max = t.snapshots[0].timeRange.max;
  for (const s of t.snapshots) {
    min = s.timeRange.min < min ? s.timeRange.min : min;
    max = s.timeRange.max > max ? s.timeRange.max : max;
  }
  const missing = t.snapshots.find(s => !sizeMatches(s.file, s.bytes));
  const entry: CatalogItem['entry'] = {
    name,
    file: `catalog:${t.dataset}/${t.table}`,
    format: 'parquet',
    size: t.snapshots.reduce((n, s) => n + s.bytes, 0),
    rowCount: t.snapshots.reduce((n, s) => n + s.rowCount, 0),
    columns: schemaOf(canonical).map(c => ({ name: c.name, type: c.type })),
    timeColumn: TIME_COLUMN[canonical],
    timeRange: { start: isoOfNs(min), end: isoOfNs(max) },
    modified: t.snapshot.ingestedAt,
    snapshot: { dataset: t.dataset, table: t.table, id: t.snapshot.id },
    snapshotId: t.snapshot.id
  };
  if (missing) {
    entry.error = Errors.snapshotFileMissing(t.dataset, missing.id, missing.file).message;
  }
  return { entry, path: t.files[0], files: t.files };
}

function sizeMatches(file: string, bytes: number): boolean {
  try {
    return fs.statSync(file).size === bytes;
  } catch {
    return false;
  }
}
