/**
 * Ids for threads, messages and hypotheses. They only need to be unique within one notebook, and
 * `crypto.randomUUID` is missing on plain-HTTP pages, so this mixes the time with random bits.
 */

/** A new id such as `c-lx3k2a-9f8e7d6c`; `prefix` tells threads, messages and hypotheses apart. */
export function newId(prefix: string): string {
  let random = '';
  for (let i = 0; i < 2; i++) {
    random += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  }
  return `${prefix}-${Date.now().toString(36)}-${random}`;
}

/** The current time as an ISO 8601 string. */
export function nowIso(): string {
  return new Date().toISOString();
}
