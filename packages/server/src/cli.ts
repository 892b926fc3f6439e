/**
 * The `opsbook` command line, parsed by hand (no framework):
 *
 *   opsbook serve [--notebooks DIR] [--data DIR] [--port N] [--host H] [--no-auth]
 *                 [--users FILE] [--token T] [--app-dir DIR] [--log-level L]
 *   opsbook generate --out DIR [--spans N] [--seed S]
 *
 * Flags accept `--flag value` and `--flag=value`. Errors name the flag and exit with status 2.
 */
import type { GeneratorOptions } from '@opsbook/generator';

import { ServerConfigInput } from './config';
import { Errors, OpsbookError } from './errors';
import { LOG_LEVELS, LogLevel } from './log';
import { createServer } from './server';

/** The usage text. */
export const USAGE = `Usage:
  opsbook serve [options]       Run the Opsbook server
  opsbook generate [options]    Write synthetic telemetry (Parquet) for demos and tests
  opsbook --help                Show this help

serve options:
  --notebooks DIR    Notebook root (default: the current directory)
  --data DIR         Directory of datasets (*.parquet, *.csv, *.arrow, *.arrows, *.feather)
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
`;

/** A parsed command line. */
export type Command =
  | { kind: 'help' }
  | { kind: 'serve'; config: ServerConfigInput }
  | { kind: 'generate'; outDir: string; spans?: number; seed?: number };

const SERVE_FLAGS = [
  '--notebooks',
  '--data',
  '--port',
  '--host',
  '--users',
  '--token',
  '--app-dir',
  '--log-level'
];
const GENERATE_FLAGS = ['--out', '--spans', '--seed'];

/** Parses `argv` (without `node` and the script). Throws a usage `OpsbookError`. */
export function parseArgs(argv: string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { kind: 'help' };
  }
  if (command !== 'serve' && command !== 'generate') {
    throw usage(`Unknown command '${command}': use 'serve' or 'generate'.`);
  }
  const known = command === 'serve' ? SERVE_FLAGS : GENERATE_FLAGS;
  const values = new Map<string, string>();
  let noAuth = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--help' || arg === '-h') {
      return { kind: 'help' };
    }
    if (command === 'serve' && arg === '--no-auth') {
      noAuth = true;
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
    values.set(flag, value);
  }

  if (command === 'generate') {
    const outDir = values.get('--out');
    if (!outDir) {
      throw usage("'generate' needs --out DIR.");
    }
    return {
      kind: 'generate',
      outDir,
      spans: optionalInteger(values, '--spans', 1),
      seed: optionalInteger(values, '--seed', 0)
    };
  }
  const logLevel = values.get('--log-level');
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw usage(`Option --log-level must be one of ${LOG_LEVELS.join(', ')}, not '${logLevel}'.`);
  }
  return {
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
      logLevel: logLevel as LogLevel | undefined
    }
  };
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
    return command.kind === 'serve' ? await serve(command.config) : await generate(command);
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

async function generate(command: Extract<Command, { kind: 'generate' }>): Promise<number> {
  let generator: typeof import('@opsbook/generator');
  try {
    // Loaded lazily: `serve` never pays for the generator (or breaks with it).
    generator = await import('@opsbook/generator');
  } catch (err) {
    throw new OpsbookError(Errors.generatorUnavailable((err as Error).message));
  }
  if (typeof generator.generateTelemetry !== 'function') {
    throw new OpsbookError(Errors.generatorUnavailable('it does not export generateTelemetry'));
  }
  const options: GeneratorOptions = { outDir: command.outDir };
  if (command.spans !== undefined) {
    options.spans = command.spans;
  }
  if (command.seed !== undefined) {
    options.seed = command.seed;
  }
  const summary = await generator.generateTelemetry(options);
  process.stdout.write(`Wrote telemetry to ${command.outDir}\n`);
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
