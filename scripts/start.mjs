#!/usr/bin/env node
/**
 * `npm start`: installs, builds, generates the example telemetry (once) and serves the example
 * notebooks. Extra arguments go to `opsbook serve`, e.g. `npm start -- --port 9000`.
 */
import { ensureBuilt, ensureExampleData, ensureInstalled, run } from './lib.mjs';

ensureInstalled();
ensureBuilt();
const data = ensureExampleData();
run('node', [
  'packages/server/bin/opsbook.js',
  'serve',
  '--notebooks',
  'examples',
  '--data',
  data,
  ...process.argv.slice(2)
]);
