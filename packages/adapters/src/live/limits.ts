/**
 * The bounds of a live pull, in one typed defaults object, each with why. A pull is interactive:
 * it must finish in seconds and its answer must fit in memory twice (the bytes, then the parsed
 * document checked before the snapshot is written).
 */

/**
 * Prometheus refuses a range query whose `(end - start) / step` exceeds 11,000
 * ("exceeded maximum resolution of 11,000 points per timeseries"); we check it before sending.
 */
export const PROMETHEUS_MAX_POINTS_PER_SERIES = 11_000;

/** The limits of one live pull. */
export interface LiveLimits {
  /** Samples in one Prometheus answer (points per series x series). */
  maxSamples: number;
  /** Alerts in one Alertmanager answer. */
  maxAlerts: number;
  /** Bytes of one answer body, read before it is parsed. */
  maxResponseBytes: number;
  /** Milliseconds for the whole request, body included. */
  timeoutMs: number;
}

/** The default limits of a live pull. */
export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  // One million points is ~100 series over a day at 15 s, or 1,000 series over an hour at 36 s:
  // enough for an investigation, and DuckDB charts it instantly. Ask for more with maxSamples.
  maxSamples: 1_000_000,
  // An Alertmanager with more than 10,000 alerts at once wants a filter, not a snapshot.
  maxAlerts: 10_000,
  // A query_range sample is ~30 bytes of JSON and a series' labels a few hundred: 1M samples is
  // ~40 MiB. 128 MiB leaves room for long label sets and is still safe in a browser tab.
  maxResponseBytes: 128 * 1024 * 1024,
  // Prometheus' own default query timeout is 2 minutes; a notebook user should not wait that
  // long without a word. 30 s, and Prometheus is told the same so it stops working too.
  timeoutMs: 30_000
};
