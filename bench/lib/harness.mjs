/**
 * The browser-test harness (`ui-tests/harness.ts`), loaded as is: Node 20 cannot import
 * TypeScript, so the file is transpiled in memory with the repository's `typescript` and compiled
 * as a CommonJS module at its own path (its `__dirname` and `require` stay those of ui-tests/).
 *
 * `startServer` in the harness always serves the UI tests' small dataset (`UI_DATA_DIR`); the
 * benchmarks need their own sizes, so `startBenchServer` points that export at a benchmark data
 * directory for the duration of the call (the transpiled module reads it as `exports.UI_DATA_DIR`).
 */
import * as fs from 'node:fs';
import { createRequire, Module } from 'node:module';
import * as path from 'node:path';
import { ROOT } from './util.mjs';

const require = createRequire(import.meta.url);
const HARNESS = path.join(ROOT, 'ui-tests', 'harness.ts');

function loadHarness() {
  const ts = require('typescript');
  const source = fs.readFileSync(HARNESS, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: HARNESS,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true
    }
  });
  const mod = new Module(HARNESS);
  mod.filename = HARNESS;
  mod.paths = Module._nodeModulePaths(path.dirname(HARNESS));
  mod._compile(outputText, HARNESS);
  return mod.exports;
}

/** The harness's exports (`launchBrowser`, `openPage`, `openNotebook`, `waitForKernelIdle`, ...). */
export const harness = loadHarness();

/**
 * Starts `opsbook serve` through the harness on `dataDir`, with notebooks from `notebookDir`.
 * Resolves with the harness's `ServerHandle`.
 */
export async function startBenchServer(dataDir, notebookDir) {
  const saved = harness.UI_DATA_DIR;
  harness.UI_DATA_DIR = dataDir;
  try {
    return await harness.startServer({ notebookDir });
  } finally {
    harness.UI_DATA_DIR = saved;
  }
}
