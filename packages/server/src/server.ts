/**
 * The Opsbook server: plain `node:http` plus `ws`, wiring the parts together. Each request goes
 * through the same pipeline:
 *
 *   source check (Host, Origin) -> authentication (token header/query/cookie) -> route -> handler
 *
 * Public build output (`/`, `/static/`, themes) skips authentication; everything else, websocket
 * upgrades included, needs a valid token. Handlers throw catalog errors; the router turns them
 * into Jupyter-shaped JSON.
 */
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';

import { WebSocketServer } from 'ws';

import { addJupyterApiRoutes } from './api/jupyter';
import { Authenticator, checkRequestSource, cookieNameFor, tokenCookie } from './auth';
import { packageVersion, resolveConfig, ServerConfig, ServerConfigInput } from './config';
import { FsLayer, nodeFsLayer } from './contents/atomic';
import { CatalogReader } from './catalog/reader';
import { addCatalogRoutes } from './catalog/routes';
import { IngestRunner } from './catalog/runner';
import { Checkpoints } from './contents/checkpoints';
import { addFilesRoute } from './contents/files';
import { addContentsRoutes } from './contents/routes';
import { ContentsStore } from './contents/store';
import { Catalog } from './datasets/catalog';
import { ArrowStreams } from './datasets/arrow-streams';
import { Engine } from './datasets/engine';
import { addDatasetRoutes } from './datasets/routes';
import { SnapshotDatasets } from './datasets/snapshots';
import { Errors } from './errors';
import { BASE_HEADERS, Router, sendError, sendThrown, splitUrl } from './http/router';
import { FileSender } from './http/static';
import { loginPage, addPageRoutes } from './lab/page';
import { addSettingsRoutes } from './lab/settings';
import { addThemeRoutes } from './lab/themes';
import { addTranslationRoutes } from './lab/translations';
import { addWorkspaceRoutes } from './lab/workspaces';
import { Collaboration, ROOM_PATH } from './collaboration/manager';
import { opsbookStateHook } from './collaboration/opsbook-state';
import { addCollaborationRoutes } from './collaboration/routes';
import { addHistoryRoutes } from './collaboration/history-routes';
import type { NotebookStateHook } from './collaboration/codec';
import { createLogger, Logger, LogSink, redactUrl } from './log';
import { CellHistory } from './provenance/history';
import { addCellHistoryRoutes } from './provenance/history-routes';
import { addLineageRoutes } from './provenance/lineage-routes';
import { ImportedRuns } from './provenance/bundle-registry';
import { addBundleRoutes } from './provenance/bundle-routes';
import { addProvenanceRoutes } from './provenance/routes';
import { guardRunMetadata } from './provenance/run-metadata-guard';
import { ServerProvenance } from './provenance/service';
import { defaultUser, loadUsersFile, User } from './users';

/** Replaceable parts, for tests and embedding. */
export interface ServerDeps {
  /** Filesystem layer for atomic writes (inject a failing one to test failures). */
  fs?: FsLayer;
  /** Where log lines go (default: stderr). */
  logSink?: LogSink;
  /** Extra notebook state saved with collaborative documents (see `collaboration/codec.ts`). */
  notebookHooks?: NotebookStateHook[];
}

/** Where a started server listens. */
export interface ListenInfo {
  port: number;
  /** The URL to open, token included (as printed at start). */
  url: string;
  /** The first user's token ('' without authentication). */
  token: string;
}

/** A created, not yet listening, server. */
export interface OpsbookServer {
  readonly config: ServerConfig;
  /** Loads users, binds the port and prints the URL. */
  listen(): Promise<ListenInfo>;
  /** Closes connections, websockets and the DuckDB instance. */
  close(): Promise<void>;
}

/** Paths anyone may fetch: public build output and the redirect to the app. */
const PUBLIC_PATH = /^\/$|^\/static\/|^\/lab\/api\/themes\/|^\/favicon\.ico$/;
/** Paths answered with JSON (a 403 there is JSON; elsewhere it is the login page). */
const API_PATH = /^\/(api|lab\/api|files)(\/|$)/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const EVENTS_PATH = /^\/api\/events\/subscribe\/?$/;
/** Who a public request (no token needed) is attributed to in handlers and logs. */
const ANONYMOUS: User = {
  username: 'anonymous',
  display_name: 'Anonymous',
  color: '#888888',
  token: null,
  role: 'viewer'
};

/** Creates the server; validates the configuration immediately (throws `OpsbookError`). */
export function createServer(input: ServerConfigInput, deps: ServerDeps = {}): OpsbookServer {
  const config = resolveConfig(input);
  const log = createLogger(config.logLevel, deps.logSink);
  const fsLayer = deps.fs ?? nodeFsLayer;
  const appVersion = packageVersion();
  const httpServer = http.createServer({ requestTimeout: config.requestTimeoutMs });
  const wss = new WebSocketServer({ noServer: true });
  let engine: Promise<Engine> | null = null;
  let closeArrow: () => Promise<void> = async () => undefined;
  let collaboration: Collaboration | null = null;
  let cellHistory: CellHistory | null = null;
  // The telemetry catalog: opened and started on first use, like the DuckDB engine.
  let catalogReader: CatalogReader | null = null;
  let ingestRunner: IngestRunner | null = null;
  // Run log and audit trail: the store is opened on first use too.
  const provenance = new ServerProvenance({ dir: config.provenanceDir, log });
  const reader = (): CatalogReader => (catalogReader ??= new CatalogReader(config.catalogDir));
  const runner = (): IngestRunner =>
    (ingestRunner ??= new IngestRunner({
      onIngested: (job, out) => provenance.ingested(job, out)
    }));
  let closed = false;

  const setup = async (): Promise<{
    router: Router;
    auth: Authenticator;
    collaboration: Collaboration;
  }> => {
    await fs.mkdir(config.stateDir, { recursive: true });
    const root = await fs.realpath(config.notebookDir);
    const stateDir = await fs.realpath(config.stateDir);
    const users = config.usersFile
      ? await loadUsersFile(config.usersFile, config.minTokenLength)
      : [defaultUser()];
    const auth = new Authenticator({ users, token: config.token, noAuth: config.noAuth });
    const dataDir = config.dataDir === null ? null : await fs.realpath(config.dataDir);
    let catalog: Catalog | null = null;
    // Created on first use: a server without dataset requests never loads DuckDB.
    const engineOptions = {
      dataDir,
      extraDirs: [path.join(config.catalogDir, 'snapshots')],
      threads: config.duckdbThreads,
      memoryLimit: config.queryMemoryLimit
    };
    const getEngine = (): Promise<Engine> =>
      (engine ??= Engine.create(engineOptions).catch(err => {
        engine = null;
        throw err;
      }));
    // Everything that needs apache-arrow runs in this worker (started on first use).
    const arrowStreams = new ArrowStreams({ engine: engineOptions, log });
    closeArrow = () => arrowStreams.close();
    if (dataDir !== null) {
      catalog = new Catalog({
        dataDir,
        engine: getEngine,
        describeIpcFile: file => arrowStreams.describe(file),
        queryTimeoutMs: config.queryTimeoutMs,
        log
      });
    }

    const store = new ContentsStore({
      root,
      stateDir,
      maxReadBytes: config.maxContentsReadBytes,
      trashRetentionMs: config.trashRetentionMs,
      fs: fsLayer
    });
    const sender = new FileSender(config.staticGzipCacheBytes);
    const common = { stateDir, maxBodyBytes: config.maxBodyBytes, fs: fsLayer };
    const router = new Router();
    // Per-cell history: versions on save, run, checkpoint and restore (provenance/history.ts).
    const history = (cellHistory = new CellHistory({
      provenance,
      contents: store,
      collaboration: () => collaboration,
      log
    }));
    // Runs imported from investigation bundles (provenance/bundle-registry.ts).
    const importedRuns = new ImportedRuns(stateDir);
    const collab = new Collaboration({
      config,
      stateDir,
      contents: store,
      log,
      // Comments and hypotheses travel with the notebook file unless a caller says otherwise.
      notebookHooks: deps.notebookHooks ?? [opsbookStateHook()],
      // Run summaries written into cells through the shared document are checked against the log.
      onDocumentRoom: room => {
        const stopGuard = guardRunMetadata(
          room,
          runId => provenance.findRun(runId) ?? importedRuns.get(runId)?.record ?? null,
          log
        );
        const stopHistory = history.roomLoaded(room);
        return () => {
          stopGuard();
          stopHistory();
        };
      },
      onDocumentSaved: room => history.roomSaved(room)
    });
    collaboration = collab;
    addContentsRoutes(router, {
      store,
      checkpoints: new Checkpoints(store),
      maxBodyBytes: config.maxBodyBytes,
      // History follows the file: the rename is recorded before collaboration moves its ids.
      onRenamed: (from, to, ctx, model) => {
        history.renamed(ctx, from, to, model.type);
        return collab.renamed(from, to);
      },
      renameExclusively: rename => history.exclusively(rename),
      onSaved: (ctx, model, body) => history.contentsSaved(ctx.user.username, model, body),
      onCheckpoint: (ctx, operation, p, id) => {
        provenance.checkpoint(ctx, operation, p, id);
        if (operation === 'create') {
          history.contentsCheckpoint(ctx.user.username, p);
        }
      }
    });
    addCollaborationRoutes(router, {
      collaboration: collab,
      contents: store,
      maxBodyBytes: config.maxBodyBytes,
      onOpened: (ctx, p, fileId) => provenance.documentOpened(ctx, p, fileId)
    });
    addHistoryRoutes(router, { collaboration: collab, maxBodyBytes: config.maxBodyBytes });
    addFilesRoute(router, store, sender);
    addJupyterApiRoutes(router, { ...common, appVersion, connections: () => wss.clients.size });
    addSettingsRoutes(router, { ...common, appDir: config.appDir, appVersion, log });
    addWorkspaceRoutes(router, common);
    addTranslationRoutes(router);
    addThemeRoutes(router, config.appDir, sender);
    addCatalogRoutes(router, {
      reader,
      runner,
      storeDir: config.catalogDir,
      defaultDataset: config.defaultDataset,
      maxIngestBytes: config.maxIngestBytes,
      maxBodyBytes: config.maxBodyBytes,
      progressIntervalMs: config.ingestProgressIntervalMs,
      pullSources: config.pullSources
    });
    addDatasetRoutes(router, {
      catalog,
      snapshots: new SnapshotDatasets(reader, config.defaultDataset),
      arrow: arrowStreams,
      sender,
      queryTimeoutMs: config.queryTimeoutMs,
      arrowBatchRows: config.arrowBatchRows
    });
    addProvenanceRoutes(router, {
      provenance,
      reader,
      maxRunSeconds: config.maxRunSeconds,
      maxRecordBytes: config.maxRunRecordBytes,
      imported: importedRuns,
      onRunRecorded: (user, run) => void history.runRecorded(user, run)
    });
    addBundleRoutes(router, {
      provenance,
      catalogDir: config.catalogDir,
      notebookDir: root,
      stateDir,
      maxBundleBytes: config.maxBundleBytes
    });
    addCellHistoryRoutes(router, { history, provenance, maxBodyBytes: config.maxBodyBytes });
    addLineageRoutes(router, { provenance, reader, contents: store, appVersion });
    addPageRoutes(router, { config, appVersion, sender });
    return { router, auth, collaboration: collab };
  };

  const listen = async (): Promise<ListenInfo> => {
    const { router, auth, collaboration: collab } = await setup();
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    const port = (httpServer.address() as AddressInfo).port;
    const cookieName = cookieNameFor(port);
    httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      void handleRequest(req, res, { router, auth, cookieName, log, bound: config.host });
    });
    httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      handleUpgrade(req, socket, head, {
        auth,
        cookieName,
        log,
        wss,
        bound: config.host,
        collaboration: collab
      });
    });
    const token = auth.primaryToken;
    const urls = displayHosts(config.host).map(
      h => `http://${h}:${port}/lab${token ? `?token=${token}` : ''}`
    );
    log.info(
      `Serving notebooks from ${config.notebookDir}${config.dataDir ? `, datasets from ${config.dataDir}` : ''}, telemetry catalog ${config.catalogDir}`
    );
    log.info(`Opsbook is running at: ${urls.join('\n    or ')}`);
    return { port, url: urls[0], token };
  };

  const close = async (): Promise<void> => {
    if (closed) {
      return;
    }
    closed = true;
    for (const client of wss.clients) {
      client.terminate();
    }
    wss.close();
    await collaboration?.close();
    await ingestRunner?.close();
    catalogReader?.close();
    // Versions of the rooms saved while closing are recorded before the store closes.
    await cellHistory?.idle();
    provenance.close();
    await new Promise<void>(resolve => {
      if (!httpServer.listening) {
        resolve();
        return;
      }
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
    });
    await closeArrow();
    if (engine) {
      (await engine.catch(() => null))?.close();
    }
  };

  return { config, listen, close };
}

interface RequestEnv {
  router: Router;
  auth: Authenticator;
  cookieName: string;
  log: Logger;
  bound: string;
}

async function handleRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  env: RequestEnv
): Promise<void> {
  const started = Date.now();
  const method = req.method ?? 'GET';
  const { rawPath, query } = splitUrl(req.url ?? '/');
  let who = '-';
  res.on('close', () => {
    const status = res.writableFinished ? String(res.statusCode) : `${res.statusCode} (aborted)`;
    env.log.debug(
      `${status} ${method} ${redactUrl(req.url ?? '')} (${who}@${req.socket.remoteAddress}) ${Date.now() - started}ms`
    );
  });
  try {
    const sourceError = checkRequestSource(req, env.bound, !SAFE_METHODS.has(method));
    if (sourceError) {
      sendError(res, sourceError);
      return;
    }
    const authResult = env.auth.authenticate(req, env.cookieName);
    const isPublic = PUBLIC_PATH.test(rawPath) && SAFE_METHODS.has(method);
    if (!authResult && !isPublic) {
      const denied = Errors.forbidden();
      if (API_PATH.test(rawPath)) {
        sendError(res, denied);
      } else {
        const html = loginPage(denied.message);
        res.writeHead(403, {
          ...BASE_HEADERS,
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store'
        });
        res.end(html);
      }
      return;
    }
    who = authResult?.user.username ?? 'anonymous';
    if (authResult?.via === 'query') {
      res.setHeader('Set-Cookie', tokenCookie(env.cookieName, authResult.token));
      if (method === 'GET' && !API_PATH.test(rawPath)) {
        // Drop the token from the address bar (and history, and Referer): the cookie carries it now.
        query.delete('token');
        const rest = query.toString();
        res.writeHead(302, { ...BASE_HEADERS, Location: rawPath + (rest ? `?${rest}` : '') });
        res.end();
        return;
      }
    }
    const match = env.router.match(method, rawPath);
    if (!match) {
      sendError(res, Errors.routeNotFound(method, rawPath));
      return;
    }
    if ('allowed' in match) {
      res.setHeader('Allow', match.allowed.join(', '));
      sendError(res, Errors.methodNotAllowed(method, rawPath, match.allowed));
      return;
    }
    const user = authResult?.user ?? ANONYMOUS;
    await match.handler({
      req,
      res,
      rawPath,
      query,
      params: match.params,
      user,
      token: authResult?.token ?? '',
      log: env.log
    });
  } catch (err) {
    sendThrown({ req, res, log: env.log }, err);
  }
}

interface UpgradeEnv {
  auth: Authenticator;
  cookieName: string;
  log: Logger;
  wss: WebSocketServer;
  bound: string;
  collaboration: Collaboration;
}

function handleUpgrade(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  env: UpgradeEnv
): void {
  socket.on('error', () => undefined);
  const reject = (status: number, text: string): void => {
    env.log.debug(`${status} WS ${redactUrl(req.url ?? '')} (${req.socket.remoteAddress})`);
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  if (checkRequestSource(req, env.bound, true)) {
    reject(403, 'Forbidden');
    return;
  }
  const authResult = env.auth.authenticate(req, env.cookieName);
  if (!authResult) {
    reject(403, 'Forbidden');
    return;
  }
  const { rawPath, query } = splitUrl(req.url ?? '/');
  const room = ROOM_PATH.exec(rawPath);
  if (room) {
    let name: string;
    try {
      name = decodeURIComponent(room.groups!.name);
    } catch {
      reject(404, 'Not Found');
      return;
    }
    env.collaboration.handleUpgrade(req, socket, head, authResult.user, name, query);
    return;
  }
  if (!EVENTS_PATH.test(rawPath)) {
    reject(404, 'Not Found');
    return;
  }
  env.wss.handleUpgrade(req, socket, head, ws => {
    // The event bus has nothing to say yet; the client only needs the connection to stay open.
    ws.on('error', () => undefined);
    env.log.debug(`WS connected ${rawPath}`);
  });
}

/** Host names to print for a bound host. */
function displayHosts(host: string): string[] {
  if (host === '0.0.0.0' || host === '::') {
    return [os.hostname(), '127.0.0.1'];
  }
  return [host.includes(':') ? `[${host}]` : host];
}
