/**
 * The one catalog of user-facing ingest errors and quarantine reasons. Every message says what was
 * wrong; `IngestError` and `QuarantinedRecord` add where (source, line, byte, record path); each
 * entry ends with what to do. Adapters only ever refer to a code and its details.
 */

/** Where in the input a problem is: any of line, byte offset and record path that are known. */
export interface InputPosition {
  /** 1-based line number (line-oriented formats). */
  line?: number;
  /** 0-based byte offset in the decoded (decompressed) input. */
  byteOffset?: number;
  /** Path of the record, e.g. `resourceSpans[0].scopeSpans[1].spans[3]` or `row 17`. */
  record?: string;
}

/** Details a message may use. */
export interface ErrorDetails {
  [key: string]: string | number | bigint | undefined;
}

const fix = {
  quarantine:
    'Fix the record at the source, or ingest with onError: "quarantine" to keep the rest.',
  limit: 'Raise the limit in the ingest options if the input is trusted.'
};

/** The message of every error and quarantine code. */
export const MESSAGES = {
  'invalid-utf8': (d: ErrorDetails) =>
    `Invalid UTF-8 at byte ${d.at}. Re-encode the input as UTF-8. ${fix.quarantine}`,
  'line-too-long': (d: ErrorDetails) =>
    `Line is ${d.length} bytes, longer than the limit of ${d.limit} bytes. ${fix.limit}`,
  'record-too-large': (d: ErrorDetails) =>
    `Record is larger than the limit of ${d.limit} bytes. ${fix.limit}`,
  'decompressed-too-large': (d: ErrorDetails) =>
    `Compressed input expands past the limit of ${d.limit} bytes; ingest stopped. ${fix.limit}`,
  'gzip-corrupt': (d: ErrorDetails) =>
    `The gzip stream is corrupt or truncated (${d.reason}). Check the file was copied completely.`,
  'json-syntax': (d: ErrorDetails) => `Malformed JSON: ${d.reason}. ${fix.quarantine}`,
  'json-truncated': (d: ErrorDetails) =>
    `The JSON ends early, inside ${d.inside}. The file looks truncated; export it again.`,
  'not-a-json-object': (d: ErrorDetails) =>
    `Expected a JSON object (${d.expected}) but found ${d.found}. Check the adapter matches the file.`,
  'wrong-type': (d: ErrorDetails) =>
    `Field "${d.field}" should be ${d.expected} but is ${d.found}. ${fix.quarantine}`,
  'missing-field': (d: ErrorDetails) =>
    `Required field "${d.field}" is missing or empty. ${fix.quarantine}`,
  'bad-timestamp': (d: ErrorDetails) =>
    `Field "${d.field}" has an invalid timestamp ${d.value}. Use Unix nanoseconds, or an ISO-8601 ` +
    `time with a zone. ${fix.quarantine}`,
  'bad-id': (d: ErrorDetails) =>
    `Field "${d.field}" has an invalid ${d.kind} id ${d.value}: expected ${d.hexDigits} hex digits ` +
    `(or base64 of ${d.bytes} bytes), not all zero. ${fix.quarantine}`,
  'bad-integer': (d: ErrorDetails) =>
    `Field "${d.field}" should be a 64-bit integer (a JSON string or number) but is ${d.value}. ` +
    fix.quarantine,
  'bad-number': (d: ErrorDetails) =>
    `Field "${d.field}" should be a number but is ${d.value}. ${fix.quarantine}`,
  'bad-enum': (d: ErrorDetails) =>
    `Field "${d.field}" has an unknown value ${d.value}; expected one of ${d.expected}. ` +
    fix.quarantine,
  'histogram-shape': (d: ErrorDetails) =>
    `Histogram has ${d.counts} bucket counts for ${d.bounds} bounds; expected bounds + 1. ` +
    fix.quarantine,
  'metric-without-data': (d: ErrorDetails) =>
    `Metric "${d.name}" has no gauge, sum, histogram, exponentialHistogram or summary. ` +
    fix.quarantine,
  'prometheus-syntax': (d: ErrorDetails) =>
    `Not a Prometheus exposition line: ${d.reason}. ${fix.quarantine}`,
  'prometheus-api-error': (d: ErrorDetails) =>
    `The Prometheus API answered status "${d.status}" (${d.errorType}: ${d.error}). Fix the query.`,
  'prometheus-result-type': (d: ErrorDetails) =>
    `Unsupported Prometheus result type "${d.resultType}"; expected matrix or vector. ` +
    'Query a range or instant vector.',
  'no-timestamp': (d: ErrorDetails) =>
    `No timestamp found in ${d.where}. Give a timestamp mapping, or fix the record. ` +
    fix.quarantine,
  'not-json-line': (d: ErrorDetails) =>
    `Line is not a JSON object (${d.reason}). ${fix.quarantine}`,
  'csv-syntax': (d: ErrorDetails) => `Malformed CSV: ${d.reason}. ${fix.quarantine}`,
  'csv-width': (d: ErrorDetails) =>
    `Row has ${d.found} fields but the header has ${d.expected}. ${fix.quarantine}`,
  'mapping-unknown-column': (d: ErrorDetails) =>
    `Mapping names column "${d.column}", which the input does not have (it has ${d.available}). ` +
    'Fix the column mapping.',
  'mapping-unknown-target': (d: ErrorDetails) =>
    `Mapping targets "${d.column}", which is not a column of table ${d.table}. ` +
    'See docs/telemetry-schema.md for the columns.',
  'bad-value': (d: ErrorDetails) =>
    `Column "${d.column}" cannot hold ${d.value} (${d.expected} expected). ${fix.quarantine}`,
  'catalog-invalid': (d: ErrorDetails) =>
    `The service catalog is invalid: ${d.reason}. Give a JSON array or a CSV with a "service" column.`,
  'arrow-invalid': (d: ErrorDetails) =>
    `The input is not a readable Arrow IPC stream or file (${d.reason}).`,
  'parquet-invalid': (d: ErrorDetails) =>
    `The input is not a readable Parquet file (${d.reason}). Check the file was copied completely.`,
  'protobuf-invalid': (d: ErrorDetails) =>
    `Malformed OTLP protobuf: ${d.reason}. Check the file is a binary ${d.message ?? 'OTLP export request'} ` +
    `(optionally length-delimited) and was copied completely. ${fix.quarantine}`,
  'adapter-unknown': (d: ErrorDetails) =>
    `Unknown adapter kind "${d.kind}". Use one of: ${d.known}.`,
  'adapter-option-missing': (d: ErrorDetails) =>
    `The ${d.kind} adapter needs the option "${d.option}": ${d.hint}.`,
  'unsupported-environment': (d: ErrorDetails) =>
    `${d.feature} is not available in this environment. ${d.hint}`
} as const;

/** A code of the catalog. */
export type ErrorCode = keyof typeof MESSAGES;

/** Formats a position as `line 3, byte 120, resourceSpans[0].scopeSpans[0].spans[2]`. */
export function formatPosition(position: InputPosition): string {
  const parts: string[] = [];
  if (position.line !== undefined) {
    parts.push(`line ${position.line}`);
  }
  if (position.byteOffset !== undefined) {
    parts.push(`byte ${position.byteOffset}`);
  }
  if (position.record !== undefined) {
    parts.push(position.record);
  }
  return parts.join(', ');
}

/** The message of `code` with `details`, without position. */
export function messageOf(code: ErrorCode, details: ErrorDetails = {}): string {
  return MESSAGES[code](details);
}

/**
 * An error that stops an ingest: a rejected record (policy "reject") or a problem with the input
 * as a whole (decompression limit, unreadable format). `message` includes the position.
 */
export class IngestError extends Error {
  /** The catalog code. */
  readonly code: ErrorCode;
  /** Where the problem is. */
  readonly position: InputPosition;
  /** The message without position. */
  readonly reason: string;

  constructor(code: ErrorCode, details: ErrorDetails = {}, position: InputPosition = {}) {
    const reason = messageOf(code, details);
    const where = formatPosition(position);
    super(where ? `${where}: ${reason}` : reason);
    this.name = 'IngestError';
    this.code = code;
    this.position = position;
    this.reason = reason;
  }
}

/**
 * A record problem raised while mapping one record; the ingest context turns it into a quarantine
 * entry or an `IngestError`, depending on the policy.
 */
export class RecordProblem extends Error {
  /** The catalog code. */
  readonly code: ErrorCode;
  /** The message details. */
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, details: ErrorDetails = {}) {
    super(messageOf(code, details));
    this.name = 'RecordProblem';
    this.code = code;
    this.details = details;
  }
}

/** Short description of a JSON value's type for messages: `a string "x"`, `an object`, ... */
export function describeValue(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  return `the ${typeof value} ${String(value)}`;
}
