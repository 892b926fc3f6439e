#!/usr/bin/env node
/**
 * Opsbook benchmarks: `npm run bench` (all parts) or `node bench/run.mjs --only queries,coi`.
 *
 *   queries  each example query on --spans spans: DuckDB-WASM in Chromium (the real app), in Node,
 *            and native DuckDB (Parquet and in memory), first run vs warm      (bench/queries.mjs)
 *   startup  navigation -> first telemetry result, and the app's bundle size   (bench/startup.mjs)
 *   cold10m  cold first result and peak browser memory on --cold-spans spans   (bench/cold10m.mjs)
 *   coi      DuckDB-WASM threaded (COI) build vs eh vs native, data in memory  (bench/coi.mjs)
 *   ingest   OTLP/JSON and JSON-lines into a catalog snapshot vs DuckDB read_json -> Parquet,
 *            on --spans spans                                              (bench/ingest.mjs)
 *   provenance  hashing + recording a run vs the query, on 10^4..10^7-row results; replay of the
 *            example notebook vs its original runs                       (bench/provenance.mjs)
 *
 * Options: --only LIST, --spans N (default 1000000), --cold-spans N (default 10000000),
 * --runs N (default 5, samples per median), --cold-runs N (default 3), --seed S (default 42),
 * --out FILE (default bench/results/latest.md), --no-wait (do not wait for a quiet machine).
 *
 * Before each part the machine must be quiet (other processes under 15% CPU, waiting up to 5 min):
 * on 2 cores a concurrent build or test run would skew every figure; the CPU use seen is reported.
 *
 * Datasets are generated once into build/bench-data/ and reused. Tables go to stdout and to --out
 * (markdown), with the machine and the command; progress goes to stderr.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { log, machine, ROOT, table, waitForQuiet, watchOtherProcesses } from './lib/util.mjs';

const PARTS = ['queries', 'startup', 'cold10m', 'coi', 'ingest', 'provenance'];

function parseArgs(argv) {
  const args = {
    only: PARTS,
    spans: 1_000_000,
    coldSpans: 10_000_000,
    runs: 5,
    coldRuns: 3,
    seed: 42,
    wait: true,
    out: path.join(ROOT, 'bench', 'results', 'latest.md')
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    const int = name => {
      const v = Number(value());
      if (!Number.isInteger(v) || v <= 0) {
        throw new Error(`${name} takes a positive integer`);
      }
      return v;
    };
    switch (flag) {
      case '--only':
        args.only = value()
          .split(',')
          .map(s => s.trim())
          .filter(Boolean);
        for (const p of args.only) {
          if (!PARTS.includes(p)) {
            throw new Error(`--only: unknown part "${p}"; parts are ${PARTS.join(', ')}`);
          }
        }
        break;
      case '--spans':
        args.spans = int('--spans');
        break;
      case '--cold-spans':
        args.coldSpans = int('--cold-spans');
        break;
      case '--runs':
        args.runs = int('--runs');
        break;
      case '--cold-runs':
        args.coldRuns = int('--cold-runs');
        break;
      case '--seed':
        args.seed = int('--seed');
        break;
      case '--no-wait':
        args.wait = false;
        break;
      case '--out':
        args.out = path.resolve(value());
        break;
      case '--help':
      case '-h':
        console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (see --help)`);
    }
  }
  return args;
}

/** The built libraries the benchmarks import; builds them when missing. */
function ensureBuilt() {
  const needed = [
    'packages/query-engine/lib/node.js',
    'packages/generator/lib/index.js',
    'build/app/index.html'
  ];
  const missing = needed.filter(f => !fs.existsSync(path.join(ROOT, f)));
  if (missing.some(f => f.startsWith('packages/'))) {
    log('building the packages (npx tsc -b) ...');
    execFileSync('npx', ['tsc', '-b'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!fs.existsSync(path.join(ROOT, 'build/app/index.html'))) {
    throw new Error('build/app is missing: run `npx webpack --mode production` first.');
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  ensureBuilt();
  const began = performance.now();
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-bench-'));
  const m = machine();
  const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const sections = [];
  const header = [
    `Command: \`${command}\``,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} cores`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.os],
        ['Node', m.node],
        ['Chromium', m.chromium],
        ['DuckDB-WASM', m.duckdbWasm],
        ['@duckdb/node-api', m.duckdbNode],
        ['playwright-core', m.playwright]
      ],
      ['l', 'l']
    )
  ].join('\n');
  console.log(header + '\n');
  const results = {};
  try {
    for (const part of PARTS.filter(p => args.only.includes(p))) {
      const quiet = args.wait ? await waitForQuiet() : null;
      const t0 = performance.now();
      const others = watchOtherProcesses();
      let out;
      if (part === 'queries') {
        out = await (await import('./queries.mjs')).runQueries({ ...args, tmpRoot });
      } else if (part === 'startup') {
        out = await (await import('./startup.mjs')).runStartup({ ...args, tmpRoot });
      } else if (part === 'cold10m') {
        out = await (await import('./cold10m.mjs')).runCold({ ...args, tmpRoot });
      } else if (part === 'coi') {
        out = await (await import('./coi.mjs')).runCoi({ ...args, tmpRoot });
      } else if (part === 'provenance') {
        const { runProvenance } = await import('./provenance.mjs');
        out = await runProvenance({ runs: args.runs, seed: args.seed, tmpRoot });
      } else {
        out = await (await import('./ingest.mjs')).runIngest({
          spans: [args.spans],
          seed: args.seed,
          work: path.join(os.tmpdir(), 'opsbook-ingest-bench'),
          runs: 1,
          only: ['otlp', 'jsonl']
        });
      }
      results[part] = out.data;
      const during = others.stop();
      const before = quiet
        ? ` Just before it, ${(quiet.busy * 100).toFixed(0)}% of the CPUs were in use.`
        : '';
      const skew = during > 0.05 ? ' (**the machine was not quiet: figures may be skewed**)' : '';
      const load = `${before} Other processes used ${(during * 100).toFixed(0)}% of the CPUs during it${skew}.`;
      const text = `${out.markdown}\n\n_Part took ${((performance.now() - t0) / 1000).toFixed(0)} s.${load}_`;
      console.log(text + '\n');
      sections.push(text);
    }
  } finally {
    fs.rmSync(tmpRoot, { recursive: true, force: true });
  }
  const total = `Total bench time: ${((performance.now() - began) / 1000).toFixed(0)} s.`;
  console.log(total);
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(
    args.out,
    [`# Opsbook benchmarks (${new Date().toISOString()})`, header, ...sections, total].join(
      '\n\n'
    ) + '\n'
  );
  fs.writeFileSync(
    args.out.replace(/\.md$/, '.json'),
    JSON.stringify({ machine: m, args, results }, null, 1)
  );
  log(`wrote ${path.relative(ROOT, args.out)}`);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
