/**
 * Shared steps of the two quick-start commands (`npm start`, `npm test`): install when the lockfile
 * changed, build what is stale, and make sure the Debian packages the tests run are there
 * (Chromium for browser tests, Prometheus and Alertmanager for the live-source tests).
 * Only Node builtins here: these run before node_modules exists.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command in the repo root, streaming its output; throws when it fails. */
export function run(command, args, options = {}) {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`"${[command, ...args].join(' ')}" failed with exit code ${result.status}`);
  }
}

/**
 * Installs when node_modules is missing or was installed from another package-lock.json.
 * `npm install` with the committed lockfile installs exactly the locked versions. Not `npm ci`:
 * `@duckdb/node-bindings` lists one optional package per platform, the lockfile can only record
 * the ones the registry served when it was written, and `npm ci` refuses a lockfile without them.
 */
export function ensureInstalled() {
  const lock = fs.readFileSync(path.join(ROOT, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex');
  const stamp = path.join(ROOT, 'node_modules', '.opsbook-lock-sha256');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) {
    return;
  }
  run('npm', ['install', '--no-audit', '--no-fund']);
  fs.writeFileSync(stamp, hash);
}

/** Newest modification time of the given files and of any file under the given folders. */
function newest(paths) {
  let latest = 0;
  const walk = dir => {
    if (!fs.existsSync(dir)) return;
    if (!fs.statSync(dir).isDirectory()) {
      latest = Math.max(latest, fs.statSync(dir).mtimeMs);
      return;
    }
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      // Build output and tests do not change the app bundle (tsc writes *.tsbuildinfo every run).
      if (['node_modules', 'lib', '.generated', 'test'].includes(entry.name)) continue;
      if (entry.name.endsWith('.tsbuildinfo')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else latest = Math.max(latest, fs.statSync(full).mtimeMs);
    }
  };
  paths.forEach(p => walk(path.join(ROOT, p)));
  return latest;
}

/** Compiles the TypeScript packages and builds the app when sources are newer than the build. */
export function ensureBuilt({ force = false } = {}) {
  run('npx', ['tsc', '-b']);
  const index = path.join(ROOT, 'build', 'app', 'index.html');
  const stale =
    force ||
    !fs.existsSync(index) ||
    fs.statSync(index).mtimeMs <
      newest(['packages', 'app', 'webpack.config.js', 'package-lock.json']);
  if (stale) {
    run('npx', ['webpack', '--mode', 'production']);
  } else {
    console.log('\nApp build is up to date (build/app).');
  }
}

/** Generates the example telemetry into examples/data when it is not there yet. */
export function ensureExampleData() {
  const dir = path.join(ROOT, 'examples', 'data');
  if (fs.existsSync(path.join(dir, 'spans.parquet'))) {
    return dir;
  }
  run('node', ['packages/server/bin/opsbook.js', 'generate', '--out', dir]);
  return dir;
}

/**
 * Debian packages the tests run for real, with the binary that shows each is installed and what
 * needs it. `CHROMIUM_PATH` may point at another Chromium.
 */
export const DEBIAN_PACKAGES = {
  chromium: {
    binary: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    recommends: true,
    neededBy: 'the browser tests (or set CHROMIUM_PATH to a Chromium binary)'
  },
  prometheus: { binary: '/usr/bin/prometheus', neededBy: 'the live-source tests' },
  'prometheus-alertmanager': {
    binary: '/usr/bin/prometheus-alertmanager',
    neededBy: 'the live-source tests'
  }
};

/**
 * Installs the Debian packages among `names` (keys of DEBIAN_PACKAGES) whose binary is missing,
 * with ONE apt-get call, when running as root on a system with apt-get; otherwise stops with a
 * message naming the packages and the command to run. Services the packages ship are not needed
 * (the tests start the binaries themselves), so a postinst that cannot start one is fine.
 */
export function ensureDebianPackages(names) {
  const missing = names.filter(name => {
    const known = DEBIAN_PACKAGES[name];
    if (!known) {
      throw new Error(
        `ensureDebianPackages: unknown package "${name}"; add it to DEBIAN_PACKAGES.`
      );
    }
    return !fs.existsSync(known.binary);
  });
  if (missing.length === 0) {
    return;
  }
  const isRoot = process.getuid && process.getuid() === 0;
  let hasApt = false;
  try {
    execFileSync('which', ['apt-get'], { stdio: 'ignore' });
    hasApt = true;
  } catch {
    hasApt = false;
  }
  const command = `sudo apt-get install -y ${missing.join(' ')}`;
  const what = missing
    .map(name => `${name} (${DEBIAN_PACKAGES[name].binary}, for ${DEBIAN_PACKAGES[name].neededBy})`)
    .join(', ');
  if (!isRoot || !hasApt) {
    throw new Error(
      `The tests need Debian packages that are not installed: ${what}. Install them with ` +
        `"${command}" (Debian/Ubuntu), then run "npm test" again.`
    );
  }
  run('apt-get', ['update', '-qq']);
  // Chromium with its recommended packages (the sandbox helper; fonts come as dependencies), as
  // the browser tests have always run; the Prometheus packages without theirs (node-exporter,
  // whose service the tests do not use).
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const recommends of [true, false]) {
    const group = missing.filter(
      name => (DEBIAN_PACKAGES[name].recommends ?? false) === recommends
    );
    if (group.length > 0) {
      const flags = recommends ? [] : ['--no-install-recommends'];
      run('apt-get', ['install', '-y', '-qq', ...flags, ...group], { env });
    }
  }
  const still = missing.filter(name => !fs.existsSync(DEBIAN_PACKAGES[name].binary));
  if (still.length) {
    throw new Error(
      `apt-get installed ${missing.join(' ')} but ${still
        .map(name => DEBIAN_PACKAGES[name].binary)
        .join(', ')} is still missing. Check the apt output above.`
    );
  }
}

/** Installs Debian's Chromium for browser tests when it is missing (as root), else explains. */
export function ensureChromium() {
  ensureDebianPackages(['chromium']);
}
