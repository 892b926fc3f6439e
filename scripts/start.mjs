#!/usr/bin/env node
/**
 * `npm start`: installs, builds, generates the example telemetry (once), ingests it into the
 * server's telemetry catalog (once) and serves the example notebooks, which then read catalog
 * snapshots (the default dataset's tables, under the bare names spans, logs, metrics, events).
 * Extra arguments go to `opsbook serve`, e.g. `npm start -- --port 9000`.
 *
 * The generator writes the canonical telemetry tables (docs/telemetry-schema.md), which
 * `opsbook ingest --as parquet` maps one to one. Example data written by an older generator (its
 * own columns: span_name, duration_ms, timestamp, ...) is generated again first.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

import { ensureBuilt, ensureExampleData, ensureInstalled, ROOT, run } from './lib.mjs';

const CLI = 'packages/server/bin/opsbook.js';
/** The store `opsbook serve --notebooks examples` uses by default (<notebooks>/.opsbook/catalog). */
const STORE = path.join(ROOT, 'examples', '.opsbook', 'catalog');
/** Generated file -> catalog table (`--table`) of the default dataset. */
const TABLES = { spans: 'spans', logs: 'logs', metrics: 'metrics', events: 'events' };

ensureInstalled();
ensureBuilt();
const began = Date.now();
await ensureExampleSnapshots(ensureExampleData());
console.log(`\nExample data ready in ${((Date.now() - began) / 1000).toFixed(1)} s.`);
run('node', [CLI, 'serve', '--notebooks', 'examples', ...process.argv.slice(2)]);

/**
 * Makes sure the default dataset of the server's store holds the example's four tables,
 * ingesting the generated Parquet files that are not there yet (generating them again first
 * when they are not in the canonical schema).
 */
async function ensureExampleSnapshots(dir) {
  const listed = spawnSync('node', [CLI, 'catalog', 'ls', '--store', STORE, '--json'], {
    cwd: ROOT,
    encoding: 'utf8'
  });
  const datasets = listed.status === 0 ? JSON.parse(listed.stdout).datasets : [];
  const present = new Set(Object.keys(datasets.find(d => d.name === 'default')?.tables ?? {}));
  const missing = Object.keys(TABLES).filter(file => !present.has(TABLES[file]));
  if (missing.length === 0) {
    console.log(`\nExample telemetry is in the catalog (${path.relative(ROOT, STORE)}).`);
    return;
  }
  const foreign = await nonCanonical(dir, missing);
  if (foreign.length > 0) {
    console.log(
      `\nRegenerating ${path.relative(ROOT, dir)}: ${foreign.join('; ')} ` +
        '(written by an older generator; the catalog holds canonical tables only).'
    );
    fs.rmSync(dir, { recursive: true, force: true });
    ensureExampleData();
  }
  for (const file of missing) {
    run('node', [
      CLI,
      'ingest',
      path.join(dir, `${file}.parquet`),
      '--as',
      'parquet',
      '--table',
      TABLES[file],
      '--dataset',
      'default',
      '--store',
      STORE
    ]);
  }
}

/** The generated files among `files` that lack a required canonical column, with the column. */
async function nonCanonical(dir, files) {
  const require = createRequire(path.join(ROOT, 'packages', 'server', 'package.json'));
  // The plain table declarations: no apache-arrow needed to read them.
  const { TABLES: SCHEMA } = require('@opsbook/telemetry-schema/lib/tables');
  const { DuckDBInstance } = require('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const problems = [];
  try {
    for (const file of files) {
      const table = TABLES[file] === 'metrics' ? 'metric_points' : TABLES[file];
      const parquet = path.join(dir, `${file}.parquet`);
      if (!fs.existsSync(parquet)) {
        problems.push(`${file}.parquet is missing`);
        continue;
      }
      const described = await connection.runAndReadAll(
        `DESCRIBE SELECT * FROM read_parquet('${parquet.replace(/'/g, "''")}')`
      );
      const columns = new Set(described.getRows().map(row => String(row[0])));
      // Attribute maps may be absent (the adapter fills them empty); other required columns not.
      const lacking = SCHEMA[table].columns.find(
        c => !c.nullable && c.kind !== 'attributes' && !columns.has(c.name)
      );
      if (lacking) {
        problems.push(`${file}.parquet has no canonical column '${lacking.name}'`);
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return problems;
}
