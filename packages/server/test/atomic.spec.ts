import * as fs from 'node:fs';
import * as path from 'node:path';

import { atomicWrite, FsLayer, nodeFsLayer } from '../src/contents/atomic';
import { ContentsStore } from '../src/contents/store';
import { notebook, startServer, tempDir } from './helpers';

/** A filesystem whose temp-file write dies halfway through, like a full disk. */
function failingHalfway(): FsLayer & { tempFiles: string[] } {
  const tempFiles: string[] = [];
  return {
    ...nodeFsLayer,
    tempFiles,
    async writeNew(file, data, mode) {
      tempFiles.push(file);
      await fs.promises.writeFile(file, data.subarray(0, Math.floor(data.length / 2)), { mode });
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
  };
}

describe('atomic writes', () => {
  it('replaces the file content and leaves no temp file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'old');
    await atomicWrite(nodeFsLayer, file, Buffer.from('new'));
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readdirSync(dir)).toEqual(['a.txt']);
  });

  it('keeps the existing file mode', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'run.sh');
    fs.writeFileSync(file, 'echo', { mode: 0o750 });
    fs.chmodSync(file, 0o750);
    await atomicWrite(nodeFsLayer, file, Buffer.from('echo 2'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o750);
  });

  it('leaves the old file intact when the write fails midway', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'n.ipynb');
    fs.writeFileSync(file, 'OLD CONTENT');
    const layer = failingHalfway();
    await expect(
      atomicWrite(layer, file, Buffer.from('NEW CONTENT THAT IS LONGER'))
    ).rejects.toThrow(/ENOSPC/);
    expect(fs.readFileSync(file, 'utf8')).toBe('OLD CONTENT');
    expect(layer.tempFiles).toHaveLength(1);
    expect(fs.existsSync(layer.tempFiles[0])).toBe(false);
    expect(fs.readdirSync(dir)).toEqual(['n.ipynb']);
  });

  it('leaves the old notebook intact when a save through the store fails midway', async () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, '.opsbook'));
    const store = new ContentsStore({
      root,
      stateDir: path.join(root, '.opsbook'),
      maxReadBytes: 1e6,
      trashRetentionMs: 1e9,
      fs: failingHalfway()
    });
    const original = JSON.stringify(notebook('old'));
    fs.writeFileSync(path.join(root, 'n.ipynb'), original);
    await expect(
      store.save(['n.ipynb'], { type: 'notebook', content: notebook('new') })
    ).rejects.toThrow(/ENOSPC/);
    expect(fs.readFileSync(path.join(root, 'n.ipynb'), 'utf8')).toBe(original);
  });

  it('answers a failed save over HTTP with 500 and keeps the old file', async () => {
    const t = await startServer({}, { fs: failingHalfway() });
    try {
      fs.writeFileSync(path.join(t.notebookDir, 'a.txt'), 'OLD');
      const res = await t.request('PUT', '/api/contents/a.txt', {
        body: { type: 'file', format: 'text', content: 'NEW!' }
      });
      expect(res.status).toBe(500);
      expect(res.json().message).toMatch(/Internal server error/);
      expect(fs.readFileSync(path.join(t.notebookDir, 'a.txt'), 'utf8')).toBe('OLD');
      expect(fs.readdirSync(t.notebookDir).filter(n => n.includes('opsbook-tmp'))).toEqual([]);
      expect(t.logs.some(l => l.level === 'error' && l.line.includes('ENOSPC'))).toBe(true);
    } finally {
      await t.close();
    }
  });
});
