/**
 * Measures the trace model once per run so that metrics agree with traces.
 *
 * Metrics describe all traffic, traces a sample of it, so metrics cannot be counted from the
 * spans that happen to be generated (at 20k spans most minutes have none). Instead we build a
 * few thousand pilot traces from a separate random stream, under normal conditions and with the
 * regression active, and read off each service's requests per user request, p99 latency and 5xx
 * share. The metric generator scales these by the minute's traffic.
 */
import { CompiledModel } from './model';
import { Random } from './random';
import { Regression } from './scenario';
import { Stress } from './scenarios/types';
import { TraceBuilder } from './spans';
import { Conditions } from './timeline';

/** What one service looks like from outside under one set of conditions. */
export interface ServiceProfile {
  /** SERVER spans of the service per user request (entry trace). */
  readonly requestsPerTrace: number;
  /** 99th percentile of its SERVER span durations, in milliseconds. */
  readonly p99Ms: number;
  /** Share of its SERVER spans that answered 5xx. */
  readonly errorRate: number;
}

/** Profiles of every service at peak load, by service index. */
export interface Calibration {
  readonly normal: readonly ServiceProfile[];
  readonly regressed: readonly ServiceProfile[];
  /** Under the scenario's perturbations at full strength; `null` when it has none. */
  readonly stressed: readonly ServiceProfile[] | null;
  /** Latency factor of the pilot conditions; metrics divide by it to rescale to a minute. */
  readonly latencyFactor: number;
}

/** Pilot traces per condition: enough for a stable p99 of the rarer services, still ~50 ms. */
const PILOT_TRACES = 3000;

/**
 * Builds pilot traces at peak load with and without the regression (and under `stress`, the
 * scenario's perturbations at full strength, if any) and summarises each service.
 */
export function calibrate(
  model: CompiledModel,
  regression: Regression,
  rng: Random,
  stress: Stress | null = null
): Calibration {
  const load = 1;
  const latencyFactor = 0.85 + 0.3 * load;
  const regressionService = model.serviceIndex(regression.service);
  const base: Conditions = {
    load,
    latencyFactor,
    versions: model.services.map(s => s.version),
    hosts: model.services.map(s => s.name),
    regressionActive: false,
    slowdown: model.services.map(() => 1),
    stress: null
  };
  const badVersions = base.versions.slice();
  badVersions[regressionService] = regression.badVersion;
  const bad: Conditions = { ...base, versions: badVersions, regressionActive: true };
  const builder = new TraceBuilder(model, regression, rng);
  return {
    normal: profile(model, builder, base),
    regressed: profile(model, builder, bad),
    // Last, so that the other profiles draw the same numbers whatever the scenario.
    stressed: stress === null ? null : profile(model, builder, { ...base, stress }),
    latencyFactor
  };
}

/** Runs the pilot under `cond` and summarises each service. */
function profile(model: CompiledModel, builder: TraceBuilder, cond: Conditions): ServiceProfile[] {
  const durations: number[][] = model.services.map(() => []);
  const errors = model.services.map(() => 0);
  for (let k = 0; k < PILOT_TRACES; k++) {
    const n = builder.build(builder.pickEntrypoint(), 0, cond);
    for (let i = 0; i < n; i++) {
      const span = builder.spans[i];
      if (span.spanKind === 'SERVER') {
        durations[span.serviceIndex].push((span.endUs - span.startUs) / 1000);
        if ((span.httpStatusCode ?? 0) >= 500) {
          errors[span.serviceIndex] += 1;
        }
      }
    }
  }
  return durations.map((list, s) => {
    const sorted = Float64Array.from(list).sort();
    return {
      requestsPerTrace: list.length / PILOT_TRACES,
      p99Ms:
        sorted.length === 0
          ? 0
          : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))],
      errorRate: list.length === 0 ? 0 : errors[s] / list.length
    };
  });
}
