/**
 * Small helpers shared by the benchmark parts: statistics, markdown tables, the machine
 * description, and a timer. Every part prints its tables through `table()` so the console output
 * and bench/results/latest.md are the same text.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (bench/lib/../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where generated datasets are cached between runs (ignored by git through `build/`). */
export const DATA_ROOT = path.join(ROOT, 'build', 'bench-data');

/** Token of the benchmark's server (any string of 16+ characters). */
export const TOKEN = 'bench-token-0123456789abcdef';

/** Median of numbers (the mean of the middle two for an even count); NaN when empty. */
export function median(values) {
  const v = values.filter(x => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) {
    return NaN;
  }
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Milliseconds with a precision that suits their size. */
export function ms(value) {
  if (!Number.isFinite(value)) {
    return 'n/a';
  }
  if (value >= 1000) {
    return `${(value / 1000).toFixed(2)} s`;
  }
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

/** A ratio as `12.3×`. */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a';
}

/** Bytes as MB (10^6) with one decimal. */
export function mb(bytes) {
  return Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(1)} MB` : 'n/a';
}

/** A markdown table from a header row and rows of cells. */
export function table(header, rows, align) {
  const line = cells => `| ${cells.map(c => String(c)).join(' | ')} |`;
  const sep = header.map((_, i) =>
    (align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? '---' : '---:'
  );
  return [line(header), line(sep), ...rows.map(line)].join('\n');
}

/** Elapsed milliseconds since `t0` (from `performance.now()`). */
export const since = t0 => performance.now() - t0;

/** What the numbers were measured on. */
export function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let chromium = 'unknown';
  try {
    // Debian's /usr/bin/chromium is a shell wrapper; ask the binary it runs.
    const bin = fs.existsSync('/usr/lib/chromium/chromium')
      ? '/usr/lib/chromium/chromium'
      : '/usr/bin/chromium';
    chromium = execFileSync(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // Reported as unknown.
  }
  const pkg = name => {
    try {
      return JSON.parse(
        fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')
      ).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    node: process.version,
    cpu: model,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    chromium,
    duckdbWasm: pkg('@duckdb/duckdb-wasm'),
    duckdbNode: pkg('@duckdb/node-api'),
    playwright: pkg('playwright-core')
  };
}

/** Logs progress to stderr so stdout keeps only the tables. */
export function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Busy fraction of all CPUs over `windowMs`, from /proc/stat. */
export async function cpuBusy(windowMs = 3000) {
  const read = () => {
    const f = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = f[3] + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise(resolve => setTimeout(resolve, windowMs));
  const b = read();
  return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
}

/**
 * Waits (up to `maxWaitMs`) until the machine is quiet: with none of our work running, CPU use
 * under `threshold`. Other processes (a test run, a build) would skew every figure on a
 * 2-core machine. Resolves with `{ busy, waitedMs, quiet }`.
 */
export async function waitForQuiet({ maxWaitMs = 300_000, threshold = 0.15 } = {}) {
  const t0 = performance.now();
  for (;;) {
    const busy = await cpuBusy();
    const waitedMs = performance.now() - t0;
    if (busy < threshold) {
      return { busy, waitedMs, quiet: true };
    }
    if (waitedMs > maxWaitMs) {
      log(
        `machine still busy (${(busy * 100).toFixed(0)}% CPU used by other processes); measuring anyway`
      );
      return { busy, waitedMs, quiet: false };
    }
    log(
      `waiting for the machine to be quiet: ${(busy * 100).toFixed(0)}% CPU used by other processes`
    );
  }
}

/** utime + stime (clock ticks) of every process that is not this one or one of its descendants. */
export function othersTicks() {
  const info = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command: state(0) ppid(1) ... utime(11) stime(12).
      info.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // Ended meanwhile.
    }
  }
  const ours = pid => {
    for (let p = pid; p > 1 && info.has(p); p = info.get(p).ppid) {
      if (p === process.pid) {
        return true;
      }
    }
    return false;
  };
  const out = new Map();
  for (const [pid, { ticks }] of info) {
    if (!ours(pid)) {
      out.set(pid, ticks);
    }
  }
  return out;
}

/**
 * Watches the CPU time other processes use while a part runs (sampled every 2 s, so processes
 * that come and go between samples are partly missed). `stop()` returns their share of all CPUs.
 */
export function watchOtherProcesses() {
  const t0 = performance.now();
  let last = othersTicks();
  let used = 0;
  const sample = () => {
    const now = othersTicks();
    for (const [pid, ticks] of now) {
      used += ticks - (last.get(pid) ?? ticks);
    }
    last = now;
  };
  const timer = setInterval(sample, 2000);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const seconds = (performance.now() - t0) / 1000;
      return used / 100 / (seconds * os.cpus().length);
    }
  };
}
