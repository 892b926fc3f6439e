/**
 * Where the compiled script of a worker thread is. Worker threads run JavaScript, so a module
 * running from `src/` (tests under ts-jest) starts the compiled worker from the package's `lib/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * `<name>.js` beside the calling module (`moduleDir`, its `__dirname`) when that is compiled,
 * else the same file under `lib/`, in the directory of the same name.
 */
export function workerFile(moduleDir: string, name: string): string {
  const here = path.join(moduleDir, `${name}.js`);
  return fs.existsSync(here)
    ? here
    : path.resolve(moduleDir, '..', '..', 'lib', path.basename(moduleDir), `${name}.js`);
}
