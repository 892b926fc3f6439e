/**
 * New names, the way jupyter_server picks them: `Untitled.ipynb`, `Untitled1.ipynb`, ...;
 * `Untitled Folder`, `Untitled Folder 1`; copies as `name-Copy1.ext`.
 */
import * as path from 'node:path';

import { exists } from './paths';

/** Splits a name the way jupyter_server does: `.ipynb` last, otherwise at the first dot. */
function splitName(name: string): { base: string; suffix: string } {
  if (name.endsWith('.ipynb')) {
    return { base: name.slice(0, -'.ipynb'.length), suffix: '.ipynb' };
  }
  const dot = name.indexOf('.');
  return dot <= 0
    ? { base: name, suffix: '' }
    : { base: name.slice(0, dot), suffix: name.slice(dot) };
}

/** First free name among `base+suffix`, `base+insert+1+suffix`, ... (jupyter_server's order). */
export async function uniqueName(
  dir: string,
  base: string,
  suffix: string,
  insert: string
): Promise<string> {
  for (let i = 0; ; i++) {
    const name = `${base}${i === 0 ? '' : insert + i}${suffix}`;
    if (!(await exists(path.join(dir, name)))) {
      return name;
    }
  }
}

/** Name for a copy of `name` in `dir`: `a.ipynb` -> `a-Copy1.ipynb` (copies of copies too). */
export async function copyName(dir: string, name: string): Promise<string> {
  const { base, suffix } = splitName(name.replace(/-Copy\d*\./, '.'));
  return uniqueName(dir, base, suffix, '-Copy');
}
