/**
 * Atomic file replacement. The new bytes go to a hidden temp file in the target's own directory
 * (same filesystem, so the final rename is atomic), which is fsynced before the rename and the
 * directory fsynced after it: a crash or failed write leaves either the old file or the new one,
 * never a truncated mix. The filesystem calls go through `FsLayer` so tests can make them fail.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** The filesystem operations atomic writes use; inject a failing one to test failure paths. */
export interface FsLayer {
  /** Creates `file` exclusively (never following an existing link), writes, fsyncs and closes it. */
  writeNew(file: string, data: Uint8Array, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Flushes a directory entry change (the rename) to disk. */
  fsyncDir(dir: string): Promise<void>;
  unlink(file: string): Promise<void>;
}

/** The real filesystem. */
export const nodeFsLayer: FsLayer = {
  async writeNew(file, data, mode) {
    const handle = await fs.open(file, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fs.rename(from, to),
  async fsyncDir(dir) {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(dir, 'r');
      await handle.sync();
    } catch {
      // Some filesystems (and Windows) cannot fsync a directory; the rename is still atomic.
    } finally {
      await handle?.close();
    }
  },
  unlink: file => fs.unlink(file)
};

/** Name of the temp file for `target`: hidden, so a leftover is never listed. */
export function tempNameFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.opsbook-tmp-${randomBytes(6).toString('hex')}`
  );
}

/** Replaces `target` with `data` atomically, keeping an existing file's permissions. */
export async function atomicWrite(layer: FsLayer, target: string, data: Uint8Array): Promise<void> {
  let mode = 0o666;
  try {
    mode = (await fs.stat(target)).mode & 0o7777;
  } catch {
    // New file: the umask applies to the default mode.
  }
  const temp = tempNameFor(target);
  try {
    await layer.writeNew(temp, data, mode);
    await layer.rename(temp, target);
  } catch (err) {
    await layer.unlink(temp).catch(() => undefined);
    throw err;
  }
  await layer.fsyncDir(path.dirname(target));
}
