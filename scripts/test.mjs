#!/usr/bin/env node
/**
 * `npm test`: the whole suite from a fresh clone. Installs dependencies and the Debian packages the
 * tests run (Chromium, Prometheus, Alertmanager) if needed, type-checks and builds, lints, runs the
 * unit tests (jest) and the browser tests (Chromium), and ends with one summary line
 * "N passed, N failed".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt, ensureDebianPackages, ensureInstalled, ROOT, run } from './lib.mjs';

const results = path.join(ROOT, 'build', 'test-results');
let failure = null;
const step = (name, fn) => {
  if (failure) return;
  try {
    fn();
  } catch (error) {
    failure = `${name}: ${error.message}`;
  }
};

step('install', ensureInstalled);
step('debian packages', () =>
  ensureDebianPackages(['chromium', 'prometheus', 'prometheus-alertmanager'])
);
step('build', () => ensureBuilt());
step('lint', () => run('npm', ['run', 'lint', '--silent']));
fs.mkdirSync(results, { recursive: true });
step('unit tests', () =>
  run('npx', ['jest', '--ci', '--json', `--outputFile=${path.join(results, 'unit.json')}`])
);
step('browser tests', () =>
  run('npx', [
    'jest',
    '--ci',
    '-c',
    'ui-tests/jest.config.js',
    '--json',
    `--outputFile=${path.join(results, 'ui.json')}`
  ])
);

let passed = 0;
let failed = 0;
for (const file of ['unit.json', 'ui.json']) {
  const full = path.join(results, file);
  if (fs.existsSync(full)) {
    const report = JSON.parse(fs.readFileSync(full, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  }
}
if (failure) {
  console.error(`\nFAILED at ${failure}`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failure || failed ? 1 : 0);
