/**
 * The server's one typed configuration object: every limit and default lives here, each with the
 * reason for its value, and `resolveConfig` is the single place that validates user input (CLI
 * flags, tests, embedding code) before anything starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Errors, OpsbookError } from './errors';
import { LOG_LEVELS, LogLevel } from './log';

/** The complete, validated server configuration (what `resolveConfig` returns). */
export interface ServerConfig {
  /** Interface to bind. Loopback by default: a notebook server runs code-adjacent tools and holds
   * data, so exposing it to the network must be a deliberate choice. */
  host: string;
  /** TCP port; 8888 like Jupyter so muscle memory works; 0 picks a free port (tests). */
  port: number;
  /** Root of the notebooks and files the contents API exposes; nothing outside it is reachable. */
  notebookDir: string;
  /** Directory of telemetry datasets (Parquet, CSV, Arrow IPC), or null when none is served. */
  dataDir: string | null;
  /** The built frontend (index.html, bundles, `schemas/`, `themes/`). */
  appDir: string;
  /** Server state (checkpoints, settings, workspaces, trash). Hidden inside the notebook root by
   * default so it travels with the notebooks, and never listed by the contents API. */
  stateDir: string;
  /** The telemetry catalog store (snapshots + catalog.sqlite), default `<stateDir>/catalog`: in
   * the server's state so `opsbook ingest` without --store and a running server on the same
   * notebook root see the same datasets, and the snapshots travel with the notebooks. */
  catalogDir: string;
  /** The provenance store (run log, audit log, instance signing key), default
   * `<stateDir>/provenance`: beside the catalog whose snapshots the runs read, and where
   * `opsbook audit verify` / `opsbook runs verify` look without --store. */
  provenanceDir: string;
  /** Longest run duration a client may report (`POST /api/opsbook/runs`), in seconds: the
   * server stamps startedAt = receive time - duration, so this bounds how far a client can
   * backdate a run. 600 s is 20x queryTimeoutMs: a cell of many statements each near the limit. */
  maxRunSeconds: number;
  /** Largest run record or replay body: a record holds the SQL, parameters and the result
   * schema, a few KB; 1 MiB leaves room for huge SQL without letting one client bloat the
   * append-only log (which can never be shrunk). */
  maxRunRecordBytes: number;
  /** Catalog dataset whose tables are also listed under their bare names (`spans`, `logs`,
   * `metrics`, `events`) and the CLI's default `--dataset`: the example notebooks query bare
   * names, so one dataset must own them. */
  defaultDataset: string;
  /** Largest telemetry upload (`POST /api/opsbook/ingest`): 10 GiB covers a day of a busy
   * service's spans; the body is streamed to the ingest worker, never held in memory, so the
   * limit protects the disk (the staging database), not the heap. */
  maxIngestBytes: number;
  /** Largest investigation bundle upload (`POST /api/opsbook/bundles`): a bundle carries the
   * snapshots its runs read, so the same 10 GiB as maxIngestBytes; it is streamed to a file under
   * the state directory, never held in memory. */
  maxBundleBytes: number;
  /** Longest time to receive one request, body included (Node's `requestTimeout`; its 5-minute
   * default would cut a big telemetry upload). 6 hours carries maxIngestBytes at ~0.5 MB/s;
   * slow or stalled headers are still cut after Node's 60-second `headersTimeout`. */
  requestTimeoutMs: number;
  /** Minimum time between two progress lines of an ingest answer: 250 ms (at most 4 a second)
   * is smooth for a progress bar without turning a fast ingest into a flood of lines. */
  ingestProgressIntervalMs: number;
  /** Prometheus and Alertmanager servers `POST /api/opsbook/pull` may read, by name. Only the
   * operator configures URLs (CLI `--prometheus`/`--alertmanager`): a client naming its own URL
   * would turn the server into a proxy into its private network (SSRF). */
  pullSources: PullSource[];
  /** Token for the first user; null means "take it from the users file or generate one". */
  token: string | null;
  /** Skip authentication. Only accepted on a loopback host, where the OS user is the only user. */
  noAuth: boolean;
  /** JSON users file giving several people distinct identities (and tokens) on one server. */
  usersFile: string | null;
  /** Largest request body accepted: 50 MB covers big notebooks with images; uploads above the
   * frontend's 15 MB chunk size arrive in chunks anyway. */
  maxBodyBytes: number;
  /** Largest file the contents API returns inline (JSON/base64 in memory); bigger files are
   * still reachable through `/files/` which streams them. */
  maxContentsReadBytes: number;
  /** How long deleted files stay in `<stateDir>/trash` (recoverable by hand) before a later
   * delete purges them: a week covers "I deleted the wrong notebook on Friday". */
  trashRetentionMs: number;
  /** Per-query time limit for dataset queries, in the browser and on the server: long enough for
   * a full scan of a few GB of Parquet, short enough that a runaway query does not hold a core. */
  queryTimeoutMs: number;
  /** DuckDB memory limit (server and browser): bounded so one query cannot exhaust the machine. */
  queryMemoryLimit: string;
  /** Threads of the server's DuckDB instance: 2 keeps dataset requests from starving the event
   * loop's machine while still using parallel Parquet decoding. */
  duckdbThreads: number;
  /** Rows per Arrow record batch streamed to the browser: large enough to amortise per-batch IPC
   * overhead, small enough to keep server memory per request in the low megabytes. */
  arrowBatchRows: number;
  /** Bytes of gzip-compressed static files kept in memory: the whole app is ~2.5 MB gzip, so 64 MB
   * holds several builds' worth without growing unbounded. */
  staticGzipCacheBytes: number;
  /** Shortest accepted token: 16 characters keeps guessing impractical even for hand-picked ones. */
  minTokenLength: number;
  /** Minimum level of log lines written. */
  logLevel: LogLevel;
  /** Largest collaboration websocket message: a notebook's first sync carries the whole
   * document (images included), so the same 50 MB as `maxBodyBytes`; above it ws closes with 1009. */
  collabMaxMessageBytes: number;
  /** Largest awareness state of one client: cursors, selections and presence fields are a few
   * KB; 64 KB leaves room for many selections while keeping relayed traffic bounded. */
  collabMaxAwarenessBytes: number;
  /** Messages per second per connection (bucket of two seconds' worth): typing sends ~10-30
   * updates plus awareness per second; a client far above that is broken or hostile. */
  collabMessagesPerSecond: number;
  /** Messages queued per connection while its room loads: a client sends 2-3 before it has the
   * server's step 1; 256 tolerates a slow disk, not an unbounded flood. */
  collabMaxQueuedMessages: number;
  /** How long a room stays loaded after its last client left (then it is saved, compacted and
   * unloaded): 60 s, like jupyter-collaboration, covers reloads and brief network drops. */
  collabRoomIdleMs: number;
  /** Logged updates per room before they are merged into one snapshot: bounds the log and the
   * replay time of a restart while keeping recent history for the timeline. */
  collabCompactAfterUpdates: number;
  /** A room due for compaction waits for a pause this long in its updates: folding a big
   * document into a snapshot takes a synchronous ~10 ms, which nobody should wait for while the
   * room is busy. A room that never pauses compacts anyway at 10x `collabCompactAfterUpdates`. */
  collabCompactIdleMs: number;
  /** Autosave delay after the last change while a client has autosave on (1 s, like the
   * reference server); continuous typing still saves every 10x this at most. */
  collabAutosaveDelayMs: number;
  /** How often an open room checks its file for changes made outside (git checkout, another
   * editor): often enough to notice within a few seconds. One scheduler checks the rooms in turn,
   * spread over this period (`collaboration/disk-poll.ts`), so many open rooms never check at once. */
  collabDiskPollMs: number;
  /** In-memory forks (named forks and timeline views) per document room: each holds a copy of
   * the document, so a client opening the timeline in a loop cannot exhaust memory. */
  collabMaxForksPerRoom: number;
}

/** A configured pull source: a Prometheus or Alertmanager the server may read from. */
export interface PullSource {
  /** Name clients use (`POST /api/opsbook/pull` `name`). */
  name: string;
  kind: 'prometheus' | 'alertmanager';
  /** Base URL, e.g. `http://prometheus:9090`. */
  url: string;
}

/** What callers may pass: everything optional except where the notebooks live. */
export type ServerConfigInput = Partial<ServerConfig> & { notebookDir: string };

/** Repository root seen from this file (`packages/server/src` or `packages/server/lib`). */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Defaults for everything that does not depend on other fields. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8888,
  dataDir: null,
  defaultDataset: 'default',
  maxRunSeconds: 600,
  maxRunRecordBytes: 1024 * 1024,
  maxIngestBytes: 10 * 1024 ** 3,
  maxBundleBytes: 10 * 1024 ** 3,
  ingestProgressIntervalMs: 250,
  requestTimeoutMs: 6 * 3600 * 1000,
  pullSources: [] as PullSource[],
  appDir: path.join(REPO_ROOT, 'build', 'app'),
  token: null,
  noAuth: false,
  usersFile: null,
  maxBodyBytes: 50 * 1024 * 1024,
  maxContentsReadBytes: 100 * 1024 * 1024,
  trashRetentionMs: 7 * 24 * 3600 * 1000,
  queryTimeoutMs: 30_000,
  queryMemoryLimit: '2GB',
  duckdbThreads: 2,
  arrowBatchRows: 16_384,
  staticGzipCacheBytes: 64 * 1024 * 1024,
  minTokenLength: 16,
  logLevel: 'info',
  collabMaxMessageBytes: 50 * 1024 * 1024,
  collabMaxAwarenessBytes: 64 * 1024,
  collabMessagesPerSecond: 200,
  collabMaxQueuedMessages: 256,
  collabRoomIdleMs: 60_000,
  collabCompactAfterUpdates: 1000,
  collabCompactIdleMs: 1000,
  collabAutosaveDelayMs: 1000,
  collabDiskPollMs: 3000,
  collabMaxForksPerRoom: 16
} satisfies Omit<ServerConfig, 'notebookDir' | 'stateDir' | 'catalogDir' | 'provenanceDir'>;

/** Hosts on which `noAuth` is accepted: only the local machine can reach them. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host.replace(/^\[|\]$/g, '').toLowerCase());
}

/**
 * Fills in defaults and validates a configuration; throws an `OpsbookError` naming the offending
 * field and what to do. Idempotent, so `createServer` can call it again on a resolved config.
 */
export function resolveConfig(input: ServerConfigInput): ServerConfig {
  if (!input || typeof input.notebookDir !== 'string' || input.notebookDir === '') {
    throw new OpsbookError(Errors.configMissing('notebookDir', '--notebooks DIR'));
  }
  const notebookDir = path.resolve(input.notebookDir);
  const stateDir = path.resolve(input.stateDir ?? path.join(notebookDir, '.opsbook'));
  const config: ServerConfig = {
    ...DEFAULTS,
    ...dropUndefined(input),
    notebookDir,
    stateDir,
    catalogDir: path.resolve(input.catalogDir ?? defaultCatalogDir(stateDir)),
    provenanceDir: path.resolve(input.provenanceDir ?? defaultProvenanceDir(stateDir))
  };
  config.dataDir = config.dataDir === null ? null : path.resolve(config.dataDir);
  config.appDir = path.resolve(config.appDir);
  config.usersFile = config.usersFile === null ? null : path.resolve(config.usersFile);

  requireDirectory('notebookDir', config.notebookDir);
  if (config.dataDir !== null) {
    requireDirectory('dataDir', config.dataDir);
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new OpsbookError(Errors.configInvalid('port', String(config.port), 'an integer 0-65535'));
  }
  if (typeof config.host !== 'string' || config.host === '') {
    throw new OpsbookError(Errors.configInvalid('host', String(config.host), 'a host name or IP'));
  }
  if (config.noAuth && !isLoopbackHost(config.host)) {
    throw new OpsbookError(Errors.noAuthOnPublicHost(config.host));
  }
  if (config.token !== null && config.token.length < config.minTokenLength) {
    throw new OpsbookError(Errors.tokenTooShort('token', config.minTokenLength));
  }
  for (const key of [
    'maxBodyBytes',
    'maxContentsReadBytes',
    'trashRetentionMs',
    'maxIngestBytes',
    'maxRunSeconds',
    'maxRunRecordBytes',
    'ingestProgressIntervalMs',
    'requestTimeoutMs',
    'queryTimeoutMs',
    'duckdbThreads',
    'arrowBatchRows',
    'staticGzipCacheBytes',
    'collabMaxMessageBytes',
    'collabMaxAwarenessBytes',
    'collabMessagesPerSecond',
    'collabMaxQueuedMessages',
    'collabRoomIdleMs',
    'collabCompactAfterUpdates',
    'collabCompactIdleMs',
    'collabAutosaveDelayMs',
    'collabDiskPollMs',
    'collabMaxForksPerRoom'
  ] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value <= 0) {
      throw new OpsbookError(Errors.configInvalid(key, String(value), 'a positive integer'));
    }
  }
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(config.queryMemoryLimit)) {
    throw new OpsbookError(
      Errors.configInvalid('queryMemoryLimit', config.queryMemoryLimit, "a size like '2GB'")
    );
  }
  if (!/^[a-z_][a-z0-9_]*$/.test(config.defaultDataset)) {
    throw new OpsbookError(
      Errors.configInvalid(
        'defaultDataset',
        String(config.defaultDataset),
        "a dataset name (lower-case letters, digits and '_', not starting with a digit)"
      )
    );
  }
  config.pullSources = validatePullSources(config.pullSources);
  if (!LOG_LEVELS.includes(config.logLevel)) {
    throw new OpsbookError(
      Errors.configInvalid('logLevel', String(config.logLevel), LOG_LEVELS.join(', '))
    );
  }
  return config;
}

/**
 * The catalog store of a state directory. The CLI uses it too (`opsbook ingest` without
 * `--store`), so both always agree on where the server's data lives.
 */
export function defaultCatalogDir(stateDir: string): string {
  return path.join(stateDir, 'catalog');
}

/**
 * The provenance store of a state directory; `opsbook audit|runs` use it without `--store`, like
 * `defaultCatalogDir`.
 */
export function defaultProvenanceDir(stateDir: string): string {
  return path.join(stateDir, 'provenance');
}

function validatePullSources(sources: PullSource[]): PullSource[] {
  if (!Array.isArray(sources)) {
    throw new OpsbookError(Errors.configInvalid('pullSources', String(sources), 'an array'));
  }
  const seen = new Set<string>();
  return sources.map(source => {
    const where = `pullSources[${source?.name ?? '?'}]`;
    if (!source || !/^[A-Za-z0-9_.-]+$/.test(source.name ?? '')) {
      throw new OpsbookError(
        Errors.configInvalid(
          where,
          String(source?.name),
          "a name of letters, digits, '_', '-', '.'"
        )
      );
    }
    if (source.kind !== 'prometheus' && source.kind !== 'alertmanager') {
      throw new OpsbookError(
        Errors.configInvalid(where, String(source.kind), "'prometheus' or 'alertmanager'")
      );
    }
    if (seen.has(`${source.kind}:${source.name}`)) {
      throw new OpsbookError(Errors.configInvalid(where, source.name, 'a name used once per kind'));
    }
    seen.add(`${source.kind}:${source.name}`);
    let url: URL;
    try {
      url = new URL(source.url);
    } catch {
      throw new OpsbookError(
        Errors.configInvalid(where, String(source.url), 'an http(s) URL like http://host:9090')
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OpsbookError(Errors.configInvalid(where, source.url, 'an http(s) URL'));
    }
    return { name: source.name, kind: source.kind, url: url.toString().replace(/\/$/, '') };
  });
}

/** Drops keys explicitly set to undefined so they do not override defaults. */
function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function requireDirectory(field: string, dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new OpsbookError(Errors.configDirectoryMissing(field, dir));
  }
  if (!stat.isDirectory()) {
    throw new OpsbookError(Errors.configDirectoryMissing(field, dir));
  }
}

/** Version of this package, shown as the app version. */
export function packageVersion(): string {
  try {
    const text = fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
