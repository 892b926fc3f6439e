/**
 * The direct Node engine: DuckDB-WASM's blocking bindings in this thread, for tests, the CLI,
 * benchmarks and the server. Import it as `@opsbook/query-engine/lib/node` (it is not re-exported
 * from the package index, so browser bundles never see Node's modules).
 */
import * as path from 'node:path';
import { DuckDBEngine } from './duckdb-engine';
import type { EngineSettings } from './engine';
import { directPort, type BlockingBindings } from './port';

/** Options of `createNodeEngine`. */
export interface NodeEngineOptions {
  settings?: Partial<EngineSettings>;
}

/** Instantiates DuckDB-WASM (the `eh` build) in this thread and returns a locked-down engine. */
export async function createNodeEngine(options: NodeEngineOptions = {}): Promise<DuckDBEngine> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const duckdb = require('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
  const dist = path.dirname(require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs'));
  const bundles = {
    mvp: { mainModule: path.join(dist, 'duckdb-mvp.wasm'), mainWorker: '' },
    eh: { mainModule: path.join(dist, 'duckdb-eh.wasm'), mainWorker: '' }
  };
  const db = await duckdb.createDuckDB(bundles, new duckdb.VoidLogger(), duckdb.NODE_RUNTIME);
  await db.instantiate();
  db.open({ query: { castBigIntToDouble: false, castDecimalToDouble: true } });
  return DuckDBEngine.create({
    port: directPort(db as BlockingBindings),
    name: 'duckdb-wasm (node, direct)',
    settings: options.settings
  });
}
