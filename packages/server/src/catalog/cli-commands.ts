/**
 * `opsbook ingest` and `opsbook catalog ls|show`: running them and printing their reports. The
 * ingest runs in the CLI's own process (it is not the server: loading apache-arrow here costs
 * nothing), through the same `ingestBytes` as the server's ingest worker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Errors, OpsbookError } from '../errors';
import { IngestKind, IngestOutcome, OnError, TABLE_ALIASES, TableAlias } from './protocol';
import { CatalogReader, DatasetDetails } from './reader';
import type { DatasetView, SnapshotView } from './views';

/** Where command output goes (tests pass their own). */
export interface Output {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress then rewrites one line). */
  isTTY?: boolean;
}

/** A parsed `opsbook ingest`. */
export interface IngestCommand {
  kind: 'ingest';
  files: string[];
  as?: IngestKind;
  dataset: string;
  store: string;
  table?: TableAlias;
  onError: OnError;
  services?: string;
}

/** A parsed `opsbook catalog ls|show`. */
export interface CatalogCommand {
  kind: 'catalog';
  action: 'ls' | 'show';
  name?: string;
  store: string;
  json: boolean;
}

/** Ingests each file in turn; stops at the first failure (earlier files stay ingested). */
export async function runIngest(command: IngestCommand, out: Output): Promise<number> {
  // Loaded here, not at the top: `opsbook serve` must never load apache-arrow.
  const { Catalog } = await import('@opsbook/catalog');
  const { detectAdapterKind } = await import('@opsbook/adapters');
  const { ingestPath, failureOf } = await import('./run-ingest');
  let serviceCatalog: string | undefined;
  if (command.services !== undefined) {
    serviceCatalog = readText(command.services);
  }
  const kinds = command.files.map(file => {
    const kind = command.as ?? detectAdapterKind(path.basename(file));
    if (!kind) {
      throw new OpsbookError(
        Errors.cliUsage(`Cannot tell the format of ${file} from its name: pass --as KIND.`)
      );
    }
    return kind;
  });
  for (const file of command.files) {
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new OpsbookError(Errors.cliFileUnreadable(file, 'no such file'));
    }
  }
  const catalog = Catalog.open(command.store);
  try {
    for (const [i, file] of command.files.entries()) {
      const size = fs.statSync(file).size;
      const progress = progressLine(file, size, out);
      let outcome: IngestOutcome;
      try {
        outcome = await ingestPath(
          catalog,
          {
            dataset: command.dataset,
            kind: kinds[i],
            table: command.table === undefined ? undefined : TABLE_ALIASES[command.table],
            onError: command.onError,
            source: path.resolve(file),
            serviceCatalog
          },
          file,
          progress.update
        );
      } catch (error) {
        progress.done();
        const failure = failureOf(error);
        out.stderr(`opsbook: ${file}: ${failure.message}\nNothing was stored from ${file}.\n`);
        if (i > 0) {
          out.stderr(
            `The files before it were ingested: ${command.files.slice(0, i).join(', ')}.\n`
          );
        }
        return failure.status === 400 ? 2 : 1;
      }
      progress.done();
      out.stdout(formatReport(file, outcome));
    }
  } finally {
    await catalog.close();
  }
  return 0;
}

/** `opsbook catalog ls` and `opsbook catalog show NAME`. */
export function runCatalog(command: CatalogCommand, out: Output): number {
  const reader = new CatalogReader(path.resolve(command.store));
  try {
    if (command.action === 'ls') {
      const datasets = reader.list();
      out.stdout(
        command.json
          ? JSON.stringify({ datasets }, null, 2) + '\n'
          : formatList(datasets, command.store)
      );
    } else {
      const details = reader.show(command.name!);
      out.stdout(command.json ? JSON.stringify(details, null, 2) + '\n' : formatShow(details));
    }
    return 0;
  } finally {
    reader.close();
  }
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new OpsbookError(Errors.cliFileUnreadable(file, (error as Error).message));
  }
}

/** The stderr progress line: rewritten in place on a terminal, else one line every 2 s. */
function progressLine(
  file: string,
  size: number,
  out: Output
): { update: (p: { bytesRead: number; rowsRead: number }) => void; done: () => void } {
  let last = 0;
  let shown = false;
  const interval = out.isTTY ? 250 : 2000;
  const text = (p: { bytesRead: number; rowsRead: number }): string =>
    `ingest ${file}: ${bytes(p.bytesRead)} of ${bytes(size)}` +
    (size > 0 ? ` (${Math.min(100, Math.floor((p.bytesRead / size) * 100))}%)` : '') +
    `, ${p.rowsRead} rows`;
  out.stderr(`ingest ${file}: ${bytes(size)}...\n`);
  return {
    update: p => {
      const now = Date.now();
      if (now - last < interval) {
        return;
      }
      last = now;
      shown = true;
      out.stderr(out.isTTY ? `\r${text(p)}\x1b[K` : `${text(p)}\n`);
    },
    done: () => {
      if (shown && out.isTTY) {
        out.stderr('\n');
      }
    }
  };
}

/** The final report of one file. */
export function formatReport(file: string, { report, snapshots }: IngestOutcome): string {
  const lines = [
    `${file} -> dataset '${report.dataset}' (${report.adapter}, ${bytes(report.bytesRead)})`,
    `  rows in ${report.rowsIn}, stored ${report.rowsStored}, duplicates dropped ${report.duplicatesDropped}, quarantined ${report.rowsQuarantined}`
  ];
  for (const q of report.quarantine) {
    lines.push(`  quarantined ${q.rows} x ${q.code}: e.g. ${q.example}`);
  }
  for (const s of snapshots) {
    lines.push(
      `  snapshot ${s.table} ${s.id} (${s.rows} rows, ${s.timeRange.start} .. ${s.timeRange.end})`
    );
  }
  if (report.unchanged) {
    lines.push('  nothing new: every row was already in the dataset (no snapshot made)');
  }
  if (report.manifestId) {
    lines.push(`  dataset version (manifest) ${report.manifestId}`);
  }
  for (const note of report.notes) {
    lines.push(`  note: ${note}`);
  }
  return lines.join('\n') + '\n';
}

function formatList(datasets: DatasetView[], store: string): string {
  if (datasets.length === 0) {
    return `No datasets in the catalog at ${store}. Add some with 'opsbook ingest FILE --as KIND'.\n`;
  }
  const lines: string[] = [];
  for (const d of datasets) {
    lines.push(
      `${d.name}  (manifest ${d.latestManifestId}, ${d.rows} rows, updated ${d.updated} by ${d.by})`
    );
    for (const [table, t] of Object.entries(d.tables)) {
      lines.push(
        `  ${table.padEnd(8)} ${String(t.rows).padStart(10)} rows  ${t.timeRange.start} .. ${t.timeRange.end}  snapshot ${t.snapshotId}`
      );
    }
  }
  return lines.join('\n') + '\n';
}

function formatShow(details: DatasetDetails): string {
  const { dataset } = details;
  const lines = [
    formatList([dataset], '').trimEnd(),
    '',
    `Snapshots (${details.snapshots.length}, oldest first):`
  ];
  for (const s of details.snapshots) {
    lines.push(...formatSnapshot(s));
  }
  lines.push('', 'Lineage:');
  for (const l of details.lineage) {
    lines.push(
      `  ${l.snapshotId}` +
        (l.ancestors.length
          ? ` <- ${l.ancestors.map(a => `${a.id} (${a.table}, depth ${a.depth})`).join(', ')}`
          : ' (no parents)')
    );
  }
  return lines.join('\n') + '\n';
}

function formatSnapshot(s: SnapshotView): string[] {
  const q = s.quality;
  return [
    `  ${s.id}`,
    `    table ${s.table} (schema v${s.schemaVersion}), ${s.rows} rows, ${bytes(s.bytes)}, ${s.timeRange.start} .. ${s.timeRange.end}`,
    `    source ${s.source}, adapter ${s.adapter.name}@${s.adapter.version}, by ${s.by} at ${s.at}`,
    `    parents ${s.parents.length ? s.parents.join(', ') : '(none)'}`,
    `    quality: rows in ${q.rowsIn}, duplicates in input ${q.duplicatesWithinInput}, of earlier snapshots ${q.duplicatesOfEarlierSnapshots}, quarantined ${q.rowsQuarantined}, out of order ${q.outOfOrderRows}`
  ];
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
