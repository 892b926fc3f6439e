/**
 * The story told by the data: what changes during the day, what breaks, and the ground truth an
 * investigation should arrive at.
 *
 * Times are fractions of the generated window, so the default 24 hours from midnight put the bad
 * deploy at 14:00 and the rollback at 16:00, and shorter windows keep the same shape.
 *
 * The incident: payment 2.4.0 ships with the fraud-model cache disabled by a changed config
 * default, so every charge reloads the model. Fraud checks take ~15x longer, CPU saturates,
 * requests queue (some for seconds), p50 latency rises about 5x with a long tail, and payment sheds
 * requests that waited past its 3 s queue deadline. Checkout gives up on payment after 2 s and
 * answers 504, which api-gateway and frontend pass on. Rolling back to 2.3.0 ends it.
 */

/** How a bad version of a service behaves; applied to spans, logs and metrics alike. */
export interface Regression {
  /** Service that regresses. */
  readonly service: string;
  readonly goodVersion: string;
  readonly badVersion: string;
  /** An internal step that becomes slow: the visible cause inside the traces. */
  readonly slowStep: { readonly name: string; readonly medianMs: number; readonly sigma: number };
  /** Time a request waits for a worker before any work starts (scaled with traffic). */
  readonly queue: { readonly medianMs: number; readonly sigma: number };
  /** Some requests are stuck behind a burst and wait far longer. */
  readonly stall: { readonly probability: number; readonly minMs: number; readonly maxMs: number };
  /** The service rejects requests (503) that waited longer than this in its queue. */
  readonly queueDeadlineMs: number;
  /** Extra CPU utilisation (0..1) while the bad version runs. */
  readonly extraCpu: number;
  /** Extra resident memory in MiB while the bad version runs (model copies awaiting GC). */
  readonly extraMemoryMb: number;
}

/** A routine deploy that changes nothing visible: a red herring in the event stream. */
export interface BackgroundDeploy {
  readonly service: string;
  readonly version: string;
  /** When, as a fraction of the window. */
  readonly at: number;
  readonly change: string;
}

/** A short, self-healing slowdown of one service, with its own alert: another red herring. */
export interface NoiseEpisode {
  readonly service: string;
  readonly at: number;
  readonly minutes: number;
  /** Multiplier on the service's own latency during the episode. */
  readonly latencyFactor: number;
  readonly alert: string;
}

/** An alert rule that fires during the incident. */
export interface IncidentAlert {
  readonly rule: string;
  readonly service: string;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
  /** Minutes after the start of the incident that the alert fires. */
  readonly firesAfterMin: number;
  /** If set, fires at this fraction of the incident window instead (for slowly growing faults). */
  readonly firesAtFraction?: number;
  /** Minutes after the rollback that it resolves. */
  readonly resolvesAfterMin: number;
  readonly condition: Record<string, string | number>;
}

/**
 * The ground truth of the injected incident, as written to `incident.json`. Times are ISO 8601 UTC.
 */
export interface IncidentTruth {
  /** Stable identifier of the scenario. */
  id: string;
  /** One-line summary, as an incident ticket would have it. */
  title: string;
  /** The service whose change caused the incident. */
  rootCauseService: string;
  /** The kind of change that caused it. */
  rootCauseKind: 'deploy';
  /** Version that introduced the regression. */
  badVersion: string;
  /** Version before the deploy, and the one rolled back to. */
  goodVersion: string;
  /**
   * When the bad version was deployed (equal to `start`).
   * @format date-time
   */
  deployTime: string;
  /**
   * First minute with impact.
   * @format date-time
   */
  start: string;
  /**
   * End of impact: the rollback.
   * @format date-time
   */
  end: string;
  /** Services whose own spans show errors or latency during the incident, root cause first. */
  affectedServices: string[];
  /** What an investigation should find in each signal. */
  symptoms: string[];
  /** What happened, why, and how it ended, in a paragraph. */
  description: string;
}

/** The payment regression. */
export const PAYMENT_REGRESSION: Regression = {
  service: 'payment',
  goodVersion: '2.3.0',
  badVersion: '2.4.0',
  slowStep: { name: 'fraud-check', medianMs: 210, sigma: 0.45 },
  queue: { medianMs: 180, sigma: 1.15 },
  stall: { probability: 0.14, minMs: 1500, maxMs: 6000 },
  queueDeadlineMs: 3000,
  extraCpu: 0.62,
  extraMemoryMb: 380
};

/** Fractions of the window at which the bad deploy and the rollback happen. */
export const INCIDENT_WINDOW = { deployAt: 14 / 24, rollbackAt: 16 / 24 } as const;

/** Harmless deploys earlier and later in the day. */
export const BACKGROUND_DEPLOYS: readonly BackgroundDeploy[] = [
  { service: 'catalog', version: '1.8.3', at: 9.2 / 24, change: 'add product badges' },
  { service: 'frontend', version: '3.1.1', at: 11.65 / 24, change: 'copy changes on cart page' },
  { service: 'recommendation', version: '0.9.4', at: 20.3 / 24, change: 'retrain ranking model' }
];

/** A brief recommendation slowdown in the morning that heals itself. */
export const NOISE_EPISODES: readonly NoiseEpisode[] = [
  {
    service: 'recommendation',
    at: 10.35 / 24,
    minutes: 12,
    latencyFactor: 3,
    alert: 'RecommendationLatencyHigh'
  }
];

/** Alerts raised by the incident. */
export const INCIDENT_ALERTS: readonly IncidentAlert[] = [
  {
    rule: 'PaymentLatencyHigh',
    service: 'payment',
    severity: 'critical',
    summary: 'payment p99 latency above 1000 ms for 3 minutes',
    firesAfterMin: 4,
    resolvesAfterMin: 4,
    condition: { metric: 'http.server.request.duration.p99', threshold_ms: 1000, for: '3m' }
  },
  {
    rule: 'CheckoutErrorRateHigh',
    service: 'checkout',
    severity: 'critical',
    summary: 'checkout 5xx ratio above 5% for 5 minutes',
    firesAfterMin: 6,
    resolvesAfterMin: 6,
    condition: { metric: 'http.server.errors / http.server.requests', threshold: 0.05, for: '5m' }
  }
];

/** Services whose spans show the incident, root cause first. */
export const AFFECTED_SERVICES: readonly string[] = [
  'payment',
  'checkout',
  'api-gateway',
  'frontend'
];

/** The narrative written into `incident.json`. */
export const INCIDENT_DESCRIPTION =
  'payment 2.4.0 was deployed with the fraud-model cache disabled by a changed configuration ' +
  'default, so every charge reloaded the fraud model. fraud-check spans became ~15x slower, payment ' +
  'CPU saturated and requests queued: payment p50 latency rose about 5x with a tail of several ' +
  'seconds, and payment rejected requests that waited more than 3000 ms (503). checkout calls ' +
  'payment with a 2000 ms timeout, so a share of checkouts failed with 504, which api-gateway and ' +
  'frontend passed on to users. Rolling payment back to 2.3.0 ended the incident.';

/** What each signal should show; written into `incident.json`. */
export const INCIDENT_SYMPTOMS: readonly string[] = [
  "spans: payment 'POST /charge' p50/p95 latency several times the previous hour; 'fraud-check' " +
    'INTERNAL spans ~15x slower; payment 503s after 3000 ms',
  'spans: checkout CLIENT spans to payment end at 2000 ms with status ERROR; checkout, api-gateway ' +
    'and frontend SERVER spans return 504 with status ERROR',
  "logs: checkout ERROR 'timeout calling payment after 2000ms'; payment WARN about fraud model " +
    'cache misses, queue depth and slow requests',
  'metrics: payment process.cpu.utilization near 1 and http.server.request.duration.p99 in seconds; ' +
    'checkout http.server.errors up',
  'events: deploy of payment 2.4.0 at the start, PaymentLatencyHigh and CheckoutErrorRateHigh ' +
    'alerts, rollback to 2.3.0 at the end'
];
