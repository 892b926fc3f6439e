/**
 * Safe path resolution for everything served from a directory (notebooks, files, themes, static
 * files). A request path is refused - as a plain 404, with a warning in the log - when any
 * segment decodes to `.`, `..` or an empty name, contains `/`, `\` or NUL (so `%2f`, `%5c` and
 * `%00` cannot smuggle separators), looks like a Windows drive (`C:`), or when the real path
 * (after following symlinks) leaves the root. Checks run before every read and write.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { Errors, OpsbookError, PathRefusedError } from '../errors';

/** Why one decoded segment is unsafe, or null when it is a plain name. */
export function unsafeSegment(segment: string): string | null {
  if (segment === '') {
    return 'empty segment (absolute path or //)';
  }
  if (segment === '.' || segment === '..') {
    return `'${segment}' segment`;
  }
  if (/[/\\\0]/.test(segment)) {
    return 'separator or NUL inside a segment';
  }
  if (/^[A-Za-z]:/.test(segment)) {
    return 'Windows drive path';
  }
  return null;
}

/**
 * Decodes a raw URL path tail (`a/b%20c.ipynb`) into validated segments. An empty tail or a single
 * trailing slash means the root. Throws `PathRefusedError` for anything unsafe.
 */
export function decodeRawPath(raw: string): string[] {
  const trimmed = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  if (trimmed === '') {
    return [];
  }
  return trimmed.split('/').map(part => {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      throw new PathRefusedError(raw, 'malformed percent-encoding');
    }
    const problem = unsafeSegment(segment);
    if (problem) {
      throw new PathRefusedError(raw, problem);
    }
    return segment;
  });
}

/**
 * Validates an already-decoded API path from a JSON body (`copy_from`, a rename target). Leading
 * and trailing slashes are dropped, as jupyter_server does: the result is root-relative either way.
 */
export function parseApiPath(apiPath: string): string[] {
  const trimmed = apiPath.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') {
    return [];
  }
  return trimmed.split('/').map(segment => {
    const problem = unsafeSegment(segment);
    if (problem) {
      throw new PathRefusedError(apiPath, problem);
    }
    return segment;
  });
}

/** Whether `candidate` is `root` or inside it (both already real paths). */
export function isInside(root: string, candidate: string): boolean {
  return (
    candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep)
  );
}

/** Resolves segments under `root` for reading: the real path, which must stay inside `root`. */
export async function resolveForRead(
  root: string,
  segments: string[],
  shown: string
): Promise<string> {
  const joined = path.join(root, ...segments);
  let real: string;
  try {
    real = await fs.realpath(joined);
  } catch {
    throw new OpsbookError(Errors.contentNotFound(shown));
  }
  if (!isInside(root, real)) {
    throw new PathRefusedError(shown, `resolves outside the root to ${real}`);
  }
  return real;
}

/**
 * Resolves segments under `root` for writing. The parent directory must exist and be inside the
 * root; an existing target (a symlink included, even a dangling one) must resolve inside it too.
 * Returns the path to write: the symlink's target when the name is a link, as Jupyter does.
 */
export async function resolveForWrite(
  root: string,
  segments: string[],
  shown: string
): Promise<string> {
  if (segments.length === 0) {
    throw new PathRefusedError(shown, 'cannot write the root itself');
  }
  const joined = path.join(root, ...segments);
  let exists = true;
  try {
    await fs.lstat(joined);
  } catch {
    exists = false;
  }
  if (exists) {
    let real: string;
    try {
      real = await fs.realpath(joined);
    } catch {
      throw new PathRefusedError(shown, 'dangling symlink');
    }
    if (!isInside(root, real)) {
      throw new PathRefusedError(shown, `resolves outside the root to ${real}`);
    }
    return real;
  }
  const parent = await resolveForRead(root, segments.slice(0, -1), shown);
  return path.join(parent, segments[segments.length - 1]);
}

/**
 * Resolves a regular file under a directory that may itself be reached through a symlink (the app
 * dir often is): a 404 unless it is a file inside the directory's real path.
 */
export async function resolveFileUnder(dir: string, segments: string[]): Promise<string> {
  const shown = segments.join('/');
  let root: string;
  try {
    root = await fs.realpath(dir);
  } catch {
    throw new OpsbookError(Errors.contentNotFound(shown));
  }
  const file = await resolveForRead(root, segments, shown);
  const isFile = await fs.stat(file).then(
    s => s.isFile(),
    () => false
  );
  if (!isFile) {
    throw new OpsbookError(Errors.contentNotFound(shown));
  }
  return file;
}

/** Whether anything (even a dangling link) has this name. */
export async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false
  );
}
