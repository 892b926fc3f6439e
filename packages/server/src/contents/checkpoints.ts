/**
 * Checkpoints, jupyter_server style: one checkpoint per file, id `checkpoint`, stored as a copy at
 * `<stateDir>/checkpoints/<path>` (a mirror of the notebook tree, so renaming a directory moves
 * its checkpoints with one rename). Writes are atomic like every other contents write.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { Errors, OpsbookError } from '../errors';
import { atomicWrite } from './atomic';
import type { ContentsStore } from './store';

/** A checkpoint as the contents API lists it. */
export interface Checkpoint {
  id: string;
  last_modified: string;
}

/** The only checkpoint id, as in jupyter_server's file checkpoints. */
export const CHECKPOINT_ID = 'checkpoint';

/** Checkpoints of the files in one contents store. */
export class Checkpoints {
  private readonly dir: string;

  constructor(private readonly store: ContentsStore) {
    this.dir = path.join(store.stateDir, 'checkpoints');
  }

  /** `[{id, last_modified}]`, or `[]` when the file has no checkpoint. */
  async list(segments: string[]): Promise<Checkpoint[]> {
    await this.store.resolveExisting(segments);
    const stat = await fs.stat(this.fileFor(segments)).catch(() => null);
    return stat && stat.isFile()
      ? [{ id: CHECKPOINT_ID, last_modified: stat.mtime.toISOString() }]
      : [];
  }

  /** Copies the current file into its checkpoint. */
  async create(segments: string[]): Promise<Checkpoint> {
    const real = await this.store.resolveExisting(segments);
    if ((await fs.stat(real)).isDirectory()) {
      throw new OpsbookError(
        Errors.badModel(segments.join('/'), 'directories have no checkpoints')
      );
    }
    const file = this.fileFor(segments);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await atomicWrite(this.store.fs, file, await fs.readFile(real));
    const stat = await fs.stat(file);
    return { id: CHECKPOINT_ID, last_modified: stat.mtime.toISOString() };
  }

  /** Writes the checkpoint back over the file. */
  async restore(segments: string[], id: string): Promise<void> {
    const bytes = await this.read(segments, id);
    await atomicWrite(this.store.fs, await this.store.resolveTarget(segments), bytes);
  }

  /** Deletes a checkpoint. */
  async remove(segments: string[], id: string): Promise<void> {
    await this.read(segments, id);
    await fs.unlink(this.fileFor(segments));
  }

  /** Follows a rename of a file or directory. */
  async move(from: string[], to: string[]): Promise<void> {
    const source = this.fileFor(from);
    if (
      !(await fs.lstat(source).then(
        () => true,
        () => false
      ))
    ) {
      return;
    }
    const dest = this.fileFor(to);
    await fs.rm(dest, { recursive: true, force: true });
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rename(source, dest);
  }

  /** Forgets the checkpoints of a deleted file or directory. */
  async drop(segments: string[]): Promise<void> {
    if (segments.length === 0) {
      return;
    }
    await fs.rm(this.fileFor(segments), { recursive: true, force: true });
  }

  private async read(segments: string[], id: string): Promise<Buffer> {
    await this.store.resolveExisting(segments);
    if (id !== CHECKPOINT_ID) {
      throw new OpsbookError(Errors.checkpointNotFound(segments.join('/'), id));
    }
    try {
      return await fs.readFile(this.fileFor(segments));
    } catch {
      throw new OpsbookError(Errors.checkpointNotFound(segments.join('/'), id));
    }
  }

  /** Segments are validated (no `..`), so the mirror path cannot leave the checkpoints dir. */
  private fileFor(segments: string[]): string {
    return path.join(this.dir, ...segments);
  }
}
