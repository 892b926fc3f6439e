/**
 * Time ranges and steps of Prometheus range queries, as the Pull dialog offers and checks them:
 * the presets relative to now, Prometheus durations (`1m30s`) or float seconds as steps, an
 * automatic step of about 250 points, and Prometheus's limit of 11,000 points per series.
 */

/** Time range presets: label and length in seconds (0: custom). */
export const RANGE_PRESETS: { value: string; label: string; seconds: number }[] = [
  { value: '15m', label: 'Last 15 minutes', seconds: 15 * 60 },
  { value: '1h', label: 'Last hour', seconds: 3600 },
  { value: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { value: '24h', label: 'Last 24 hours', seconds: 24 * 3600 },
  { value: 'custom', label: 'Custom (UTC)', seconds: 0 }
];

/** Prometheus refuses range queries of more points than this per series. */
export const MAX_POINTS = 11_000;

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const UNITS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
  y: 31536000
};

/** Seconds of a Prometheus duration (`1m30s`) or float seconds (`15`, `0.5`); null if invalid. */
export function stepSeconds(step: string): number | null {
  const text = step.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    return Number(text) > 0 ? Number(text) : null;
  }
  if (!DURATION.test(text)) {
    return null;
  }
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(n) * UNITS[unit];
  }
  return total > 0 ? total : null;
}

/** A step that gives about 250 points over `seconds`, rounded to a familiar duration. */
export function autoStep(seconds: number): string {
  const nice = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400];
  const want = seconds / 250;
  const s = nice.find(n => n >= want) ?? nice[nice.length - 1];
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}
