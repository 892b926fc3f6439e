/**
 * A tiny router and the JSON helpers every handler uses. Routes match the RAW request path (never
 * a WHATWG-normalised one, which would silently resolve `..` and `%2e%2e` before our path checks
 * could see and refuse them); captured groups stay percent-encoded for the handler to decode.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { ErrorInfo, Errors, OpsbookError, PathRefusedError } from '../errors';
import { Logger, redactUrl } from '../log';
import type { User } from '../users';

/** Everything a handler needs about one request. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Raw (still percent-encoded) path, without the query string. */
  rawPath: string;
  /** Parsed query string; unknown parameters are simply ignored by handlers. */
  query: URLSearchParams;
  /** Named groups of the matched route pattern, raw. */
  params: Record<string, string>;
  /** The authenticated user. */
  user: User;
  /** The token the user authenticated with ('' without authentication). */
  token: string;
  log: Logger;
}

/** A route handler; throwing an `OpsbookError` produces that error's JSON response. */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/** Ordered list of routes; the first whose pattern and method match wins. */
export class Router {
  private readonly routes: Route[] = [];

  /** Registers `handler` for `method` on paths matching `pattern` (anchor it with ^ and $). */
  add(method: string, pattern: RegExp, handler: Handler): this {
    this.routes.push({ method, pattern, handler });
    return this;
  }

  /** Finds the handler for a request: a route, a 405 (path known, method not) or null. */
  match(
    method: string,
    rawPath: string
  ): { handler: Handler; params: Record<string, string> } | { allowed: string[] } | null {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const m = route.pattern.exec(rawPath);
      if (!m) {
        continue;
      }
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        const params: Record<string, string> = {};
        for (const [key, value] of Object.entries(m.groups ?? {})) {
          params[key] = value ?? '';
        }
        return { handler: route.handler, params };
      }
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { allowed } : null;
  }
}

/** Splits a raw request URL into its undecoded path and parsed query. */
export function splitUrl(rawUrl: string): { rawPath: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
  return { rawPath, query };
}

/** Headers sent on every response: no MIME sniffing (uploaded files must not become HTML). */
export const BASE_HEADERS: Record<string, string> = { 'X-Content-Type-Options': 'nosniff' };

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store'
  });
  res.end(text);
}

/** Sends an empty response (204 and friends). */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, BASE_HEADERS);
  res.end();
}

/** Sends a catalog error as Jupyter's `{message, reason}` JSON. */
export function sendError(res: ServerResponse, info: ErrorInfo): void {
  sendJson(res, info.status, { message: info.message, reason: info.reason });
}

/** Converts anything thrown by a handler into an error response, logging unexpected ones. */
export function sendThrown(
  ctx: { res: ServerResponse; log: Logger; req: IncomingMessage },
  err: unknown
): void {
  const info: ErrorInfo =
    err instanceof OpsbookError
      ? { status: err.status, reason: err.reason, message: err.message }
      : Errors.internal();
  if (err instanceof PathRefusedError) {
    const remote = ctx.req.socket.remoteAddress ?? 'unknown';
    ctx.log.warn(
      `Refused path (${err.detail}): ${ctx.req.method} ${redactUrl(ctx.req.url ?? '')} from ${remote}`
    );
  } else if (!(err instanceof OpsbookError)) {
    ctx.log.error(`Unhandled error in ${ctx.req.method} ${redactUrl(ctx.req.url ?? '')}`, err);
  }
  if (ctx.res.headersSent) {
    // Mid-stream failure: the only honest signal left is to cut the connection.
    ctx.res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  sendError(ctx.res, info);
}

/** Reads a request body up to `limit` bytes; over the limit is a 413 without buffering the rest. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new OpsbookError(Errors.bodyTooLarge(limit));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new OpsbookError(Errors.bodyTooLarge(limit));
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads and parses a JSON body (empty body reads as `{}`); bad JSON is a 400 naming the body. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) {
    return {};
  }
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new OpsbookError(Errors.badJson('request body', (err as Error).message));
  }
}

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
