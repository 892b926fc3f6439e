/**
 * Users and their identities. A users file lets several people share one server with distinct
 * names and colours (what collaborators see) and their own tokens:
 *
 *   {"users": [{"username": "ana", "display_name": "Ana Silva", "color": "#1f77b4", "token": "...",
 *               "role": "editor"}]}
 *
 * `role` is 'viewer', 'editor' (default) or 'owner'; viewers cannot change documents.
 *
 * Without a file there is one user named after the OS account.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';

import { Errors, OpsbookError } from './errors';

/** A user of this server. */
export interface User {
  username: string;
  display_name: string;
  color: string;
  /** Own token from the users file; null when the user logs in with the server's token. */
  token: string | null;
  /** What the user may do: viewers can open and follow documents but not change them. */
  role: Role;
}

/** User roles, from the users file (`role`, default 'editor'). */
export const ROLES = ['viewer', 'editor', 'owner'] as const;

/** One of `ROLES`. */
export type Role = (typeof ROLES)[number];

/**
 * What each role may do, per resource, as `/api/me?permissions=` answers it (Jupyter's
 * permissions protocol: the client asks for actions, the server returns those allowed). The
 * server enforces the same rules on every route; this only lets clients hide what would fail.
 * `opsbook` actions: `read` (catalog, runs, audit), `run` (record runs), `ingest` (uploads,
 * pulls), `replay`, `restore` (cell versions), `import` (investigation bundles).
 */
export const ROLE_PERMISSIONS: Record<Role, Record<string, readonly string[]>> = {
  viewer: { contents: ['read'], opsbook: ['read'] },
  editor: {
    contents: ['read', 'write'],
    opsbook: ['read', 'run', 'ingest', 'replay', 'restore', 'import']
  },
  owner: {
    contents: ['read', 'write'],
    opsbook: ['read', 'run', 'ingest', 'replay', 'restore', 'import']
  }
};

/** The actions of `asked` that `user` may do, per resource (unknown resources: none). */
export function permissionsOf(
  user: User,
  asked: Record<string, readonly unknown[]>
): Record<string, string[]> {
  const allowed = ROLE_PERMISSIONS[user.role];
  const out: Record<string, string[]> = {};
  for (const [resource, actions] of Object.entries(asked)) {
    const may = allowed[resource] ?? [];
    out[resource] = actions.filter((a): a is string => typeof a === 'string' && may.includes(a));
  }
  return out;
}

/** Whether `user` may change documents (contents writes and collaborative edits). */
export function canWrite(user: User): boolean {
  return user.role !== 'viewer';
}

/**
 * Throws 403 unless `user` may change documents. Every route that writes a notebook or file (the
 * contents API, checkpoints, collaboration history, conflicts, ingests) calls it: the role is
 * enforced on the server, whatever the client shows.
 */
export function requireWrite(user: User): void {
  if (!canWrite(user)) {
    throw new OpsbookError(Errors.collabReadOnly(user.username));
  }
}

/** The identity shape `/api/me` returns and collaborators see (Jupyter's `IIdentity`). */
export interface Identity {
  username: string;
  name: string;
  display_name: string;
  initials: string;
  avatar_url: string | null;
  color: string;
}

/** Colours for users the file gives none (d3's category10, readable on light and dark themes). */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

/** The single user when there is no users file: the OS account. */
export function defaultUser(): User {
  let username = 'user';
  try {
    username = os.userInfo().username || username;
  } catch {
    // Some containers have no passwd entry for the uid; keep the generic name.
  }
  return { username, display_name: username, color: PALETTE[0], token: null, role: 'owner' };
}

/** Builds the identity for `/api/me`. */
export function identityOf(user: User): Identity {
  return {
    username: user.username,
    name: user.display_name,
    display_name: user.display_name,
    initials: initialsOf(user.display_name),
    avatar_url: null,
    color: user.color
  };
}

/** "Ana Silva" -> "AS", "ana" -> "A". */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return '?';
  }
  const first = words[0][0];
  const last = words.length > 1 ? words[words.length - 1][0] : '';
  return (first + last).toUpperCase();
}

/** Reads and validates a users file; every problem is reported with the file and the entry. */
export async function loadUsersFile(file: string, minTokenLength: number): Promise<User[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new OpsbookError(Errors.usersFileUnreadable(file, (err as Error).message));
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new OpsbookError(Errors.usersFileInvalid(file, (err as Error).message));
  }
  const list = (data as { users?: unknown } | null)?.users;
  if (!Array.isArray(list) || list.length === 0) {
    throw new OpsbookError(Errors.usersFileInvalid(file, "'users' must be a non-empty array"));
  }
  const seenNames = new Set<string>();
  const seenTokens = new Set<string>();
  return list.map((entry: unknown, i: number): User => {
    const where = `users[${i}]`;
    const fail = (detail: string): never => {
      throw new OpsbookError(Errors.usersFileInvalid(file, `${where}: ${detail}`));
    };
    if (typeof entry !== 'object' || entry === null) {
      return fail('must be an object');
    }
    const u = entry as Record<string, unknown>;
    if (typeof u.username !== 'string' || !/^[A-Za-z0-9_.@-]{1,64}$/.test(u.username)) {
      return fail("'username' must be 1-64 letters, digits, '_', '.', '@' or '-'");
    }
    if (seenNames.has(u.username)) {
      return fail(`duplicate username '${u.username}'`);
    }
    seenNames.add(u.username);
    for (const key of ['display_name', 'color', 'token'] as const) {
      if (u[key] !== undefined && typeof u[key] !== 'string') {
        return fail(`'${key}' must be a string`);
      }
    }
    if (u.role !== undefined && !ROLES.includes(u.role as Role)) {
      return fail(`'role' must be one of ${ROLES.join(', ')}`);
    }
    const token = (u.token as string | undefined) ?? null;
    if (token !== null) {
      if (token.length < minTokenLength) {
        return fail(`'token' is shorter than ${minTokenLength} characters`);
      }
      if (seenTokens.has(token)) {
        return fail('two users share the same token');
      }
      seenTokens.add(token);
    }
    return {
      username: u.username,
      display_name: (u.display_name as string | undefined) || u.username,
      color: (u.color as string | undefined) || PALETTE[i % PALETTE.length],
      token,
      role: (u.role as Role | undefined) ?? 'editor'
    };
  });
}
