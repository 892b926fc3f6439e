/**
 * The app page and its static files. `index.html` (written by the webpack build, with hashed
 * bundle names that change every build) is re-read whenever its mtime changes, and its
 * `__OPSBOOK_PAGE_CONFIG__` placeholder replaced by the page config JSON the `@jupyterlab/*`
 * packages read through `PageConfig`. `<`, `>` and `&` are escaped in that JSON so no value
 * (a file name in `treePath`, say) can close the script element.
 */
import * as fs from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';

import type { ServerConfig } from '../config';
import { decodeRawPath, resolveFileUnder } from '../contents/paths';
import { Errors, OpsbookError } from '../errors';
import { BASE_HEADERS, RequestContext, Router } from '../http/router';
import type { FileSender } from '../http/static';

/** The placeholder in `index.html` that receives the page config. */
export const PAGE_CONFIG_PLACEHOLDER = '__OPSBOOK_PAGE_CONFIG__';

/** Options of the page routes. */
export interface PageOptions {
  config: ServerConfig;
  appVersion: string;
  sender: FileSender;
}

/** Where the frontend should start: the file to open and the workspace to restore. */
export interface PageLocation {
  treePath: string;
  workspace: string;
}

/** Builds the page config for one request. */
export function pageConfig(
  config: ServerConfig,
  appVersion: string,
  req: IncomingMessage,
  token: string,
  location: PageLocation
): Record<string, unknown> {
  const host = req.headers.host ?? `${config.host}:${config.port}`;
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  return {
    baseUrl: '/',
    wsUrl: `${secure ? 'wss' : 'ws'}://${host}/`,
    appUrl: '/lab',
    token,
    // The HttpOnly cookie authenticates websockets; keeping the token out of URLs keeps it out of logs.
    appendToken: false,
    themesUrl: '/lab/api/themes',
    settingsUrl: '/lab/api/settings',
    translationsApiUrl: '/lab/api/translations',
    treePath: location.treePath,
    workspace: location.workspace,
    appName: 'Opsbook',
    appVersion,
    disabledExtensions: [],
    notebookStartsKernel: true,
    exposeAppInBrowser: true,
    fullStaticUrl: '/static',
    opsbook: {
      datasetsUrl: '/api/datasets',
      queryTimeoutMs: config.queryTimeoutMs,
      queryMemoryLimit: config.queryMemoryLimit
    }
  };
}

/** JSON that is safe inside a `<script>` element. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

/** Inserts the page config into the HTML (split/join: `replace` would interpret `$&` in values). */
export function renderPage(html: string, config: Record<string, unknown>): string {
  return html.split(PAGE_CONFIG_PLACEHOLDER).join(scriptSafeJson(config));
}

/** Parses `/lab`, `/lab/tree/<path>`, `/lab/workspaces/<id>[/tree/<path>]` (raw path). */
export function pageLocation(rawPath: string): PageLocation | null {
  const m = /^\/lab(?:\/workspaces\/(?<ws>[^/]+))?(?:\/tree(?:\/(?<tree>.*))?)?\/?$/.exec(rawPath);
  if (!m) {
    return null;
  }
  let treePath = '';
  let workspace = 'default';
  try {
    treePath = decodeRawPath(m.groups?.tree ?? '').join('/');
    workspace = m.groups?.ws ? decodeURIComponent(m.groups.ws) : 'default';
  } catch {
    // A bad tree path only loses the "open this file" hint; the contents API still guards access.
  }
  return { treePath, workspace };
}

/** Reads `index.html`, re-reading it only when the build replaced it. */
export class IndexHtml {
  private cached: { key: string; text: string } | null = null;

  constructor(private readonly file: string) {}

  async read(): Promise<string> {
    let stat;
    try {
      stat = await fs.stat(this.file);
    } catch {
      throw new OpsbookError(Errors.appNotBuilt(this.file));
    }
    const key = `${stat.mtimeMs}:${stat.size}`;
    if (this.cached?.key !== key) {
      this.cached = { key, text: await fs.readFile(this.file, 'utf8') };
    }
    return this.cached.text;
  }
}

/** Whether a static file name carries a content hash (then it never changes: cache forever). */
export function isHashedName(fileName: string): boolean {
  return /(^|[.\-_])[0-9a-f]{8,}(\.[A-Za-z0-9]+)+$/.test(path.basename(fileName));
}

/** Registers `/`, the `/lab` pages and `/static/`. */
export function addPageRoutes(router: Router, options: PageOptions): void {
  const index = new IndexHtml(path.join(options.config.appDir, 'index.html'));
  const sendPage = async (ctx: RequestContext): Promise<void> => {
    const location = pageLocation(ctx.rawPath) ?? { treePath: '', workspace: 'default' };
    const html = renderPage(
      await index.read(),
      pageConfig(options.config, options.appVersion, ctx.req, ctx.token, location)
    );
    ctx.res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'Cache-Control': 'no-cache, no-store',
      'X-Frame-Options': 'SAMEORIGIN'
    });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : html);
  };

  router
    .add('GET', /^\/$/, ctx => {
      ctx.res.writeHead(302, { ...BASE_HEADERS, Location: '/lab' });
      ctx.res.end();
    })
    .add('GET', /^\/lab(?:\/workspaces\/[^/]+)?(?:\/tree(?:\/.*)?)?\/?$/, sendPage)
    .add('GET', /^\/static\/(?<path>.+)$/, async ctx => {
      const file = await resolveFileUnder(options.config.appDir, decodeRawPath(ctx.params.path));
      const hashed = isHashedName(file) && path.basename(file) !== 'index.html';
      await options.sender.send(ctx.req, ctx.res, file, {
        cacheControl: hashed ? 'public, max-age=31536000, immutable' : 'no-cache'
      });
    });
}

/** The small page shown to a browser without a valid token. */
export function loginPage(message: string): string {
  const escaped = message.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Opsbook - token required</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
input{font:inherit;width:100%;padding:.4rem;margin:.5rem 0}button{font:inherit;padding:.4rem 1rem}</style></head>
<body><h1>Opsbook</h1><p>${escaped}</p>
<form method="get" action="/lab"><label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus>
<button type="submit">Log in</button></form></body></html>
`;
}
