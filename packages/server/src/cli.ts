/**
 * The `opsbook` command line, parsed by hand (no framework):
 *
 *   opsbook serve [--notebooks DIR] [--data DIR] [--store DIR] [--port N] [--host H] [--no-auth]
 *                 [--users FILE] [--token T] [--app-dir DIR] [--log-level L]
 *                 [--prometheus NAME=URL]... [--alertmanager NAME=URL]...
 *   opsbook generate --out DIR [--spans N] [--seed S] [--scenario NAME] [--format parquet|otlp-json]
 *   opsbook generate --list-scenarios
 *   opsbook ingest FILE... [--as KIND] [--dataset NAME] [--store DIR] [--table T]
 *                  [--on-error reject|quarantine] [--services FILE]
 *   opsbook catalog ls [--store DIR] [--json]
 *   opsbook catalog show NAME [--store DIR] [--json]
 *   opsbook audit verify [--store DIR]
 *   opsbook audit ls [--notebook P] [--user U] [--action A] [--since ISO] [--json] [--store DIR]
 *   opsbook runs verify [--store DIR]
 *   opsbook runs export --notebook P [--out FILE] [--store DIR]
 *   opsbook runs verify-export FILE [--key BASE64]
 *   opsbook bundle export NOTEBOOK [-o FILE] | verify FILE | import FILE | replay FILE  [--trust KEY]
 *
 * Flags accept `--flag value` and `--flag=value`. Errors name the flag and exit with status 2.
 * `ingest` and `catalog` are loaded on demand (catalog/cli-commands.ts): `serve` must not load
 * the ingest path, which brings apache-arrow into the server's main thread. `audit` and `runs`
 * (provenance/cli-commands.ts) read the provenance store without a server.
 */
import * as path from 'node:path';

import type { GeneratorOptions } from '@opsbook/generator';
import { AUDIT_ACTIONS } from '@opsbook/provenance/lib/audit-log';

import type { CatalogCommand, IngestCommand } from './catalog/cli-commands';
import { BUNDLE_FLAGS, parseBundle, runBundle, type BundleCommand } from './provenance/bundle-cli';
import { INGEST_KINDS, IngestKind, OnError, TABLE_ALIASES, TableAlias } from './catalog/protocol';
import {
  defaultCatalogDir,
  defaultProvenanceDir,
  DEFAULTS,
  PullSource,
  ServerConfigInput
} from './config';
import { Errors, OpsbookError } from './errors';
import { LOG_LEVELS, LogLevel } from './log';
import {
  AUDIT_FLAGS,
  parseAudit,
  parseRuns,
  RUNS_FLAGS,
  runAudit,
  runRuns,
  type AuditCommand,
  type RunsCommand
} from './provenance/cli-commands';
import { createServer } from './server';

/** The usage text. */
export const USAGE = `Usage:
  opsbook serve [options]       Run the Opsbook server
  opsbook generate [options]    Write synthetic telemetry (Parquet) with an incident scenario
  opsbook generate --list-scenarios
                                List the incident scenarios and their root causes
  opsbook ingest FILE... [options]
                                Ingest telemetry files into a catalog dataset (immutable snapshots)
  opsbook catalog ls [options]  List the catalog's datasets and their tables
  opsbook catalog show NAME [options]
                                Show a dataset's snapshots, quality figures and lineage
  opsbook audit verify [--store DIR]
                                Check the audit trail's hash chain and signatures
  opsbook audit ls [options]    List audit entries (who opened, ran, replayed, exported what)
  opsbook runs verify [--store DIR]
                                Check the run log's hash chain and signatures
  opsbook runs export --notebook P [--out FILE]
                                Write a signed, offline-verifiable export of a notebook's runs
  opsbook runs verify-export FILE [--key BASE64]
                                Check an export offline (on any machine)
  opsbook bundle export NOTEBOOK [-o FILE]
                                Write an investigation bundle: notebook, snapshots, runs, audit
  opsbook bundle verify FILE [--trust KEY]
                                Check every hash and signature of a bundle, offline
  opsbook bundle import FILE [--trust KEY]
                                Verify, then import a bundle into this instance's stores
  opsbook bundle replay FILE [--trust KEY]
                                Replay every run of a bundle offline on its own snapshots
  opsbook --help                Show this help

serve options:
  --notebooks DIR    Notebook root (default: the current directory)
  --data DIR         Directory of datasets (*.parquet, *.csv, *.arrow, *.arrows, *.feather)
  --store DIR        Telemetry catalog (default: <notebooks>/.opsbook/catalog)
  --prometheus NAME=URL    A Prometheus the server may pull from (repeatable)
  --alertmanager NAME=URL  An Alertmanager the server may pull from (repeatable)
  --port N           Port (default 8888; 0 picks a free one)
  --host H           Interface to bind (default 127.0.0.1)
  --no-auth          No token (only on 127.0.0.1, ::1 or localhost)
  --users FILE       Users file: {"users":[{"username","display_name","color","token","role"}]}
                     (role: viewer, editor (default) or owner)
  --token T          Token of the first user (default: from the users file, else random)
  --app-dir DIR      Built frontend (default: <repo>/build/app)
  --log-level L      ${LOG_LEVELS.join(', ')} (default info)

generate options:
  --out DIR          Output directory (required)
  --spans N          Number of spans (default: the generator's)
  --seed S           Random seed, for reproducible data (default: the generator's)
  --scenario NAME    Incident to inject (default payment-regression, which writes
                     incident.json; the others write ground-truth.json); see --list-scenarios
  --format F         parquet (default: the canonical tables) or otlp-json (OTLP/JSON lines
                     for traces, logs and metrics, to exercise 'opsbook ingest --as otlp')

ingest options:
  --as KIND          Input format: ${INGEST_KINDS.join(', ')}
                     (default: from the file name, e.g. .json -> otlp, .parquet -> parquet)
  --dataset NAME     Target dataset (default '${DEFAULTS.defaultDataset}', whose tables notebooks query as
                     spans, logs, metrics, events)
  --store DIR        Catalog store (default: the server's, ./.opsbook/catalog)
  --table T          Only this table: ${Object.keys(TABLE_ALIASES).join(', ')} (required for csv, parquet, arrow)
  --on-error P       reject (default: stop at the first bad record, store nothing) or
                     quarantine (set bad records aside, counted by reason)
  --services FILE    Service catalog (JSON array or CSV: service, team, tier, repository)
  Exit status: 0 ingested, 1 an ingest failed (nothing stored from that file), 2 usage error.

catalog options:
  --store DIR        Catalog store (default: ./.opsbook/catalog)
  --json             Print JSON (the same as GET /api/opsbook/catalog[/NAME])

audit and runs options:
  --store DIR        Provenance store (default: the server's, ./.opsbook/provenance)
  --notebook P       Only this notebook (path as the contents API writes it)
  --user U           audit ls: only this user
  --action A         audit ls: only this action, one of
                     ${AUDIT_ACTIONS.join(', ')}
  --since ISO        audit ls: only entries at or after this time (e.g. 2026-11-25T03:00:00Z)
  --json             audit ls: print JSON (the same as GET /api/opsbook/audit)
  --out FILE         runs export: write the export here (default: stdout)
  --key BASE64       runs verify-export: the trusted instance public key
                     (GET /api/opsbook/provenance/key); without it, any signer is accepted
  Exit status: 0 verified, 1 a bad entry (its seq and what is wrong are printed), 2 usage error.

bundle options:
  --store DIR        State directory holding catalog/ and provenance/ (default: ./.opsbook)
  --catalog DIR      Catalog store, when not <store>/catalog
  --notebooks DIR    Notebook root (default: the current directory)
  -o, --out FILE     export: the bundle file (default: <notebook name>.opsbundle)
  --trust KEY        verify, import, replay: the key the bundle must be signed with (key id,
                     base64 public key, or a file holding either); without it the signer is
                     reported as self-declared
  Exit status: 0 OK (replay: every run reproduced), 1 a failed check or run, 2 usage error.
`;

/** A parsed command line. */
export type Command =
  | { kind: 'help' }
  | { kind: 'serve'; config: ServerConfigInput }
  | {
      kind: 'generate';
      outDir: string;
      spans?: number;
      seed?: number;
      format?: 'parquet' | 'otlp-json';
      scenario?: string;
    }
  | { kind: 'list-scenarios' }
  | IngestCommand
  | CatalogCommand
  | AuditCommand
  | RunsCommand
  | BundleCommand;

const SERVE_FLAGS = [
  '--notebooks',
  '--data',
  '--port',
  '--host',
  '--users',
  '--token',
  '--app-dir',
  '--log-level',
  '--store',
  '--prometheus',
  '--alertmanager'
];
const GENERATE_FLAGS = ['--out', '--spans', '--seed', '--format', '--scenario'];
const INGEST_FLAGS = ['--as', '--dataset', '--store', '--table', '--on-error', '--services'];
const CATALOG_FLAGS = ['--store'];
/** Flags that may be given several times. */
const REPEATABLE = ['--prometheus', '--alertmanager'];
const COMMANDS = ['serve', 'generate', 'ingest', 'catalog', 'audit', 'runs', 'bundle'];

/** Parses `argv` (without `node` and the script). Throws a usage `OpsbookError`. */
export function parseArgs(argv: string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { kind: 'help' };
  }
  if (!COMMANDS.includes(command)) {
    throw usage(`Unknown command '${command}': use ${COMMANDS.map(c => `'${c}'`).join(', ')}.`);
  }
  const known = {
    serve: SERVE_FLAGS,
    generate: GENERATE_FLAGS,
    ingest: INGEST_FLAGS,
    catalog: CATALOG_FLAGS,
    audit: AUDIT_FLAGS,
    runs: RUNS_FLAGS,
    bundle: BUNDLE_FLAGS
  }[command]!;
  const values = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  const positional: string[] = [];
  let noAuth = false;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--help' || arg === '-h') {
      return { kind: 'help' };
    }
    if (command === 'serve' && arg === '--no-auth') {
      noAuth = true;
      continue;
    }
    if (command === 'generate' && arg === '--list-scenarios') {
      return { kind: 'list-scenarios' };
    }
    if ((command === 'catalog' || command === 'audit') && arg === '--json') {
      json = true;
      continue;
    }
    if (
      !arg.startsWith('-') &&
      ['ingest', 'catalog', 'audit', 'runs', 'bundle'].includes(command)
    ) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.includes(flag)) {
      throw usage(`Unknown option '${arg}' for '${command}'.`);
    }
    let value: string | undefined;
    if (eq > 0 && arg.startsWith('--')) {
      value = arg.slice(eq + 1);
    } else {
      value = rest[++i];
      if (value === undefined || value.startsWith('--')) {
        throw usage(`Option ${flag} needs a value.`);
      }
    }
    if (REPEATABLE.includes(flag)) {
      repeated.set(flag, [...(repeated.get(flag) ?? []), value]);
    }
    values.set(flag, value);
  }

  if (command === 'ingest') {
    return parseIngest(positional, values);
  }
  if (command === 'catalog') {
    return parseCatalog(positional, values, json);
  }
  if (command === 'audit') {
    return parseAudit(positional, values, provenanceStoreOf(values), json);
  }
  if (command === 'runs') {
    return parseRuns(positional, values, provenanceStoreOf(values));
  }
  if (command === 'bundle') {
    return parseBundle(positional, values);
  }
  if (command === 'generate') {
    const outDir = values.get('--out');
    if (!outDir) {
      throw usage("'generate' needs --out DIR.");
    }
    const format = values.get('--format');
    if (format !== undefined && format !== 'parquet' && format !== 'otlp-json') {
      throw usage(`Option --format must be parquet or otlp-json, not '${format}'.`);
    }
    const scenario = values.get('--scenario');
    return {
      kind: 'generate',
      outDir,
      spans: optionalInteger(values, '--spans', 1),
      seed: optionalInteger(values, '--seed', 0),
      ...(format === undefined ? {} : { format }),
      ...(scenario === undefined ? {} : { scenario })
    };
  }
  const logLevel = values.get('--log-level');
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw usage(`Option --log-level must be one of ${LOG_LEVELS.join(', ')}, not '${logLevel}'.`);
  }
  const serveCommand: Extract<Command, { kind: 'serve' }> = {
    kind: 'serve',
    config: {
      notebookDir: values.get('--notebooks') ?? process.cwd(),
      dataDir: values.get('--data'),
      port: optionalInteger(values, '--port', 0),
      host: values.get('--host'),
      noAuth,
      usersFile: values.get('--users'),
      token: values.get('--token'),
      appDir: values.get('--app-dir'),
      logLevel: logLevel as LogLevel | undefined,
      catalogDir: values.get('--store'),
      pullSources: [
        ...pullSources('--prometheus', 'prometheus', repeated),
        ...pullSources('--alertmanager', 'alertmanager', repeated)
      ]
    }
  };
  // No pull flags: leave the field out so the config's default applies.
  if (serveCommand.config.pullSources?.length === 0) {
    delete serveCommand.config.pullSources;
  }
  return serveCommand;
}

function parseIngest(files: string[], values: Map<string, string>): IngestCommand {
  if (files.length === 0) {
    throw usage("'ingest' needs at least one FILE.");
  }
  const as = values.get('--as');
  if (as !== undefined && !(INGEST_KINDS as readonly string[]).includes(as)) {
    throw usage(`Option --as must be one of ${INGEST_KINDS.join(', ')}, not '${as}'.`);
  }
  const table = values.get('--table');
  if (table !== undefined && !(table in TABLE_ALIASES)) {
    throw usage(
      `Option --table must be one of ${Object.keys(TABLE_ALIASES).join(', ')}, not '${table}'.`
    );
  }
  const onError = values.get('--on-error') ?? 'reject';
  if (onError !== 'reject' && onError !== 'quarantine') {
    throw usage(`Option --on-error must be 'reject' or 'quarantine', not '${onError}'.`);
  }
  const dataset = values.get('--dataset') ?? DEFAULTS.defaultDataset;
  if (!/^[a-z_][a-z0-9_]*$/.test(dataset)) {
    throw usage(
      `Option --dataset '${dataset}' is not a valid name: use lower-case letters, digits and '_', not starting with a digit.`
    );
  }
  return {
    kind: 'ingest',
    files,
    as: as as IngestKind | undefined,
    dataset,
    store: storeOf(values),
    table: table as TableAlias | undefined,
    onError: onError as OnError,
    services: values.get('--services')
  };
}

function parseCatalog(args: string[], values: Map<string, string>, json: boolean): CatalogCommand {
  const [action, name, ...extra] = args;
  if (action === 'ls' && name === undefined) {
    return { kind: 'catalog', action, store: storeOf(values), json };
  }
  if (action === 'show' && name !== undefined && extra.length === 0) {
    return { kind: 'catalog', action, name, store: storeOf(values), json };
  }
  throw usage("Use 'opsbook catalog ls' or 'opsbook catalog show NAME'.");
}

/** `--store`, else the store `opsbook serve` uses for notebooks in the current directory. */
function storeOf(values: Map<string, string>): string {
  return path.resolve(
    values.get('--store') ?? defaultCatalogDir(path.join(process.cwd(), '.opsbook'))
  );
}

/** `--store`, else the provenance store `opsbook serve` uses for the current directory. */
function provenanceStoreOf(values: Map<string, string>): string {
  return path.resolve(
    values.get('--store') ?? defaultProvenanceDir(path.join(process.cwd(), '.opsbook'))
  );
}

function pullSources(
  flag: string,
  kind: PullSource['kind'],
  repeated: Map<string, string[]>
): PullSource[] {
  return (repeated.get(flag) ?? []).map(spec => {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) {
      throw usage(
        `Option ${flag} needs NAME=URL, e.g. ${flag} prod=http://${kind}:9090, not '${spec}'.`
      );
    }
    return { name: spec.slice(0, eq), kind, url: spec.slice(eq + 1) };
  });
}

/** Runs the CLI; resolves with the process exit code (serve resolves only after shutdown). */
export async function main(argv: string[]): Promise<number> {
  let command: Command;
  try {
    command = parseArgs(argv);
  } catch (err) {
    return fail(err);
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    switch (command.kind) {
      case 'serve':
        return await serve(command.config);
      case 'generate':
        return await generate(command);
      case 'list-scenarios':
        return await listScenarios();
      case 'bundle':
        return await runBundle(command, {
          stdout: (text: string) => void process.stdout.write(text),
          stderr: (text: string) => void process.stderr.write(text)
        });
      case 'audit':
      case 'runs': {
        const out = {
          stdout: (text: string) => void process.stdout.write(text),
          stderr: (text: string) => void process.stderr.write(text)
        };
        return command.kind === 'audit' ? runAudit(command, out) : runRuns(command, out);
      }
      default: {
        const commands = await import('./catalog/cli-commands');
        const out = {
          stdout: (text: string) => void process.stdout.write(text),
          stderr: (text: string) => void process.stderr.write(text),
          isTTY: Boolean(process.stderr.isTTY)
        };
        return command.kind === 'ingest'
          ? await commands.runIngest(command, out)
          : commands.runCatalog(command, out);
      }
    }
  } catch (err) {
    return fail(err);
  }
}

async function serve(config: ServerConfigInput): Promise<number> {
  const server = createServer(config);
  await server.listen();
  return new Promise<number>(resolve => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        // A second Ctrl+C means "now".
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`\nReceived ${signal}, shutting down...\n`);
      server.close().then(
        () => resolve(0),
        () => resolve(1)
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

/** Loads the generator lazily: `serve` never pays for it (or breaks with it). */
async function loadGenerator(): Promise<typeof import('@opsbook/generator')> {
  let generator: typeof import('@opsbook/generator');
  try {
    generator = await import('@opsbook/generator');
  } catch (err) {
    throw new OpsbookError(Errors.generatorUnavailable((err as Error).message));
  }
  if (typeof generator.generateTelemetry !== 'function') {
    throw new OpsbookError(Errors.generatorUnavailable('it does not export generateTelemetry'));
  }
  return generator;
}

/** Prints the scenario library: name, root cause and title, one per line. */
async function listScenarios(): Promise<number> {
  const generator = await loadGenerator();
  for (const s of generator.SCENARIOS ?? []) {
    const marker = s.name === generator.DEFAULT_SCENARIO ? ' (default)' : '';
    process.stdout.write(
      `${(s.name + marker).padEnd(32)} root cause: ${s.rootCauseService.padEnd(15)} ${s.title}\n`
    );
  }
  return 0;
}

async function generate(command: Extract<Command, { kind: 'generate' }>): Promise<number> {
  const generator = await loadGenerator();
  // Checked here, not in parseArgs, which must not load the generator; the guard tolerates a
  // stale build of the generator from before the scenario library (it then rejects the name).
  if (command.scenario !== undefined && generator.scenarioNames !== undefined) {
    const names = generator.scenarioNames();
    if (!names.includes(command.scenario)) {
      throw usage(
        `Unknown scenario '${command.scenario}' for --scenario: use one of ${names.join(', ')} ` +
          "(see 'opsbook generate --list-scenarios')."
      );
    }
  }
  const options: GeneratorOptions = { outDir: command.outDir };
  if (command.spans !== undefined) {
    options.spans = command.spans;
  }
  if (command.seed !== undefined) {
    options.seed = command.seed;
  }
  if (command.format !== undefined) {
    options.format = command.format;
  }
  if (command.scenario !== undefined) {
    options.scenario = command.scenario;
  }
  const summary = await generator.generateTelemetry(options);
  const truth = summary?.truth;
  process.stdout.write(
    `Wrote telemetry to ${command.outDir}` +
      (truth ? ` (scenario ${truth.scenario}, root cause ${truth.rootCauseService})` : '') +
      '\n'
  );
  for (const file of summary?.files ?? []) {
    process.stdout.write(
      `  ${file.name.padEnd(18)} ${String(file.rows).padStart(10)} rows ${String(file.bytes).padStart(12)} bytes\n`
    );
  }
  return 0;
}

function optionalInteger(
  values: Map<string, string>,
  flag: string,
  min: number
): number | undefined {
  const text = values.get(flag);
  if (text === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw usage(`Option ${flag} must be an integer >= ${min}, not '${text}'.`);
  }
  return Number(text);
}

function usage(detail: string): OpsbookError {
  return new OpsbookError(Errors.cliUsage(detail));
}

function fail(err: unknown): number {
  if (err instanceof OpsbookError) {
    process.stderr.write(`opsbook: ${err.message}\n`);
    return err.status === 2 ? 2 : 1;
  }
  process.stderr.write(
    `opsbook: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`
  );
  return 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
  });
}
