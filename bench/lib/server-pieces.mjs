/**
 * The server's `/api/datasets/<name>/arrow` route taken apart, with the server's own compiled
 * code (packages/server/lib), in this process and without HTTP, to see where a slice's time goes:
 *
 *   scanMs    native DuckDB (as configured by the server: 2 threads) runs the route's SELECT
 *             (`buildSelect`) and we only pull its chunks;
 *   streamMs  the same plus the route's `streamResult`: DuckDB chunks -> Arrow record batches
 *             (`BatchBuilder`) -> IPC stream bytes, written to a response that never blocks.
 *
 * streamMs - scanMs is the cost of converting to Arrow and serialising; an HTTP fetch of the
 * same URL minus streamMs is what the socket and the client add.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ROOT } from './util.mjs';

const require = createRequire(import.meta.url);
const serverLib = path.join(ROOT, 'packages', 'server', 'lib', 'datasets');

/** A stand-in for `http.ServerResponse` that accepts every write at once and counts bytes. */
class NullResponse {
  bytes = 0;
  destroyed = false;
  writableFinished = false;
  write(chunk) {
    this.bytes += chunk.byteLength;
    return true;
  }
  end() {
    this.writableFinished = true;
  }
  on() {}
  off() {}
}

/**
 * Times the route's pieces for one slice URL (`/api/datasets/<name>/arrow?...`) against the
 * dataset `listing` entry (from `GET /api/datasets`) whose file is in `dataDir`.
 */
export async function routePieces(sliceUrl, listing, dataDir, { threads = 2, memoryLimit = '2GB', batchRows = 16_384 } = {}) {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const { buildSelect, parseArrowQuery } = require(path.join(serverLib, 'routes.js'));
  const { streamResult } = require(path.join(serverLib, 'arrow.js'));
  const item = { entry: listing, path: path.join(dataDir, listing.file) };
  const query = parseArrowQuery(new URL(sliceUrl, 'http://x').searchParams, item);
  const { sql, values } = buildSelect(item, query);
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads), memory_limit: memoryLimit });
  const connection = await instance.connect();
  try {
    let t0 = performance.now();
    const scanned = await connection.stream(sql, values);
    let rows = 0;
    for (let chunk = await scanned.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await scanned.fetchChunk()) {
      rows += chunk.rowCount;
    }
    const scanMs = performance.now() - t0;
    t0 = performance.now();
    const res = new NullResponse();
    await streamResult(await connection.stream(sql, values), res, batchRows, () => undefined);
    const streamMs = performance.now() - t0;
    return { sql, rows, scanMs, streamMs, bytes: res.bytes };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Fetches a slice from the server as the Node engine would; times headers and the whole body. */
export async function timedFetch(server, sliceUrl) {
  const t0 = performance.now();
  const response = await fetch(`${server.url}${sliceUrl}`, { headers: { Authorization: `token ${server.token}` } });
  const ttfbMs = performance.now() - t0;
  if (!response.ok) {
    throw new Error(`${sliceUrl}: HTTP ${response.status} ${await response.text()}`);
  }
  const body = new Uint8Array(await response.arrayBuffer());
  return { ttfbMs, totalMs: performance.now() - t0, body };
}
