/**
 * Browser memory during a run, from three places:
 * - Chromium's processes (descendants of this Node process), from /proc: resident memory of each,
 *   and `VmHWM`, the kernel's own record of a process's peak resident memory. The renderer process
 *   holds the page, its JS heap, and the DuckDB-WASM worker with its WebAssembly memory.
 * - the page's main-thread JS heap, from CDP `Performance.getMetrics` (`JSHeapUsedSize`);
 * - DuckDB-WASM's linear memory, read in its worker (`DUCKDB_BINDINGS.mod.HEAPU8.buffer`). A
 *   WebAssembly memory only grows, so its size after a run is its peak during the run.
 */
import * as fs from 'node:fs';

/** Chromium processes started by this Node process: `{ pid, renderer }`. */
function chromiumProcesses() {
  const parent = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // The process ended meanwhile.
    }
  }
  const descends = pid => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        return true;
      }
    }
    return false;
  };
  const out = [];
  for (const pid of parent.keys()) {
    if (!descends(pid)) {
      continue;
    }
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (/chrom/i.test(cmdline.split('\0')[0])) {
        out.push({ pid, renderer: cmdline.includes('--type=renderer') });
      }
    } catch {
      // Gone.
    }
  }
  return out;
}

function status(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = key => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** Current resident memory: total over Chromium's processes, the largest renderer, its peak. */
export function chromiumMemory() {
  let total = 0;
  let renderer = 0;
  let rendererPeak = 0;
  for (const p of chromiumProcesses()) {
    const s = status(p.pid);
    total += s.rss;
    if (p.renderer) {
      renderer = Math.max(renderer, s.rss);
      rendererPeak = Math.max(rendererPeak, s.hwm);
    }
  }
  return { total, renderer, rendererPeak };
}

/** Size of DuckDB-WASM's linear memory in the page's DuckDB worker (null if not found). */
export async function wasmMemory(page) {
  for (const worker of page.workers()) {
    const bytes = await worker
      .evaluate(() => globalThis.DUCKDB_BINDINGS?.mod?.HEAPU8?.buffer?.byteLength ?? null)
      .catch(() => null);
    if (bytes !== null) {
      return bytes;
    }
  }
  return null;
}

/**
 * Samples memory every `intervalMs` until `stop()`, which resolves with the peaks:
 * `{ total, renderer, rendererPeak, jsHeap, samples }` (bytes).
 */
export async function startSampler(page, intervalMs = 100) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const peak = { total: 0, renderer: 0, rendererPeak: 0, jsHeap: 0, samples: 0 };
  let running = true;
  let stopped = null;
  const loop = (async () => {
    while (running) {
      const m = chromiumMemory();
      peak.total = Math.max(peak.total, m.total);
      peak.renderer = Math.max(peak.renderer, m.renderer);
      peak.rendererPeak = Math.max(peak.rendererPeak, m.rendererPeak);
      const metrics = await cdp.send('Performance.getMetrics').catch(() => null);
      const heap = metrics?.metrics.find(x => x.name === 'JSHeapUsedSize')?.value ?? 0;
      peak.jsHeap = Math.max(peak.jsHeap, heap);
      peak.samples++;
      await new Promise(resolve => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    /** Stops sampling (once; later calls return the same peaks). */
    stop() {
      stopped ??= (async () => {
        running = false;
        await loop;
        const m = chromiumMemory();
        peak.rendererPeak = Math.max(peak.rendererPeak, m.rendererPeak);
        await cdp.detach().catch(() => undefined);
        return peak;
      })();
      return stopped;
    }
  };
}
