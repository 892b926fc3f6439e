/**
 * The contents model on disk: Jupyter's `/api/contents` semantics over a directory tree. Paths
 * are arrays of validated segments (see `paths.ts`); every operation re-resolves them against
 * the real root before touching the disk, and writes go through `atomicWrite`.
 *
 * Model shape (jupyter_server's): `{name, path, type, format, mimetype, content, created,
 * last_modified, writable, size, hash, hash_algorithm}`; `content` is null unless asked for.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import * as path from 'node:path';

import { Errors, OpsbookError } from '../errors';
import { isObject } from '../http/router';
import { mimeTypeOf } from '../http/mime';
import { atomicWrite, FsLayer, nodeFsLayer } from './atomic';
import { encodeBody, encodeFile } from './encoding';
import { copyName, uniqueName } from './names';
import { emptyNotebook, parseNotebook, serializeNotebook } from './notebook';
import { exists, isInside, resolveForRead, resolveForWrite } from './paths';

/** A Jupyter contents model. */
export interface ContentsModel {
  name: string;
  path: string;
  type: 'notebook' | 'file' | 'directory';
  format: 'json' | 'text' | 'base64' | null;
  mimetype: string | null;
  content: unknown;
  created: string;
  last_modified: string;
  writable: boolean;
  size: number | null;
  hash: string | null;
  hash_algorithm: string | null;
}

/** What a GET asks for (`content`, `hash`, and the optional `type`/`format` overrides). */
export interface GetOptions {
  content: boolean;
  hash: boolean;
  type?: string;
  format?: string;
}

/** Options of `ContentsStore`. */
export interface ContentsStoreOptions {
  /** Real path of the notebook root. */
  root: string;
  /** State directory, never exposed through the contents API. */
  stateDir: string;
  /** Largest file returned inline. */
  maxReadBytes: number;
  /** How long deleted items stay in the trash before a later delete purges them. */
  trashRetentionMs: number;
  fs?: FsLayer;
}

/** Contents operations on one notebook root. */
export class ContentsStore {
  readonly root: string;
  readonly stateDir: string;
  readonly fs: FsLayer;
  private readonly maxReadBytes: number;
  private readonly trashRetentionMs: number;

  constructor(options: ContentsStoreOptions) {
    this.root = options.root;
    this.stateDir = options.stateDir;
    this.maxReadBytes = options.maxReadBytes;
    this.trashRetentionMs = options.trashRetentionMs;
    this.fs = options.fs ?? nodeFsLayer;
  }

  /** Real path of an existing item; hidden items and the state dir read as missing. */
  async resolveExisting(segments: string[]): Promise<string> {
    const shown = segments.join('/');
    this.refuseHidden(segments);
    const real = await resolveForRead(this.root, segments, shown);
    if (isInside(this.stateDir, real)) {
      throw new OpsbookError(Errors.contentNotFound(shown));
    }
    return real;
  }

  /**
   * The directory entry itself (real parent + name), after checking it resolves inside the root:
   * renaming or deleting a symlink must act on the link, not on what it points to.
   */
  async resolveEntry(segments: string[]): Promise<string> {
    if (segments.length === 0) {
      throw new OpsbookError(Errors.badModel('', 'the root itself cannot be renamed or deleted'));
    }
    await this.resolveExisting(segments);
    const parent = await this.resolveExisting(segments.slice(0, -1));
    return path.join(parent, segments[segments.length - 1]);
  }

  /** Path to write for `segments` (the parent must exist). */
  async resolveTarget(segments: string[]): Promise<string> {
    const shown = segments.join('/');
    this.refuseHidden(segments);
    const target = await resolveForWrite(this.root, segments, shown);
    if (isInside(this.stateDir, target)) {
      throw new OpsbookError(Errors.contentNotFound(shown));
    }
    return target;
  }

  /** GET: the model of a file, notebook or directory. */
  async get(segments: string[], options: GetOptions): Promise<ContentsModel> {
    const real = await this.resolveExisting(segments);
    const stat = await fs.stat(real);
    const apiPath = segments.join('/');
    if (stat.isDirectory()) {
      if (options.type && options.type !== 'directory') {
        throw new OpsbookError(
          Errors.badModel(apiPath, `it is a directory, not a ${options.type}`)
        );
      }
      const model = await this.baseModel(real, apiPath, stat, 'directory');
      if (options.content) {
        model.format = 'json';
        model.content = await this.listDirectory(real, segments);
      }
      return model;
    }
    if (options.type === 'directory') {
      throw new OpsbookError(Errors.notADirectory(apiPath));
    }
    const type =
      options.type === 'notebook' || (!options.type && apiPath.endsWith('.ipynb'))
        ? 'notebook'
        : 'file';
    const model = await this.baseModel(real, apiPath, stat, type);
    if (!options.content && !options.hash) {
      return model;
    }
    if (stat.size > this.maxReadBytes) {
      throw new OpsbookError(Errors.fileTooLarge(apiPath, stat.size, this.maxReadBytes));
    }
    const bytes = await fs.readFile(real);
    if (options.hash) {
      model.hash = sha256(bytes);
      model.hash_algorithm = 'sha256';
    }
    if (options.content) {
      if (type === 'notebook') {
        model.format = 'json';
        model.content = parseNotebook(apiPath, bytes.toString('utf8'));
      } else {
        const { format, content } = encodeFile(apiPath, bytes, options.format);
        model.format = format;
        model.content = content;
        model.mimetype =
          model.mimetype ?? (format === 'text' ? 'text/plain' : 'application/octet-stream');
      }
    }
    return model;
  }

  /**
   * PUT: saves a model. Returns the new model (no content, with hash) and whether the file was
   * created. `chunk` (1, 2, ..., -1 for the last) is the frontend's chunked upload of big files:
   * chunks go to a hidden staging file beside the target, renamed into place at the end.
   */
  async save(
    segments: string[],
    body: unknown
  ): Promise<{ model: ContentsModel; created: boolean }> {
    const apiPath = segments.join('/');
    if (!isObject(body)) {
      throw new OpsbookError(Errors.badModel(apiPath, 'the body must be a JSON object'));
    }
    const type = body.type;
    const target = await this.resolveTarget(segments);
    const existed = await exists(target);
    if (type === 'directory') {
      if (existed && !(await fs.stat(target)).isDirectory()) {
        throw new OpsbookError(Errors.alreadyExists(apiPath));
      }
      await fs.mkdir(target, { recursive: true });
      return {
        model: await this.get(segments, { content: false, hash: false }),
        created: !existed
      };
    }
    if (type !== 'notebook' && type !== 'file') {
      throw new OpsbookError(
        Errors.badModel(apiPath, "'type' must be 'notebook', 'file' or 'directory'")
      );
    }
    const bytes = encodeBody(apiPath, type, body);
    const chunk = body.chunk;
    if (typeof chunk === 'number') {
      const staging = await this.writeChunk(target, apiPath, chunk, bytes);
      if (staging) {
        // Upload in progress: describe what has arrived so far under the final name.
        const model = await this.baseModel(staging, apiPath, await fs.stat(staging), type);
        return { model, created: !existed };
      }
    } else {
      await atomicWrite(this.fs, target, bytes);
    }
    const model = await this.get(segments, { content: false, hash: false, type });
    model.hash = sha256(chunk === undefined ? bytes : await fs.readFile(target));
    model.hash_algorithm = 'sha256';
    return { model, created: !existed };
  }

  /** POST `{type, ext}`: a new untitled notebook, file or directory in `dir`. */
  async newUntitled(dir: string[], body: Record<string, unknown>): Promise<ContentsModel> {
    const dirReal = await this.requireDirectory(dir);
    const ext = typeof body.ext === 'string' ? body.ext : '';
    const type =
      body.type === 'directory' || body.type === 'notebook' || body.type === 'file'
        ? body.type
        : ext === '.ipynb'
          ? 'notebook'
          : 'file';
    if (type === 'directory') {
      const name = await uniqueName(dirReal, 'Untitled Folder', '', ' ');
      await fs.mkdir(path.join(dirReal, name));
      return this.get([...dir, name], { content: false, hash: false });
    }
    const suffix = type === 'notebook' ? '.ipynb' : ext;
    const name = await uniqueName(
      dirReal,
      type === 'notebook' ? 'Untitled' : 'untitled',
      suffix,
      ''
    );
    const bytes =
      type === 'notebook' ? Buffer.from(serializeNotebook(emptyNotebook())) : Buffer.alloc(0);
    await atomicWrite(this.fs, path.join(dirReal, name), bytes);
    return this.get([...dir, name], { content: false, hash: false });
  }

  /** POST `{copy_from}`: copies a file into `dir`, naming it `name-Copy1.ext` when taken. */
  async copy(from: string[], dir: string[]): Promise<ContentsModel> {
    const fromReal = await this.resolveExisting(from);
    if ((await fs.stat(fromReal)).isDirectory()) {
      throw new OpsbookError(Errors.cannotCopyDirectory(from.join('/')));
    }
    const dirReal = await this.requireDirectory(dir);
    const name = await copyName(dirReal, from[from.length - 1]);
    await atomicWrite(this.fs, path.join(dirReal, name), await fs.readFile(fromReal));
    return this.get([...dir, name], { content: false, hash: false });
  }

  /** PATCH `{path}`: renames or moves; the target must not exist. */
  async rename(from: string[], to: string[]): Promise<ContentsModel> {
    const fromEntry = await this.resolveEntry(from);
    if (from.join('/') === to.join('/')) {
      return this.get(to, { content: false, hash: false });
    }
    const toTarget = await this.resolveTarget(to);
    if (await exists(toTarget)) {
      throw new OpsbookError(Errors.alreadyExists(to.join('/')));
    }
    await fs.rename(fromEntry, toTarget);
    await this.fs.fsyncDir(path.dirname(toTarget));
    return this.get(to, { content: false, hash: false });
  }

  /**
   * DELETE: moves the item into the state dir's trash (so a wrong click is recoverable by hand),
   * purging trash older than the retention. Links are removed, never their targets.
   */
  async remove(segments: string[]): Promise<void> {
    const entry = await this.resolveEntry(segments);
    if ((await fs.lstat(entry)).isSymbolicLink()) {
      await fs.unlink(entry);
      return;
    }
    const trash = path.join(this.stateDir, 'trash');
    await fs.mkdir(trash, { recursive: true });
    await this.purgeTrash(trash);
    const dest = path.join(
      trash,
      `${Date.now()}-${randomBytes(4).toString('hex')}-${path.basename(entry)}`
    );
    try {
      await fs.rename(entry, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') {
        throw err;
      }
      // The state dir is on another filesystem: a move would be a slow copy, so delete outright.
      await fs.rm(entry, { recursive: true, force: true });
    }
    await this.fs.fsyncDir(path.dirname(entry));
  }

  private async purgeTrash(trash: string): Promise<void> {
    const cutoff = Date.now() - this.trashRetentionMs;
    for (const name of await fs.readdir(trash)) {
      const stamp = Number(name.split('-')[0]);
      if (Number.isFinite(stamp) && stamp < cutoff) {
        await fs.rm(path.join(trash, name), { recursive: true, force: true });
      }
    }
  }

  /** Real path of an existing directory, or a 404/400. */
  async requireDirectory(segments: string[]): Promise<string> {
    const real = await this.resolveExisting(segments);
    if (!(await fs.stat(real)).isDirectory()) {
      throw new OpsbookError(Errors.notADirectory(segments.join('/')));
    }
    return real;
  }

  private refuseHidden(segments: string[]): void {
    if (segments.some(s => s.startsWith('.'))) {
      throw new OpsbookError(Errors.contentNotFound(segments.join('/')));
    }
  }

  private async listDirectory(real: string, segments: string[]): Promise<ContentsModel[]> {
    const entries = await fs.readdir(real);
    const models = await Promise.all(
      entries
        .filter(name => !name.startsWith('.'))
        .map(async name => {
          const child = [...segments, name];
          try {
            const childReal = await this.resolveExisting(child);
            const stat = await fs.stat(childReal);
            const type = stat.isDirectory()
              ? 'directory'
              : name.endsWith('.ipynb')
                ? 'notebook'
                : 'file';
            return await this.baseModel(childReal, child.join('/'), stat, type);
          } catch {
            // Links leaving the root, dangling links and the state dir are simply not listed.
            return null;
          }
        })
    );
    return models.filter((m): m is ContentsModel => m !== null);
  }

  private async baseModel(
    real: string,
    apiPath: string,
    stat: Stats,
    type: ContentsModel['type']
  ): Promise<ContentsModel> {
    const mime = type === 'file' ? (mimeTypeOf(apiPath)?.split(';')[0] ?? null) : null;
    return {
      name: apiPath === '' ? '' : path.posix.basename(apiPath),
      path: apiPath,
      type,
      format: null,
      mimetype: mime,
      content: null,
      created: (stat.birthtimeMs > 0 ? stat.birthtime : stat.ctime).toISOString(),
      last_modified: stat.mtime.toISOString(),
      writable: await fs.access(real, fs.constants.W_OK).then(
        () => true,
        () => false
      ),
      size: type === 'directory' ? null : stat.size,
      hash: null,
      hash_algorithm: null
    };
  }

  /**
   * Appends an upload chunk to a hidden staging file beside the target. Returns the staging path
   * while the upload goes on, and null once the last chunk was renamed into place.
   */
  private async writeChunk(
    target: string,
    apiPath: string,
    chunk: number,
    bytes: Buffer
  ): Promise<string | null> {
    const staging = path.join(path.dirname(target), `.${path.basename(target)}.opsbook-upload`);
    if (chunk === 1) {
      await fs.writeFile(staging, bytes);
    } else {
      if (!(await exists(staging))) {
        throw new OpsbookError(Errors.chunkOutOfOrder(apiPath, chunk));
      }
      await fs.appendFile(staging, bytes);
    }
    if (chunk !== -1) {
      return staging;
    }
    const handle = await fs.open(staging, 'r+');
    await handle.sync().finally(() => handle.close());
    await this.fs.rename(staging, target);
    await this.fs.fsyncDir(path.dirname(target));
    return null;
  }
}

/** Hex SHA-256, the hash Jupyter clients compare to detect changes on disk. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
