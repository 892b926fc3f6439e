/**
 * Benchmark of @opsbook/generator: wall time, throughput and peak RSS for several span counts,
 * next to a reference measured in the same run: DuckDB alone re-writing the generated
 * spans.parquet (read, sort, zstd Parquet, one thread), the floor for the writing phase.
 *
 *   npx tsc -b packages/generator && node packages/generator/bench/generate.js [spans...]
 *
 * Default counts: 200000 1000000. Each count runs in a fresh process so peak RSS is its own.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

/** Runs one generation in this process and prints a JSON line (child mode). */
async function child(spans, outDir) {
  const { generateTelemetry } = require('../lib');
  const { DuckDBInstance } = require('@duckdb/node-api');
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const summary = await generateTelemetry({ outDir, spans });
  clearInterval(sample);
  peak = Math.max(peak, process.memoryUsage().rss);
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await db.connect();
  const began = Date.now();
  const source = path.join(outDir, 'spans.parquet');
  await connection.run(
    `COPY (SELECT * FROM read_parquet('${source}') ORDER BY start_time) ` +
      `TO '${path.join(outDir, 'reference.parquet')}' (FORMAT parquet, COMPRESSION zstd)`
  );
  const referenceMs = Date.now() - began;
  connection.closeSync();
  db.closeSync();
  const bytes = Object.fromEntries(summary.files.map(f => [f.name, f.bytes]));
  const rows = Object.fromEntries(summary.files.map(f => [f.name, f.rows]));
  console.log(
    JSON.stringify({
      spans,
      logs: rows['logs.parquet'],
      ms: summary.elapsedMs,
      referenceMs,
      peakMb: Math.round(peak / 2 ** 20),
      spansMb: +(bytes['spans.parquet'] / 2 ** 20).toFixed(1),
      logsMb: +(bytes['logs.parquet'] / 2 ** 20).toFixed(1)
    })
  );
}

/** Runs every count in a child process and prints a table (parent mode). */
function main(counts) {
  const results = counts.map(spans => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-bench-'));
    try {
      const out = execFileSync(process.execPath, [__filename, '--child', String(spans), outDir]);
      return JSON.parse(out.toString().trim().split('\n').pop());
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model})`);
  console.log(
    '| spans | logs | generate (s) | spans/s | peak RSS (MiB) | spans.parquet (MiB) | logs.parquet (MiB) | reference: DuckDB re-writes spans.parquet (s) |'
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const cells = [
      r.spans.toLocaleString('en'),
      r.logs.toLocaleString('en'),
      (r.ms / 1000).toFixed(1),
      Math.round(r.spans / (r.ms / 1000)).toLocaleString('en'),
      r.peakMb,
      r.spansMb,
      r.logsMb,
      (r.referenceMs / 1000).toFixed(1)
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

if (process.argv[2] === '--child') {
  child(Number(process.argv[3]), process.argv[4]).catch(error => {
    console.error(error);
    process.exit(1);
  });
} else {
  const counts = process.argv.slice(2).map(Number);
  main(counts.length > 0 ? counts : [200_000, 1_000_000]);
}
