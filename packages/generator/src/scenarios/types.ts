/**
 * The scenario abstraction: what goes wrong, when, and what an investigation should find.
 *
 * A scenario is data plus a few small functions (log bodies, metric values). It declares
 *
 *   - its ground truth: root-cause service, start and end (fractions of the generated window),
 *     affected services and the symptoms a user should find, written to `ground-truth.json`;
 *   - changes on the timeline: deploys, rollbacks and restarts (events, new versions and pods);
 *   - alerts that fire during the window;
 *   - perturbations of the baseline, per service, over the window: latency multipliers, error
 *     probabilities, slow database calls with timeouts and retries, extra CPU and memory, and
 *     extra log lines; `shape: 'ramp'` grows the effect linearly over the window;
 *   - optionally extra metric series (e.g. a database's connections) and a host placement.
 *
 * The timeline turns this into per-minute `Stress` that the trace builder, the log composer and
 * the metric generator read, so every signal tells the same story.
 */
import { Random } from '../random';
import { IncidentAlert, Regression } from '../scenario';
import { MetricType, Severity } from '../schema';

/** The kind of fault behind a scenario. */
export type RootCauseKind =
  'deploy' | 'errors' | 'resource-leak' | 'noisy-neighbour' | 'dependency';

/** A log line that a perturbed service writes on some of its requests. */
export interface PerturbationLog {
  readonly severity: Severity;
  /** Probability per SERVER span at full intensity (scaled by the intensity). */
  readonly probability: number;
  /** Body of the line, given the intensity (0..1) and a random stream for numbers in it. */
  readonly body: (intensity: number, rng: Random) => string;
}

/**
 * How one service misbehaves during the scenario window. Every effect is its full-strength value;
 * at intensity k (0..1) a multiplier f becomes 1 + (f - 1) k and an amount a becomes a k.
 */
export interface Perturbation {
  /** The service affected. */
  readonly service: string;
  /** 'step' (default): full strength for the whole window; 'ramp': grows linearly from 0 to 1. */
  readonly shape?: 'step' | 'ramp';
  /** Multiplier on the service's own work (self time, internal steps and database calls). */
  readonly latencyFactor?: number;
  /** Median of a pause (GC, CPU steal) added to each request's own time, in ms. */
  readonly pauseMs?: number;
  /** Probability that a request fails at once with `errorStatus`. */
  readonly errorRate?: number;
  readonly errorStatus?: number;
  /** What the failing service logs (ERROR) for such a request. */
  readonly errorMessage?: string;
  /** Median of an extra wait (lock or connection wait) added to each database call, in ms. */
  readonly dbWaitMs?: number;
  /** Statement timeout of database calls: slower calls fail and are retried (`dbRetries`). */
  readonly dbTimeoutMs?: number;
  readonly dbRetries?: number;
  /** Name of the database the service's calls go to, for logs. */
  readonly database?: string;
  /** Extra CPU utilisation (0..1). */
  readonly cpu?: number;
  /** Extra resident memory in MiB. */
  readonly memoryMb?: number;
  /** An extra log line on some requests. */
  readonly log?: PerturbationLog;
}

/** A deploy, rollback or restart of a service, at the window's start, end or a fraction of it. */
export interface ScenarioChange {
  readonly kind: 'deploy' | 'rollback' | 'restart';
  readonly service: string;
  /** 'start' / 'end' of the scenario window, or a fraction of the generated window. */
  readonly at: 'start' | 'end' | number;
  /** New version (deploy, rollback); a restart keeps the running one. */
  readonly version?: string;
  /** What changed, or why the restart happened. */
  readonly change: string;
}

/** A metric series beyond the per-service ones, e.g. of a database the traces only call. */
export interface ExtraSeries {
  readonly service: string;
  readonly host: string;
  readonly metric: string;
  readonly type: MetricType;
  readonly unit: string;
  /** Value of a minute, given the scenario's intensity then (0 outside the window). */
  readonly value: (intensity: number, load: number, rng: Random) => number;
}

/**
 * A scenario of the library. `name` is what users pass (`--scenario error-burst`); the rest is
 * the ground truth and the perturbations described in the module comment.
 */
export interface Scenario {
  readonly name: string;
  /** Stable identifier of the incident, as an incident ticket would have it. */
  readonly id: string;
  readonly title: string;
  readonly rootCauseService: string;
  readonly rootCauseKind: RootCauseKind;
  /** Start and end of impact as fractions of the generated window. */
  readonly window: { readonly from: number; readonly to: number };
  /** Services whose own telemetry shows the incident, root cause first. */
  readonly affectedServices: readonly string[];
  /** What a user should find, one line per signal. */
  readonly symptoms: readonly string[];
  /** What happened, why, and how it ended, in a paragraph. */
  readonly description: string;
  readonly changes: readonly ScenarioChange[];
  readonly alerts: readonly IncidentAlert[];
  readonly perturbations: readonly Perturbation[];
  readonly extraSeries?: readonly ExtraSeries[];
  /** Host name by service for the whole window (default: each service's pod name). */
  readonly hosts?: Readonly<Record<string, string>>;
  /**
   * The payment regression's bespoke model (queueing, stalls, fraud-check logs), which predates
   * the perturbations; only `payment-regression` sets it.
   */
  readonly regression?: Regression;
}

/**
 * The ground truth of a scenario, as written to `ground-truth.json`. Times are ISO 8601 UTC.
 */
export interface GroundTruth {
  /** The scenario's name in the library, e.g. 'error-burst'. */
  scenario: string;
  /** Stable identifier of the incident. */
  id: string;
  /** One-line summary, as an incident ticket would have it. */
  title: string;
  /** The service (or dependency, e.g. a database) whose fault caused the incident. */
  rootCauseService: string;
  /** The kind of fault. */
  rootCauseKind: RootCauseKind;
  /**
   * First minute with impact.
   * @format date-time
   */
  start: string;
  /**
   * End of impact.
   * @format date-time
   */
  end: string;
  /** Services whose telemetry shows the incident, root cause first. */
  affectedServices: string[];
  /** What an investigation should find in each signal. */
  symptoms: string[];
  /** What happened, why, and how it ended, in a paragraph. */
  description: string;
}

/** A scenario's effect in one minute: the perturbation and intensity of each service. */
export interface Stress {
  /** Largest intensity of any service this minute (0..1). */
  readonly level: number;
  /** Perturbation by service index, `null` for untouched services. */
  readonly perturbations: readonly (Perturbation | null)[];
  /** Intensity (0..1) by service index. */
  readonly intensity: readonly number[];
}

/** `f` scaled to intensity `k`: 1 at k = 0, `f` at k = 1. */
export function scaledFactor(f: number | undefined, k: number): number {
  return f === undefined ? 1 : 1 + (f - 1) * k;
}
