/**
 * Benchmark datasets: `opsbook generate` output cached under
 * build/bench-data/spans-<N>-seed-<S>-canonical (the suffix: the generator writes the canonical
 * telemetry tables since issue #4; older caches hold its former columns and are not reused),
 * generated once (into a `.tmp` directory renamed when complete, so an interrupted run never
 * leaves a half-written dataset behind).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { DATA_ROOT, log, ROOT } from './util.mjs';

const require = createRequire(import.meta.url);

/** Returns `{ dir, generatedMs }` for the dataset; `generatedMs` is null when it was cached. */
export async function ensureDataset(spans, seed = 42) {
  const dir = path.join(DATA_ROOT, `spans-${spans}-seed-${seed}-canonical`);
  if (fs.existsSync(path.join(dir, 'spans.parquet'))) {
    return { dir, generatedMs: null };
  }
  const { generateTelemetry } = require(path.join(ROOT, 'packages', 'generator', 'lib'));
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  log(`generating ${spans.toLocaleString('en')} spans (seed ${seed}) into ${path.relative(ROOT, dir)} ...`);
  const t0 = performance.now();
  await generateTelemetry({ outDir: tmp, spans, seed });
  const generatedMs = performance.now() - t0;
  fs.renameSync(tmp, dir);
  log(`generated in ${(generatedMs / 1000).toFixed(1)} s`);
  return { dir, generatedMs };
}
