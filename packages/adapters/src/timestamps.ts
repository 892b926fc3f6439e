/**
 * Timestamp parsing to nanoseconds since the Unix epoch (bigint), exact to the nanosecond:
 * ISO-8601 / RFC 3339 with up to 9 fractional digits (`T` or space, `,` or `.` before the
 * fraction; no zone = `defaultOffsetMinutes`, UTC by default), and epoch numbers whose unit is
 * inferred from their magnitude (s, ms, us, ns). Also the fixed text-log formats used by
 * `log-formats.ts` via `fromParts`.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The 0-based month of an English month name or abbreviation, or -1. */
export function monthIndex(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase());
}

/** Date-time fields to combine into nanoseconds. */
export interface TimeParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fraction digits as written (`"978"` = 978 ms). */
  fraction?: string;
  /** Zone offset in minutes east of UTC. */
  offsetMinutes?: number;
}

/** Nanoseconds of `parts`, or null when a field is out of range. */
export function fromParts(parts: TimeParts): bigint | null {
  const { year, month, day, hour, minute, second } = parts;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return null;
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCDate() !== day || isNaN(ms)) {
    return null;
  }
  const fraction = (parts.fraction ?? '').slice(0, 9).padEnd(9, '0');
  return (
    BigInt(ms) * 1_000_000n + BigInt(fraction) - BigInt(parts.offsetMinutes ?? 0) * 60_000_000_000n
  );
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO-8601 / RFC 3339 date-time (see module comment); null when it is not one. */
export function parseIso(text: string, defaultOffsetMinutes = 0): bigint | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) {
    return null;
  }
  let offset = defaultOffsetMinutes;
  if (m[8] && m[8].toUpperCase() !== 'Z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    const digits = m[8].slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  } else if (m[8]) {
    offset = 0;
  }
  return fromParts({
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
    fraction: m[7],
    offsetMinutes: offset
  });
}

/**
 * Epoch time from a number or numeric string, unit by magnitude: < 1e11 seconds, < 1e14
 * milliseconds, < 1e17 microseconds, else nanoseconds. Fractions are kept to the nanosecond for
 * decimal strings.
 */
export function parseEpoch(value: number | string): bigint | null {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m || (typeof value === 'number' && !Number.isFinite(value))) {
    return null;
  }
  const whole = BigInt(m[1]);
  const digits = m[1].replace(/^0+/, '').length;
  const scale = digits <= 11 ? 9 : digits <= 14 ? 6 : digits <= 17 ? 3 : 0;
  const fraction = (m[2] ?? '').slice(0, scale).padEnd(scale, '0');
  return whole * 10n ** BigInt(scale) + (scale ? BigInt(fraction || '0') : 0n);
}

/** Parses an ISO string or an epoch number/string; null when neither. */
export function parseTimestamp(value: unknown, defaultOffsetMinutes = 0): bigint | null {
  if (typeof value === 'number') {
    return parseEpoch(value);
  }
  if (typeof value === 'bigint') {
    return value;
  }
  if (typeof value !== 'string') {
    return null;
  }
  return parseIso(value, defaultOffsetMinutes) ?? parseEpoch(value);
}
