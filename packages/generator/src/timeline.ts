/**
 * The generated window on a minute grid: the daily traffic curve, which version and pod of each
 * service runs when, when the noise episodes happen, the scenario's perturbations minute by
 * minute, and its ground truth.
 *
 * All times are microseconds since the Unix epoch, as plain numbers: dates in this century are
 * about 1.8e15 us, well inside the 2^53 range where doubles hold integers exactly.
 */
import { hashString } from './random';
import { CompiledModel } from './model';
import {
  BACKGROUND_DEPLOYS,
  IncidentAlert,
  IncidentTruth,
  NOISE_EPISODES,
  PAYMENT_REGRESSION,
  Regression
} from './scenario';
import { PAYMENT_REGRESSION_SCENARIO } from './scenarios/payment-regression';
import { GroundTruth, Perturbation, Scenario, Stress } from './scenarios/types';

/** Microseconds per minute. */
export const MINUTE_US = 60_000_000;

/** What the system looks like during one minute; the trace builder and metrics read it. */
export interface Conditions {
  /** Traffic relative to the daily peak (about 0.16 at night to 1 in the afternoon). */
  readonly load: number;
  /** Multiplier on ordinary latencies: busier minutes are a little slower. */
  readonly latencyFactor: number;
  /** `service.version` by service index. */
  readonly versions: readonly string[];
  /** Pod name by service index. */
  readonly hosts: readonly string[];
  /** Whether the regressed version of the regression's service is running. */
  readonly regressionActive: boolean;
  /** Extra latency multiplier by service index (1 outside noise episodes). */
  readonly slowdown: readonly number[];
  /** The scenario's perturbations this minute; `null` outside its window (and always for the default). */
  readonly stress: Stress | null;
}

/** A deploy, rollback or restart of one service. */
export interface ChangeEvent {
  readonly kind: 'deploy' | 'rollback' | 'restart';
  readonly service: string;
  readonly serviceIndex: number;
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly timeUs: number;
  readonly change: string;
}

/** A noise episode placed on the grid. */
export interface PlacedEpisode {
  readonly service: string;
  readonly startUs: number;
  readonly endUs: number;
  readonly alert: string;
}

/** Derives traffic load (about 0.16..1) from the UTC hour of day: quiet at 04:00, busiest at 16:00. */
export function trafficShape(timeUs: number): number {
  const hour = (timeUs / 3_600_000_000) % 24;
  const diurnal = Math.pow((1 - Math.cos((2 * Math.PI * (hour - 4)) / 24)) / 2, 1.2);
  const evening = 0.07 * Math.exp(-((hour - 20) ** 2) / (2 * 1.2 ** 2));
  return 0.16 + 0.84 * diurnal + evening;
}

/** Kubernetes' alphabet for generated name suffixes (no vowels, no look-alike digits). */
const POD_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Spells a hash in the pod alphabet, `length` characters. */
function podChars(hash: number, length: number): string {
  let out = '';
  let h = hash;
  for (let i = 0; i < length; i++) {
    out += POD_ALPHABET[h % POD_ALPHABET.length];
    h = Math.floor(h / POD_ALPHABET.length) || hashString(out);
  }
  return out;
}

/**
 * Names the pod running `version` of a service after its `generation`-th rollout, the way a
 * Kubernetes Deployment does: the middle part hashes the pod template (so it changes with the
 * version and comes back on rollback), the suffix is new on every rollout.
 */
export function podName(service: string, version: string, generation: number): string {
  const template = podChars(hashString(`${service}@${version}`), 10);
  const suffix = podChars(hashString(`${service}@${version}#${generation}`), 5);
  return `${service}-${template}-${suffix}`;
}

/**
 * The generated window: minute grid, traffic, changes and incident. Built once per run from the
 * start time and length; everything in it is a pure function of those and the topology.
 */
export class Timeline {
  /** First microsecond of the window. */
  readonly startUs: number;
  /** End of the window (exclusive). */
  readonly endUs: number;
  /** Number of whole minutes in the window. */
  readonly minutes: number;
  /** Deploys, rollbacks and restarts in time order. */
  readonly changes: readonly ChangeEvent[];
  /** Noise episodes in time order. */
  readonly episodes: readonly PlacedEpisode[];
  /** The scenario told by this timeline. */
  readonly scenario: Scenario;
  /**
   * The payment regression's model and its service index; it is only active when the scenario
   * deploys the bad version (the default scenario).
   */
  readonly regression: Regression;
  readonly regressionService: number;
  /** Start and end of the scenario's impact, in microseconds. */
  readonly incidentStartUs: number;
  readonly incidentEndUs: number;
  /** Alerts the scenario raises. */
  readonly alerts: readonly IncidentAlert[];
  /** Ground truth for `ground-truth.json`. */
  readonly truth: GroundTruth;
  /** Ground truth for `incident.json`: the payment regression only, `null` for other scenarios. */
  readonly incident: IncidentTruth | null;
  /** Every perturbation at full strength, for calibrating metrics; `null` if there are none. */
  readonly fullStress: Stress | null;

  private readonly conditions: Conditions[];
  /** Running total of per-minute traffic weight; `cumulative[m]` is the weight before minute m. */
  private readonly cumulative: Float64Array;

  /**
   * Lays out a window of `hours` starting at `startMs` (milliseconds since the epoch) for `model`,
   * telling `scenario` (by default the payment regression).
   */
  constructor(
    startMs: number,
    hours: number,
    model: CompiledModel,
    scenario: Scenario = PAYMENT_REGRESSION_SCENARIO
  ) {
    this.startUs = startMs * 1000;
    this.minutes = Math.max(1, Math.round(hours * 60));
    this.endUs = this.startUs + this.minutes * MINUTE_US;
    this.scenario = scenario;
    this.regression = scenario.regression ?? PAYMENT_REGRESSION;
    this.regressionService = model.serviceIndex(this.regression.service);
    this.alerts = scenario.alerts;
    const atMinute = (fraction: number): number => Math.round(fraction * this.minutes);
    const startMinute = atMinute(scenario.window.from);
    const endMinute = Math.max(startMinute + 1, atMinute(scenario.window.to));
    this.incidentStartUs = this.minuteStart(startMinute);
    this.incidentEndUs = this.minuteStart(endMinute);

    const planned = [
      ...BACKGROUND_DEPLOYS.map(d => ({
        kind: 'deploy' as ChangeEvent['kind'],
        service: d.service,
        version: d.version as string | undefined,
        minute: atMinute(d.at),
        change: d.change
      })),
      ...scenario.changes.map(c => ({
        kind: c.kind,
        service: c.service,
        version: c.version,
        minute: c.at === 'start' ? startMinute : c.at === 'end' ? endMinute : atMinute(c.at),
        change: c.change
      }))
    ].sort((a, b) => a.minute - b.minute);

    // Walk the minutes once, applying changes as their minute comes, so each minute shares the
    // version and pod arrays of the rollout state it belongs to.
    const hostOf = (i: number, version: string, generation: number): string =>
      scenario.hosts?.[model.services[i].name] ??
      podName(model.services[i].name, version, generation);
    const versions = model.services.map(s => s.version);
    const generations = model.services.map(() => 0);
    const hosts = model.services.map((_, i) => hostOf(i, versions[i], generations[i]));
    const changes: ChangeEvent[] = [];
    this.episodes = NOISE_EPISODES.map(e => {
      const start = atMinute(e.at);
      return {
        service: e.service,
        startUs: this.minuteStart(start),
        endUs: this.minuteStart(Math.min(this.minutes, start + e.minutes)),
        alert: e.alert
      };
    });
    const perturbations = model.services.map(() => null as Perturbation | null);
    for (const p of scenario.perturbations) {
      perturbations[model.serviceIndex(p.service)] = p;
    }
    const stressOf = (m: number): Stress | null => {
      if (scenario.perturbations.length === 0 || m < startMinute || m >= endMinute) {
        return null;
      }
      const ramp = (m - startMinute + 1) / (endMinute - startMinute);
      const intensity = perturbations.map(p => (p === null ? 0 : p.shape === 'ramp' ? ramp : 1));
      return { level: Math.max(...intensity), perturbations, intensity };
    };
    this.fullStress =
      scenario.perturbations.length === 0
        ? null
        : { level: 1, perturbations, intensity: perturbations.map(p => (p === null ? 0 : 1)) };
    let next = 0;
    let stateVersions: readonly string[] = versions.slice();
    let stateHosts: readonly string[] = hosts.slice();
    this.conditions = [];
    this.cumulative = new Float64Array(this.minutes + 1);
    for (let m = 0; m < this.minutes; m++) {
      let changed = false;
      while (next < planned.length && planned[next].minute <= m) {
        const p = planned[next++];
        const i = model.serviceIndex(p.service);
        const version = p.version ?? versions[i];
        changes.push({
          kind: p.kind,
          service: p.service,
          serviceIndex: i,
          fromVersion: versions[i],
          toVersion: version,
          timeUs: this.minuteStart(m),
          change: p.change
        });
        versions[i] = version;
        generations[i] += 1;
        hosts[i] = hostOf(i, version, generations[i]);
        changed = true;
      }
      if (changed) {
        stateVersions = versions.slice();
        stateHosts = hosts.slice();
      }
      const t = this.minuteStart(m);
      const load = trafficShape(t + MINUTE_US / 2);
      const slowdown = model.services.map(() => 1);
      NOISE_EPISODES.forEach((e, k) => {
        if (t >= this.episodes[k].startUs && t < this.episodes[k].endUs) {
          slowdown[model.serviceIndex(e.service)] = e.latencyFactor;
        }
      });
      this.conditions.push({
        load,
        latencyFactor: 0.85 + 0.3 * load,
        versions: stateVersions,
        hosts: stateHosts,
        regressionActive:
          scenario.regression !== undefined &&
          stateVersions[this.regressionService] === this.regression.badVersion,
        slowdown,
        stress: stressOf(m)
      });
      this.cumulative[m + 1] = this.cumulative[m] + load;
    }
    this.changes = changes;
    this.truth = {
      scenario: scenario.name,
      id: scenario.id,
      title: scenario.title,
      rootCauseService: scenario.rootCauseService,
      rootCauseKind: scenario.rootCauseKind,
      start: isoFromUs(this.incidentStartUs),
      end: isoFromUs(this.incidentEndUs),
      affectedServices: scenario.affectedServices.slice(),
      symptoms: scenario.symptoms.slice(),
      description: scenario.description
    };
    const regression = scenario.regression;
    this.incident =
      regression === undefined
        ? null
        : {
            id: scenario.id,
            title: scenario.title,
            rootCauseService: scenario.rootCauseService,
            rootCauseKind: 'deploy',
            badVersion: regression.badVersion,
            goodVersion: regression.goodVersion,
            deployTime: isoFromUs(this.incidentStartUs),
            start: isoFromUs(this.incidentStartUs),
            end: isoFromUs(this.incidentEndUs),
            affectedServices: scenario.affectedServices.slice(),
            symptoms: scenario.symptoms.slice(),
            description: scenario.description
          };
  }

  /** Start of minute `m` of the window. */
  minuteStart(m: number): number {
    return this.startUs + m * MINUTE_US;
  }

  /** Conditions of minute `m` (clamped to the window). */
  conditionsOfMinute(m: number): Conditions {
    return this.conditions[Math.min(this.minutes - 1, Math.max(0, m))];
  }

  /** Conditions at a time. */
  conditionsAt(timeUs: number): Conditions {
    return this.conditionsOfMinute(Math.floor((timeUs - this.startUs) / MINUTE_US));
  }

  /**
   * Maps a position `u` in [0, 1) of the day's traffic to a time: the inverse of the cumulative
   * traffic curve. Placing the k-th of n requests at u = k / n spaces requests densely at peak and
   * sparsely at night, and the last one still lands inside the window. A margin is kept at the end
   * so that the children of the last requests do not spill past it.
   */
  timeOfTrafficPosition(u: number): number {
    const total = this.cumulative[this.minutes];
    const target = Math.min(Math.max(u, 0), 1) * total;
    let lo = 0;
    let hi = this.minutes - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cumulative[mid] <= target) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    const weight = this.cumulative[lo + 1] - this.cumulative[lo];
    const within = Math.min(1, (target - this.cumulative[lo]) / weight);
    const windowUs = this.endUs - this.startUs;
    const usable = windowUs - Math.min(20_000_000, windowUs / 1000);
    return this.startUs + Math.floor((((lo + within) * MINUTE_US) / windowUs) * usable);
  }
}

/** Formats microseconds since the epoch as ISO 8601 UTC. */
export function isoFromUs(timeUs: number): string {
  return new Date(timeUs / 1000).toISOString();
}
