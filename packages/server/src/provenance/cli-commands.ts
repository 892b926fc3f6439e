/**
 * `opsbook audit verify|ls` and `opsbook runs verify|export|verify-export`: checks and reads of a
 * provenance store from the command line, without a running server (SQLite in WAL mode: safe
 * while the server writes). Verifying never creates a store: a missing database or key is an
 * error, since a fresh key would make every old entry fail to verify.
 *
 * Exit status: 0 verified (or listed, exported), 1 a bad entry or unreadable input, 2 usage.
 */
import * as fs from 'node:fs';

import { AUDIT_ACTIONS, type AuditAction } from '@opsbook/provenance/lib/audit-log';
import type { VerifyReport } from '@opsbook/provenance/lib/chain';
import { verifyExport } from '@opsbook/provenance/lib/hash-chain';

import { Errors, OpsbookError } from '../errors';
import { defaultUser } from '../users';
import { openExistingProvenanceStore } from './store';

/** `opsbook audit ...`. */
export type AuditCommand =
  | { kind: 'audit'; action: 'verify'; store: string }
  | {
      kind: 'audit';
      action: 'ls';
      store: string;
      notebook?: string;
      user?: string;
      auditAction?: AuditAction;
      /** ISO-8601 UTC, as the audit log writes times. */
      since?: string;
      json: boolean;
    };

/** `opsbook runs ...`. */
export type RunsCommand =
  | { kind: 'runs'; action: 'verify'; store: string }
  | { kind: 'runs'; action: 'export'; store: string; notebook: string; out?: string }
  | { kind: 'runs'; action: 'verify-export'; file: string; key?: string };

/** Where the commands write. */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Flags of `audit` and `runs` (cli.ts checks them before calling the parsers below). */
export const AUDIT_FLAGS = ['--store', '--notebook', '--user', '--action', '--since'];
export const RUNS_FLAGS = ['--store', '--notebook', '--out', '--key'];

const usage = (detail: string): OpsbookError => new OpsbookError(Errors.cliUsage(detail));

/** Parses `audit verify|ls`; `store` is the resolved --store. */
export function parseAudit(
  args: string[],
  values: Map<string, string>,
  store: string,
  json: boolean
): AuditCommand {
  const [action, ...extra] = args;
  if (extra.length > 0 || (action !== 'verify' && action !== 'ls')) {
    throw usage("Use 'opsbook audit verify' or 'opsbook audit ls'.");
  }
  if (action === 'verify') {
    for (const flag of ['--notebook', '--user', '--action', '--since']) {
      if (values.has(flag)) {
        throw usage(`Option ${flag} is for 'opsbook audit ls', not 'audit verify'.`);
      }
    }
    return { kind: 'audit', action, store };
  }
  const auditAction = values.get('--action');
  if (auditAction !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(auditAction)) {
    throw usage(
      `Option --action must be one of ${AUDIT_ACTIONS.join(', ')}, not '${auditAction}'.`
    );
  }
  const sinceText = values.get('--since');
  let since: string | undefined;
  if (sinceText !== undefined) {
    const ms = Date.parse(sinceText);
    if (!/^\d{4}-\d{2}-\d{2}/.test(sinceText) || Number.isNaN(ms)) {
      throw usage(
        `Option --since must be an ISO-8601 time like 2026-11-25T03:00:00Z, not '${sinceText}'.`
      );
    }
    since = new Date(ms).toISOString();
  }
  return {
    kind: 'audit',
    action,
    store,
    notebook: values.get('--notebook'),
    user: values.get('--user'),
    auditAction: auditAction as AuditAction | undefined,
    since,
    json
  };
}

/** Parses `runs verify|export|verify-export`; `store` is the resolved --store. */
export function parseRuns(args: string[], values: Map<string, string>, store: string): RunsCommand {
  const [action, file, ...extra] = args;
  const only = (allowed: string[]): void => {
    for (const flag of RUNS_FLAGS) {
      if (values.has(flag) && !allowed.includes(flag)) {
        throw usage(`Option ${flag} does not apply to 'opsbook runs ${action}'.`);
      }
    }
  };
  if (action === 'verify' && file === undefined) {
    only(['--store']);
    return { kind: 'runs', action, store };
  }
  if (action === 'export' && file === undefined) {
    only(['--store', '--notebook', '--out']);
    const notebook = values.get('--notebook');
    if (!notebook) {
      throw usage("'runs export' needs --notebook PATH (as the contents API writes it).");
    }
    return { kind: 'runs', action, store, notebook, out: values.get('--out') };
  }
  if (action === 'verify-export' && file !== undefined && extra.length === 0) {
    only(['--key']);
    return { kind: 'runs', action, file, key: values.get('--key') };
  }
  throw usage(
    "Use 'opsbook runs verify', 'opsbook runs export --notebook PATH' or 'opsbook runs verify-export FILE'."
  );
}

/** Runs `opsbook audit ...`; returns the exit status. */
export function runAudit(command: AuditCommand, out: CliOutput): number {
  const store = openExistingProvenanceStore(command.store);
  try {
    if (command.action === 'verify') {
      return report('audit log', store.audit.verify(), command.store, out);
    }
    const entries = store.audit.query({
      notebook: command.notebook,
      user: command.user,
      action: command.auditAction,
      from: command.since,
      limit: Number.MAX_SAFE_INTEGER
    });
    if (command.json) {
      out.stdout(JSON.stringify({ entries }, null, 2) + '\n');
      return 0;
    }
    for (const e of entries) {
      const detail = Object.entries(e.details)
        .filter(([, v]) => v !== null && typeof v !== 'object')
        // Hashes shortened as git does; --json has them whole.
        .map(([k, v]) => `${k}=${String(v).replace(/^([0-9a-f]{12})[0-9a-f]{52}$/, '$1…')}`)
        .join(' ');
      out.stdout(
        `${String(e.seq).padStart(6)}  ${e.time}  ${e.user.padEnd(12)} ${e.action.padEnd(10)} ` +
          `${e.notebook?.path ?? '-'}${detail ? `  ${detail}` : ''}` +
          `${e.rationale ? `  rationale: ${JSON.stringify(e.rationale)}` : ''}\n`
      );
    }
    out.stderr(`${entries.length} audit entr${entries.length === 1 ? 'y' : 'ies'}\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** Runs `opsbook runs ...`; returns the exit status. */
export function runRuns(command: RunsCommand, out: CliOutput): number {
  if (command.action === 'verify-export') {
    return verifyExportFile(command.file, command.key, out);
  }
  const store = openExistingProvenanceStore(command.store);
  try {
    if (command.action === 'verify') {
      return report('run log', store.runs.verify(), command.store, out);
    }
    const runs = store.runs.find({ notebook: command.notebook }, Number.MAX_SAFE_INTEGER);
    if (runs.length === 0) {
      throw new OpsbookError(Errors.runsNoneForNotebook(command.notebook));
    }
    const doc = store.runs.export(runs[0].seq, runs[runs.length - 1].seq);
    const text = JSON.stringify(doc, null, 2) + '\n';
    if (command.out) {
      fs.writeFileSync(command.out, text);
    } else {
      out.stdout(text);
    }
    store.audit.record({
      action: 'export',
      // The operator at the machine: the OS account, as `opsbook serve` names its only user.
      user: defaultUser().username,
      time: new Date().toISOString(),
      notebook: { path: command.notebook, fileId: null },
      details: {
        via: 'cli',
        log: doc.range.log,
        fromSeq: doc.range.fromSeq,
        toSeq: doc.range.toSeq,
        count: doc.range.count,
        notebookRuns: runs.length,
        lastHash: doc.range.lastHash
      }
    });
    out.stderr(
      `Exported ${runs.length} run(s) of ${command.notebook} (run log entries ${doc.range.fromSeq}-${doc.range.toSeq})` +
        `${command.out ? ` to ${command.out}` : ''}; public key ${doc.publicKey}\n`
    );
    return 0;
  } finally {
    store.close();
  }
}

function verifyExportFile(file: string, key: string | undefined, out: CliOutput): number {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OpsbookError(Errors.cliFileUnreadable(file, (error as Error).message));
  }
  const result = verifyExport(doc, key);
  const code = report(`export ${file}`, result, null, out);
  if (code === 0 && key === undefined) {
    out.stderr(
      'Note: no --key given, so this shows the export is intact and signed by the key it carries, ' +
        'not WHO signed it; pass the instance key (GET /api/opsbook/provenance/key) as --key.\n'
    );
  }
  return code;
}

/** One line: the summary on stdout (exit 0) or the first bad entry on stderr (exit 1). */
function report(what: string, result: VerifyReport, store: string | null, out: CliOutput): number {
  const where = store ? ` (${store})` : '';
  if (result.ok) {
    const head = result.head ? `head seq ${result.head.seq} hash ${result.head.hash}` : 'empty';
    out.stdout(`${what} OK${where}: ${result.verified} entries verified, ${head}\n`);
    return 0;
  }
  const fault = result.fault!;
  out.stderr(
    `${what} FAILED${where} at seq ${fault.seq}: ${fault.problem}: ${fault.message} ` +
      `(${result.verified} entries verified before it)\n`
  );
  return 1;
}
