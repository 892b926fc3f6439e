/**
 * `opsbook bundle export|verify|import|replay`: investigation bundles from the command line,
 * without a running server (the stores are SQLite in WAL mode: safe while a server writes).
 *
 *   opsbook bundle export NOTEBOOK [-o FILE] [--store DIR] [--catalog DIR] [--notebooks DIR]
 *   opsbook bundle verify FILE [--trust KEY]
 *   opsbook bundle import FILE [--trust KEY] [--store DIR] [--catalog DIR] [--notebooks DIR]
 *   opsbook bundle replay FILE [--trust KEY]
 *
 * `--store` is the state directory holding `catalog/` and `provenance/` (default `./.opsbook`,
 * what `opsbook serve` uses for notebooks in the current directory); `--catalog` overrides the
 * catalog (as `serve --store` does); `--notebooks` is the notebook root (default: the current
 * directory). Loaded on demand by cli.ts: verifying loads Arrow (snapshot ids).
 *
 * Exit status: 0 done (verify: OK; replay: every run reproduced), 1 a failed check, a refused
 * import or a run not reproduced, 2 usage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { defaultCatalogDir, defaultProvenanceDir } from '../config';
import { Errors, OpsbookError } from '../errors';
import { defaultUser } from '../users';
import type { CliOutput } from './cli-commands';
import { exportDetails, planBundle, writeBundleFile } from './bundle-export';
import { BUNDLE_EXTENSION } from './bundle-format';
import { reportLine, resolveTrust, verifyBundle, type BundleReport } from './bundle-verify';
import { openExistingProvenanceStore, openServerProvenanceStore } from './store';

/** Where the bundle commands read and write. */
export interface BundleDirs {
  stateDir: string;
  catalogDir: string;
  provenanceDir: string;
  notebookDir: string;
}

/** `opsbook bundle ...`. */
export type BundleCommand =
  | ({ kind: 'bundle'; action: 'export'; notebook: string; out?: string } & BundleDirs)
  | { kind: 'bundle'; action: 'verify'; file: string; trust?: string }
  | ({ kind: 'bundle'; action: 'import'; file: string; trust?: string } & BundleDirs)
  | { kind: 'bundle'; action: 'replay'; file: string; trust?: string };

/** Flags of `bundle` (cli.ts checks them before calling `parseBundle`). */
export const BUNDLE_FLAGS = ['--store', '--catalog', '--notebooks', '-o', '--out', '--trust'];

const usage = (detail: string): OpsbookError => new OpsbookError(Errors.cliUsage(detail));

/** Parses `bundle export|verify|import|replay`. */
export function parseBundle(args: string[], values: Map<string, string>): BundleCommand {
  const [action, target, ...extra] = args;
  const allowed: Record<string, string[]> = {
    export: ['--store', '--catalog', '--notebooks', '-o', '--out'],
    verify: ['--trust'],
    import: ['--store', '--catalog', '--notebooks', '--trust'],
    replay: ['--trust']
  };
  if (!(action in allowed) || target === undefined || extra.length > 0) {
    throw usage(
      "Use 'opsbook bundle export NOTEBOOK [-o FILE]', 'opsbook bundle verify FILE', " +
        "'opsbook bundle import FILE' or 'opsbook bundle replay FILE'."
    );
  }
  for (const flag of BUNDLE_FLAGS) {
    if (values.has(flag) && !allowed[action].includes(flag)) {
      throw usage(`Option ${flag} does not apply to 'opsbook bundle ${action}'.`);
    }
  }
  const stateDir = path.resolve(values.get('--store') ?? path.join(process.cwd(), '.opsbook'));
  const dirs: BundleDirs = {
    stateDir,
    catalogDir: path.resolve(values.get('--catalog') ?? defaultCatalogDir(stateDir)),
    provenanceDir: defaultProvenanceDir(stateDir),
    notebookDir: path.resolve(values.get('--notebooks') ?? process.cwd())
  };
  const trust = values.get('--trust');
  switch (action) {
    case 'export':
      return {
        kind: 'bundle',
        action,
        notebook: target,
        out: values.get('-o') ?? values.get('--out'),
        ...dirs
      };
    case 'import':
      return { kind: 'bundle', action, file: target, trust, ...dirs };
    default:
      return { kind: 'bundle', action: action as 'verify' | 'replay', file: target, trust };
  }
}

/** Runs `opsbook bundle ...`; resolves with the exit status. */
export async function runBundle(command: BundleCommand, out: CliOutput): Promise<number> {
  if (command.action === 'export') {
    return exportCommand(command, out);
  }
  if (!fs.existsSync(command.file) || !fs.statSync(command.file).isFile()) {
    throw new OpsbookError(Errors.cliFileUnreadable(command.file, 'no such file'));
  }
  const trustedKeyId = command.trust === undefined ? undefined : resolveTrust(command.trust);
  const { BundleRejectedError, importBundle, importDetails } = await import('./bundle-import');
  const { replayBundle } = await import('./bundle-replay');
  const user = defaultUser().username;
  if (command.action === 'verify') {
    const { report } = await verifyBundle(command.file, { trustedKeyId });
    return printReport(command.file, report, out);
  }
  if (command.action === 'replay') {
    const { report, runs } = await replayBundle(command.file, { trustedKeyId, user });
    if (!report.ok) {
      return printReport(command.file, report, out);
    }
    for (const r of runs) {
      const hash = r.hash
        ? ` hash ${r.hash.slice(0, 12)}… (recorded ${r.recordedHash.slice(0, 12)}…)`
        : '';
      const rows = r.rows === undefined ? '' : ` ${r.rows} rows (recorded ${r.recordedRows})`;
      out.stdout(
        `${r.status.padEnd(15)} run ${r.runId} cell ${r.cellId}${rows}${hash}${r.reason ? `: ${r.reason}` : ''}\n`
      );
    }
    const count = (s: string) => runs.filter(r => r.status === s).length;
    const all = runs.length > 0 && count('reproduced') === runs.length;
    out[all ? 'stdout' : 'stderr'](
      `replay ${all ? 'OK' : 'FAILED'} (${command.file}): ${count('reproduced')} reproduced, ` +
        `${count('diverged')} diverged, ${count('not-replayable')} not replayable, of ${runs.length} run(s); ` +
        `offline on the bundle's ${report.counts.snapshots} snapshot(s)\n`
    );
    return all ? 0 : 1;
  }
  try {
    const result = await importBundle(
      command.file,
      {
        catalogDir: command.catalogDir,
        notebookDir: command.notebookDir,
        stateDir: command.stateDir,
        user
      },
      { trustedKeyId }
    );
    const store = openServerProvenanceStore(command.provenanceDir);
    try {
      store.audit.record({
        action: 'import',
        user,
        time: new Date().toISOString(),
        notebook: { path: result.notebook, fileId: null },
        details: { via: 'cli', ...importDetails(result) }
      });
    } finally {
      store.close();
    }
    out.stderr(reportLine(command.file, result.report) + '\n');
    out.stdout(
      `Imported as ${result.notebook}: ${result.runs} run(s), ${result.snapshots.imported.length} snapshot(s) ` +
        `added to ${command.catalogDir}, ${result.snapshots.skipped.length} already there; bundle ${result.bundleId}\n`
    );
    return 0;
  } catch (error) {
    if (error instanceof BundleRejectedError) {
      out.stderr('Nothing was imported.\n');
      return printReport(command.file, error.report, out);
    }
    throw error;
  }
}

async function exportCommand(
  command: Extract<BundleCommand, { action: 'export' }>,
  out: CliOutput
): Promise<number> {
  const store = openExistingProvenanceStore(command.provenanceDir);
  try {
    const user = defaultUser().username;
    const plan = await planBundle(
      { store, catalogDir: command.catalogDir, notebookDir: command.notebookDir },
      command.notebook,
      user
    );
    const file = path.resolve(
      command.out ??
        path.posix.basename(command.notebook).replace(/\.ipynb$/, '') + BUNDLE_EXTENSION
    );
    await writeBundleFile(plan, file);
    store.audit.record({
      action: 'export',
      user,
      time: new Date().toISOString(),
      notebook: { path: command.notebook, fileId: null },
      details: { via: 'cli', ...exportDetails(plan) }
    });
    out.stdout(
      `Wrote ${file}: ${plan.manifest.runs.length} run(s), ${plan.manifest.audit.length} audit entr${plan.manifest.audit.length === 1 ? 'y' : 'ies'}, ` +
        `${plan.manifest.snapshots.length} snapshot(s), ${plan.bytes} bytes; bundle ${plan.bundleId}, key ${plan.manifest.instance.keyId}\n`
    );
    return 0;
  } finally {
    store.close();
  }
}

/** The report line (stdout when OK, stderr with every problem otherwise). */
function printReport(file: string, report: BundleReport, out: CliOutput): number {
  if (report.ok) {
    out.stdout(reportLine(file, report) + '\n');
    return 0;
  }
  out.stderr(reportLine(file, report) + '\n');
  for (const p of report.problems) {
    out.stderr(`  ${p.code}: ${p.message}\n`);
  }
  return 1;
}
