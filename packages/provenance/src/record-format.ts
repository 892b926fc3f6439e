/**
 * The arrow-free part of run records: the format tag and the timestamp check. The server's main
 * thread (run log, validation) imports these; run-record.ts, which loads apache-arrow through the
 * result hasher, re-exports them.
 */

/** The format tag of run records; a new shape gets a new tag. */
export const RUN_RECORD_FORMAT = 'opsbook.run.v1';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** True when `value` is an ISO-8601 UTC timestamp such as `Date.toISOString` writes. */
export function isIsoUtc(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value));
}
