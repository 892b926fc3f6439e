#!/usr/bin/env node
/**
 * Ingest benchmark: throughput (MB/s, rows/s) and peak memory of `Catalog.ingest` (our adapters
 * into a Parquet snapshot) for OTLP/JSON spans and JSON-lines logs, against DuckDB's own
 * `read_json` into Parquet on the same file, in the same run.
 *
 *   node bench/ingest.mjs                          # 1M and 10M spans
 *   node bench/ingest.mjs --spans 20000 --no-wait  # a quick check
 *
 * Options: --spans LIST (default 1000000,10000000), --seed S (42), --work DIR (default
 * /tmp/opsbook-ingest-bench: generated inputs, kept between runs), --runs N (1), --only otlp,jsonl,
 * --no-wait (do not wait for a quiet machine), --keep-outputs.
 *
 * Inputs, made once per size from the generator's Parquet (build/bench-data/spans-<N>-seed-<S> when
 * `npm run bench` made it already, else generated under --work) with DuckDB:
 *   otlp   the collector file exporter's layout: one ExportTraceServiceRequest per line, 512 spans
 *          per request grouped by service, ids in hex, times as strings, http.* attributes;
 *   jsonl  the generator's logs (about half as many rows as spans), one JSON object per line.
 * Each measurement runs in a fresh child process (`--child`), so peak memory is that process's
 * maximum RSS (Node + DuckDB, for both systems alike). DuckDB uses its default threads (all cores);
 * our ingest parses, hashes and serialises rows on one JS thread while DuckDB loads the staged rows
 * on one more (packages/catalog/src/staging.ts), then writes the snapshot on one thread.
 *
 * Also the `ingest` part of `npm run bench` (bench/run.mjs), at its --spans size.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);

const log = message =>
  process.stderr.write(`[ingest ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const mb = bytes => bytes / 1e6;

async function duckdb() {
  const { DuckDBInstance } = require(path.join(ROOT, 'node_modules', '@duckdb', 'node-api'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    run: sql => connection.run(sql),
    rows: async sql => (await connection.runAndReadAll(sql)).getRowObjects(),
    close: () => {
      connection.closeSync();
      instance.closeSync();
    }
  };
}

const sq = text => `'${text.replace(/'/g, "''")}'`;

/** The generator's Parquet for `spans`: the bench cache if there, else generated under `work`. */
async function spansDataset(spans, seed, work) {
  // The generator writes the canonical tables (bench/lib/data.mjs caches them under this name).
  const cached = path.join(ROOT, 'build', 'bench-data', `spans-${spans}-seed-${seed}-canonical`);
  if (fs.existsSync(path.join(cached, 'spans.parquet'))) {
    return cached;
  }
  const dir = path.join(work, `data-${spans}-seed-${seed}-canonical`);
  if (!fs.existsSync(path.join(dir, 'spans.parquet'))) {
    const { generateTelemetry } = require(path.join(ROOT, 'packages', 'generator', 'lib'));
    log(`generating ${spans} spans into ${dir} ...`);
    fs.rmSync(`${dir}.tmp`, { recursive: true, force: true });
    await generateTelemetry({ outDir: `${dir}.tmp`, spans, seed });
    fs.renameSync(`${dir}.tmp`, dir);
  }
  return dir;
}

/** Writes the OTLP/JSON and JSON-lines inputs for one size (once). */
async function makeInputs(dataDir, out) {
  const otlp = path.join(out, 'spans.otlp.jsonl');
  const jsonl = path.join(out, 'logs.jsonl');
  if (fs.existsSync(otlp) && fs.existsSync(jsonl)) {
    return { otlp, jsonl };
  }
  fs.mkdirSync(out, { recursive: true });
  const db = await duckdb();
  try {
    log(`writing ${otlp} ...`);
    // Canonical attribute values are JSON text: a string keeps its quotes, a number does not.
    const text = key => `trim(attributes['${key}'], '"')`;
    const attr = (key, value) =>
      `CASE WHEN ${value} IS NULL THEN NULL ELSE to_json({key: '${key}', value: {stringValue: ${value}}}) END`;
    // Numbered once; then written a million spans at a time into part files joined at the end:
    // one COPY over 10M spans runs DuckDB out of memory (its list aggregates do not spill).
    await db.run(`
      CREATE TABLE s AS
      SELECT trace_id, span_id, parent_span_id, name, kind, start_time, end_time, status_code,
        attributes, host_name, service_name, service_version,
        (row_number() OVER (ORDER BY start_time, span_id) - 1) // 512 AS batch
      FROM read_parquet(${sq(path.join(dataDir, 'spans.parquet'))})`);
    const [{ batches }] = await db.rows('SELECT max(batch) + 1 AS batches FROM s');
    const perPart = 2048; // batches of 512 spans: ~1M spans per part
    const parts = [];
    for (let from = 0; from < Number(batches); from += perPart) {
      const part = `${otlp}.part${parts.length}`;
      parts.push(part);
      await db.run(`
      COPY (
        WITH g AS (
          SELECT batch, service_name, any_value(service_version) AS service_version,
            list({
              traceId: trace_id, spanId: span_id, parentSpanId: coalesce(parent_span_id, ''),
              name: name,
              kind: CASE kind WHEN 'internal' THEN 1 WHEN 'server' THEN 2 WHEN 'client' THEN 3 ELSE 0 END,
              startTimeUnixNano: epoch_ns(start_time)::VARCHAR,
              endTimeUnixNano: epoch_ns(end_time)::VARCHAR,
              attributes: list_filter([
                ${attr('http.request.method', text('http.request.method'))},
                ${attr('http.route', text('http.route'))},
                CASE WHEN attributes['http.response.status_code'] IS NULL THEN NULL
                  ELSE to_json({key: 'http.response.status_code',
                    value: {intValue: attributes['http.response.status_code']}}) END,
                ${attr('host.name', 'host_name')}
              ], x -> x IS NOT NULL),
              status: {code: CASE status_code WHEN 'ok' THEN 1 WHEN 'error' THEN 2 ELSE 0 END}
            } ORDER BY start_time, span_id) AS spans
          FROM s WHERE batch >= ${from} AND batch < ${from + perPart} GROUP BY batch, service_name
        )
        SELECT list({
          resource: {attributes: [
            {key: 'service.name', value: {stringValue: service_name}},
            {key: 'service.version', value: {stringValue: service_version}},
            {key: 'deployment.environment.name', value: {stringValue: 'production'}}]},
          scopeSpans: [{scope: {name: 'opsbook-generator', version: '1'}, spans: spans}]
        } ORDER BY service_name) AS resourceSpans
        FROM g GROUP BY batch ORDER BY batch
      ) TO ${sq(part)} (FORMAT json)`);
    }
    await db.run('DROP TABLE s');
    const outFd = fs.openSync(otlp, 'w');
    for (const part of parts) {
      const inFd = fs.openSync(part, 'r');
      const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
      let n;
      while ((n = fs.readSync(inFd, buf, 0, buf.length, null)) > 0) {
        fs.writeSync(outFd, buf, 0, n);
      }
      fs.closeSync(inFd);
      fs.rmSync(part);
    }
    fs.closeSync(outFd);
    log(`writing ${jsonl} ...`);
    await db.run(`
      COPY (
        SELECT strftime(time, '%Y-%m-%dT%H:%M:%S.%fZ') AS time, severity_text AS level,
          service_name AS service, body AS message, trace_id, span_id, host_name, service_version
        FROM read_parquet(${sq(path.join(dataDir, 'logs.parquet'))})
      ) TO ${sq(jsonl)} (FORMAT json)`);
  } finally {
    db.close();
  }
  return { otlp, jsonl };
}

/** One measurement in this (child) process; prints a JSON line with the figures. */
async function child(system, kind, file, out) {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  let rows;
  if (system === 'ours') {
    const { Catalog } = require(path.join(ROOT, 'packages', 'catalog', 'lib'));
    const adapters = require(path.join(ROOT, 'packages', 'adapters', 'lib'));
    const catalog = Catalog.open(path.join(out, 'store'));
    const adapter = kind === 'otlp' ? adapters.otlpJsonAdapter() : adapters.jsonLinesLogAdapter();
    const result = await catalog.ingest({
      dataset: 'bench',
      adapter,
      input: fs.createReadStream(file, { highWaterMark: 1 << 20 }),
      source: file
    });
    rows = result.report.rowsStored;
    if (result.report.rowsQuarantined) {
      throw new Error(`${result.report.rowsQuarantined} rows quarantined`);
    }
    catalog.close?.();
  } else {
    const db = await duckdb();
    const target = path.join(out, 'out.parquet');
    const read = `read_json(${sq(file)}, format = 'newline_delimited', maximum_object_size = 67108864)`;
    const select =
      kind === 'otlp'
        ? `WITH r AS (SELECT unnest(resourceSpans) AS rs FROM ${read}),
                s AS (SELECT rs.resource AS resource, unnest(rs.scopeSpans) AS ss FROM r),
                p AS (SELECT resource, ss.scope AS scope, unnest(ss.spans) AS span FROM s)
           SELECT span.traceId AS trace_id, span.spanId AS span_id,
             nullif(span.parentSpanId, '') AS parent_span_id, span.name AS name, span.kind AS kind,
             make_timestamp_ns(span.startTimeUnixNano::BIGINT) AS start_time,
             make_timestamp_ns(span.endTimeUnixNano::BIGINT) AS end_time,
             span.status.code AS status_code, resource.attributes AS resource_attributes,
             scope.name AS scope_name, scope.version AS scope_version,
             span.attributes AS attributes
           FROM p`
        : `SELECT * FROM ${read}`;
    await db.run(`COPY (${select}) TO ${sq(target)} (FORMAT parquet, COMPRESSION zstd)`);
    rows = Number((await db.rows(`SELECT count(*) AS n FROM read_parquet(${sq(target)})`))[0].n);
    db.close();
  }
  const ms = performance.now() - t0;
  process.stdout.write(
    `${JSON.stringify({ ms, rows, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`
  );
}

function measure(system, kind, file, out) {
  const text = execFileSync(process.execPath, [SELF, '--child', system, kind, file, out], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20
  }).toString();
  return JSON.parse(text.trim().split('\n').pop());
}

function parseArgs(argv) {
  const args = {
    spans: [1_000_000, 10_000_000],
    seed: 42,
    work: path.join(os.tmpdir(), 'opsbook-ingest-bench'),
    runs: 1,
    only: ['otlp', 'jsonl'],
    wait: true,
    keepOutputs: false
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--spans') args.spans = value().split(',').map(Number);
    else if (flag === '--seed') args.seed = Number(value());
    else if (flag === '--work') args.work = path.resolve(value());
    else if (flag === '--runs') args.runs = Number(value());
    else if (flag === '--only') args.only = value().split(',');
    else if (flag === '--no-wait') args.wait = false;
    else if (flag === '--keep-outputs') args.keepOutputs = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (args.spans.some(n => !Number.isInteger(n) || n <= 0)) {
    throw new Error('--spans takes a comma-separated list of positive integers');
  }
  return args;
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs the benchmark; returns `{ markdown, data }`. */
export async function runIngest(args) {
  const data = [];
  const rows = [];
  for (const spans of args.spans) {
    const dataDir = await spansDataset(spans, args.seed, args.work);
    const inputs = await makeInputs(
      dataDir,
      path.join(args.work, `inputs-${spans}-seed-${args.seed}-canonical`)
    );
    for (const kind of args.only) {
      const file = inputs[kind];
      const bytes = fs.statSync(file).size;
      const results = {};
      for (const system of ['ours', 'duckdb']) {
        const samples = [];
        for (let run = 0; run < args.runs; run++) {
          log(`${spans} spans, ${kind}, ${system}, run ${run + 1} ...`);
          samples.push(measure(system, kind, file, path.join(args.work, 'out', system)));
        }
        const ms = median(samples.map(s => s.ms));
        results[system] = {
          ms,
          rows: samples[0].rows,
          mbPerS: mb(bytes) / (ms / 1000),
          rowsPerS: samples[0].rows / (ms / 1000),
          maxRssMB: Math.max(...samples.map(s => s.maxRssMB))
        };
      }
      data.push({ spans, kind, file, bytes, ...results });
      for (const system of ['ours', 'duckdb']) {
        const r = results[system];
        rows.push([
          spans.toLocaleString('en'),
          kind === 'otlp' ? 'OTLP/JSON spans' : 'JSON-lines logs',
          mb(bytes).toFixed(0),
          system === 'ours' ? 'Catalog.ingest (adapters)' : 'DuckDB read_json -> Parquet',
          r.rows.toLocaleString('en'),
          (r.ms / 1000).toFixed(1),
          r.mbPerS.toFixed(1),
          Math.round(r.rowsPerS).toLocaleString('en'),
          r.maxRssMB.toFixed(0),
          system === 'ours' ? `${(results.ours.ms / results.duckdb.ms).toFixed(1)}x slower` : '1'
        ]);
      }
    }
  }
  if (!args.keepOutputs) {
    fs.rmSync(path.join(args.work, 'out'), { recursive: true, force: true });
  }
  const header = [
    'spans',
    'input',
    'MB',
    'system',
    'rows',
    's',
    'MB/s',
    'rows/s',
    'peak RSS MB',
    'time ratio'
  ];
  const markdown = [
    '## Ingest throughput (bench/ingest.mjs)',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 || i === 3 ? '---' : '---:')).join('|')}|`,
    ...rows.map(r => `| ${r.join(' | ')} |`),
    '',
    `Inputs under ${args.work}; median of ${args.runs} run(s); each run a fresh process.`
  ].join('\n');
  return { markdown, data };
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [, system, kind, file, out] = argv;
    await child(system, kind, file, out);
    return;
  }
  const args = parseArgs(argv);
  for (const lib of ['adapters', 'catalog', 'generator']) {
    if (!fs.existsSync(path.join(ROOT, 'packages', lib, 'lib', 'index.js'))) {
      throw new Error(`packages/${lib}/lib is missing: run npx tsc -b first`);
    }
  }
  if (args.wait) {
    const { waitForQuiet } = await import('./lib/util.mjs');
    await waitForQuiet();
  }
  const { markdown } = await runIngest(args);
  console.log(`Command: \`node bench/ingest.mjs ${argv.join(' ')}\`\n`);
  console.log(markdown);
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  main().catch(error => {
    console.error(error);
    process.exit(1);
  });
}
