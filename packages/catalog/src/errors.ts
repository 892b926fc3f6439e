/**
 * The one catalog of user-facing catalog errors. Every message says what was wrong, where (store,
 * dataset, snapshot, file) and what to do; code elsewhere only refers to a code and its details.
 */

/** Details a message may use. */
export interface CatalogErrorDetails {
  [key: string]: string | number | undefined;
}

/** The message of every catalog error code. */
export const CATALOG_MESSAGES = {
  'bad-dataset-name': (d: CatalogErrorDetails) =>
    `Dataset name '${d.name}' is not valid: use lower-case letters, digits and '_', not starting ` +
    'with a digit (it becomes a directory and a SQL table name).',
  'bad-option': (d: CatalogErrorDetails) => `Ingest option '${d.option}' is invalid: ${d.reason}.`,
  'no-input': () =>
    'The ingest has no input: pass either `batches` (with `table`) or `adapter` and `input`.',
  'unexpected-table': (d: CatalogErrorDetails) =>
    `The input holds ${d.found} rows but the ingest into dataset '${d.dataset}' was restricted to ` +
    `table '${d.table}'. Omit \`table\` to store every table, or split the input.`,
  'schema-mismatch': (d: CatalogErrorDetails) =>
    `A record batch for table '${d.table}' has no column '${d.column}' (batch ${d.batch}). Produce ` +
    'batches with the canonical schema (`arrowSchema` of @opsbook/telemetry-schema).',
  'store-unusable': (d: CatalogErrorDetails) =>
    `Cannot use '${d.dir}' as a catalog store: ${d.reason}. Check the path exists and is writable.`,
  'catalog-unreadable': (d: CatalogErrorDetails) =>
    `The catalog database '${d.file}' cannot be opened: ${d.reason}. Restore it from a backup; the ` +
    'snapshot files beside it are intact and are not read without it.',
  'catalog-newer': (d: CatalogErrorDetails) =>
    `The catalog database '${d.file}' has format version ${d.found}, newer than this Opsbook ` +
    `understands (${d.supported}). Upgrade Opsbook.`,
  'unknown-dataset': (d: CatalogErrorDetails) =>
    `No dataset '${d.dataset}' in the catalog at '${d.store}'. List datasets with ` +
    '`opsbook catalog ls`.',
  'unknown-snapshot': (d: CatalogErrorDetails) =>
    `No snapshot or manifest '${d.id}' in the catalog at '${d.store}'. ` +
    '`opsbook catalog show <dataset>` lists the ids of a dataset.',
  'pin-of-other-dataset': (d: CatalogErrorDetails) =>
    `Pin '${d.id}' belongs to dataset '${d.owner}', not '${d.dataset}'. Pin an id of '${d.dataset}'.`,
  'snapshot-missing': (d: CatalogErrorDetails) =>
    `Snapshot ${d.id} of dataset '${d.dataset}' is missing its file '${d.file}'. Restore the file ` +
    'from a backup (snapshots are immutable, so any copy of it is good) or re-ingest the source ' +
    `(${d.source}).`,
  'snapshot-corrupt': (d: CatalogErrorDetails) =>
    `Snapshot file '${d.file}' (dataset '${d.dataset}', snapshot ${d.id}) is damaged: ${d.reason}. ` +
    `Restore it from a backup or re-ingest the source (${d.source}).`,
  'concurrent-ingest': (d: CatalogErrorDetails) =>
    `Dataset '${d.dataset}' changed while this ingest ran (another ingest committed manifest ` +
    `${d.manifest}). Nothing was stored; run the ingest again.`,
  closed: () => 'The catalog is closed. Open it again with `Catalog.open(storeDir)`.'
} as const;

/** A catalog error code. */
export type CatalogErrorCode = keyof typeof CATALOG_MESSAGES;

/** The message of `code` with `details`. */
export function catalogMessage(code: CatalogErrorCode, details: CatalogErrorDetails = {}): string {
  return CATALOG_MESSAGES[code](details);
}

/** An error for people, with a stable `code` for programs. */
export class CatalogError extends Error {
  /** The catalog code. */
  readonly code: CatalogErrorCode;
  /** The details the message was built from. */
  readonly details: CatalogErrorDetails;

  constructor(code: CatalogErrorCode, details: CatalogErrorDetails = {}, options?: ErrorOptions) {
    super(catalogMessage(code, details), options);
    this.name = 'CatalogError';
    this.code = code;
    this.details = details;
  }
}
