/**
 * The arrow-free part of run records: the format tag, the timestamp check and the cell version.
 * The server's main thread (run log, validation, cell history) imports these; run-record.ts,
 * which loads apache-arrow through the result hasher, re-exports them.
 */
import { canonicalJson, type JsonValue } from './canonical-json';
import { sha256Hex } from './sha256';

/** The format tag of run records; a new shape gets a new tag. */
export const RUN_RECORD_FORMAT = 'opsbook.run.v1';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** True when `value` is an ISO-8601 UTC timestamp such as `Date.toISOString` writes. */
export function isIsoUtc(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value));
}

/** The encoding tag hashed into every cell version. */
export const CELL_VERSION_ENCODING = 'opsbook.cell.v1';

/**
 * Keys of `metadata.opsbook` that can change a cell's result and so belong to its version:
 * the metadata format version, the query template and its bound parameters, and dataset pins
 * (a manifest or snapshot id the cell reads instead of the latest). Keys listed here that a cell
 * does not have are simply absent from the hashed object.
 */
export const CELL_VERSION_KEYS = ['version', 'template', 'parameters', 'pins'] as const;

/** The `CELL_VERSION_KEYS` subset of a cell's metadata (`metadata.opsbook`). */
export function versionMetadata(metadata: unknown): { [key: string]: JsonValue } {
  const opsbook = (metadata as Record<string, unknown> | null | undefined)?.['opsbook'];
  const picked: { [key: string]: JsonValue } = {};
  if (opsbook && typeof opsbook === 'object' && !Array.isArray(opsbook)) {
    for (const key of CELL_VERSION_KEYS) {
      const value = (opsbook as Record<string, unknown>)[key];
      if (value !== undefined) {
        picked[key] = value as JsonValue;
      }
    }
  }
  return picked;
}

/**
 * The version of a cell: SHA-256 of the canonical JSON of
 * `{ "encoding": "opsbook.cell.v1", "source": <source text>, "opsbook": <versionMetadata> }`.
 * Other metadata (the chart choice, the run summaries, nbformat's `tags`, ...) changes how a
 * result is shown, not what it is, so editing it does not make a new version.
 */
export function cellVersion(cell: { source: string | string[]; metadata?: unknown }): string {
  const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
  if (typeof source !== 'string') {
    throw new TypeError('cellVersion: cell.source must be a string or an array of strings.');
  }
  return sha256Hex(
    canonicalJson({
      encoding: CELL_VERSION_ENCODING,
      source,
      opsbook: versionMetadata(cell.metadata)
    })
  );
}
