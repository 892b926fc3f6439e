/**
 * Token authentication, Jupyter style. A token is accepted from the `Authorization: token <t>`
 * header, the `?token=<t>` query (which also sets an HttpOnly, SameSite=Strict cookie so the page's
 * own requests and websockets work without it), or that cookie. Each token maps to one user.
 *
 * Also here: the request checks that keep other sites out even when a token is in a cookie
 * (Origin must match Host on writes and websockets) and DNS rebinding out of a loopback server
 * (the Host header must name the loopback).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { isLoopbackHost } from './config';
import { ErrorInfo, Errors } from './errors';
import { splitUrl } from './http/router';
import type { User } from './users';

/** Who made a request and how they proved it. */
export interface AuthResult {
  user: User;
  /** The token presented ('' when authentication is off). */
  token: string;
  via: 'header' | 'query' | 'cookie' | 'none';
}

/** Options of `Authenticator`. */
export interface AuthenticatorOptions {
  users: User[];
  /** Token for the first user (from config); null to use the first user's own or a random one. */
  token: string | null;
  noAuth: boolean;
}

/** Maps tokens to users and authenticates requests. */
export class Authenticator {
  /** The token printed at start; it belongs to the first user. Empty without authentication. */
  readonly primaryToken: string;
  readonly noAuth: boolean;
  private readonly byDigest = new Map<string, User>();
  private readonly firstUser: User;

  constructor(options: AuthenticatorOptions) {
    this.noAuth = options.noAuth;
    this.firstUser = options.users[0];
    this.primaryToken = options.noAuth
      ? ''
      : (options.token ?? this.firstUser.token ?? randomBytes(32).toString('hex'));
    for (const user of options.users) {
      if (user.token !== null) {
        this.byDigest.set(digest(user.token), user);
      }
    }
    if (this.primaryToken) {
      this.byDigest.set(digest(this.primaryToken), this.firstUser);
    }
  }

  /** The user owning `token`, or null. Looked up by SHA-256 so timing says nothing about it. */
  userForToken(token: string): User | null {
    return token ? (this.byDigest.get(digest(token)) ?? null) : null;
  }

  /** Authenticates a request; null when no valid token was presented. */
  authenticate(req: IncomingMessage, cookieName: string): AuthResult | null {
    if (this.noAuth) {
      return { user: this.firstUser, token: '', via: 'none' };
    }
    const header = req.headers.authorization;
    if (header) {
      const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
      const user = m ? this.userForToken(m[1]) : null;
      return user && m ? { user, token: m[1], via: 'header' } : null;
    }
    const queryToken = splitUrl(req.url ?? '/').query.get('token');
    if (queryToken) {
      const user = this.userForToken(queryToken);
      return user ? { user, token: queryToken, via: 'query' } : null;
    }
    const cookieToken = parseCookies(req.headers.cookie)[cookieName];
    if (cookieToken) {
      const user = this.userForToken(cookieToken);
      return user ? { user, token: cookieToken, via: 'cookie' } : null;
    }
    return null;
  }
}

/** Cookie name for a server port: cookies ignore ports, so two local servers must not share one. */
export function cookieNameFor(port: number): string {
  return `opsbook-token-${port}`;
}

/** `Set-Cookie` value carrying a token: not readable by scripts, never sent cross-site. */
export function tokenCookie(name: string, token: string): string {
  return `${name}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** Parses a `Cookie` header. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) {
      const key = part.slice(0, eq).trim();
      try {
        out[key] = decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        // A malformed cookie is simply absent.
      }
    }
  }
  return out;
}

/**
 * Checks Host and Origin. Returns the error to send, or null when the request may proceed.
 * `checkOrigin` is for state-changing requests and websocket upgrades (a cross-site GET cannot
 * read the answer without CORS, which we never grant).
 */
export function checkRequestSource(
  req: IncomingMessage,
  boundHost: string,
  checkOrigin: boolean
): ErrorInfo | null {
  const host = req.headers.host ?? '';
  if (isLoopbackHost(boundHost) && !isLoopbackHost(hostnameOf(host))) {
    return Errors.hostRejected(host);
  }
  const origin = req.headers.origin;
  if (checkOrigin && origin !== undefined) {
    let originHost = '';
    try {
      originHost = new URL(origin).host;
    } catch {
      // 'null' and garbage are never same-origin.
    }
    if (originHost.toLowerCase() !== host.toLowerCase()) {
      return Errors.originRejected(origin);
    }
  }
  return null;
}

/** `host:port` or `[v6]:port` -> host. */
function hostnameOf(hostHeader: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  return m ? m[1] : hostHeader.replace(/:\d+$/, '');
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
