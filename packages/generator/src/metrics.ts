/**
 * Per-minute service metrics on the timeline's grid: one point per service, metric and minute.
 *
 * Metrics describe the whole (notional) traffic of the shop, `PEAK_REQUESTS_PER_SECOND` user
 * requests at the daily peak, of which the traces are a sample; they do not depend on how many
 * spans were asked for. Request counts, latency and error shares come from the calibration of the
 * trace model, so a latency jump in the traces is a latency jump in the metrics too. A scenario's
 * perturbations add CPU and memory, blend latency and errors towards their calibrated values,
 * and may add series of their own (e.g. a database's connections).
 */
import { Calibration, ServiceProfile } from './calibrate';
import { CompiledModel } from './model';
import { Random } from './random';
import { MetricRow, MetricType } from './schema';
import { Timeline } from './timeline';

/** A metric the generator writes. */
export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly unit: string;
}

/** The metrics written for every service and minute, in row order. */
export const METRIC_SPECS: readonly MetricSpec[] = [
  { name: 'process.cpu.utilization', type: 'gauge', unit: '1' },
  { name: 'process.memory.usage', type: 'gauge', unit: 'By' },
  { name: 'http.server.request.duration.p99', type: 'gauge', unit: 'ms' },
  { name: 'http.server.requests', type: 'sum', unit: '{request}' },
  { name: 'http.server.errors', type: 'sum', unit: '{request}' }
];

/** User requests per second entering the frontend at the daily peak. */
export const PEAK_REQUESTS_PER_SECOND = 120;

/** Minutes of one garbage-collection sawtooth in the memory curves. */
const GC_PERIOD_MIN = 47;

const MIB = 1024 * 1024;

/**
 * A service's profile at scenario intensity `k`: p99 moves geometrically and the error share
 * linearly from the normal profile to the one under full stress.
 */
function blend(normal: ServiceProfile, stressed: ServiceProfile, k: number): ServiceProfile {
  const ratio = normal.p99Ms > 0 ? stressed.p99Ms / normal.p99Ms : 1;
  return {
    requestsPerTrace: normal.requestsPerTrace,
    p99Ms: normal.p99Ms * Math.pow(ratio, k),
    errorRate: normal.errorRate + (stressed.errorRate - normal.errorRate) * k
  };
}

/** Rounds to `digits` decimals, keeping files small and values readable. */
function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A count drawn around `mean` (normal approximation of Poisson), never negative. */
function count(rng: Random, mean: number): number {
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
}

/**
 * Emits every metric point of the window in time order through `emit` (one reused row object).
 */
export function generateMetrics(
  model: CompiledModel,
  timeline: Timeline,
  calibration: Calibration,
  rng: Random,
  emit: (row: MetricRow) => void
): number {
  const regression = timeline.regression;
  const regressionService = timeline.regressionService;
  const row: MetricRow = {
    timestampUs: 0,
    serviceName: '',
    hostName: '',
    metricName: '',
    metricType: 'gauge',
    unit: '',
    value: 0
  };
  const lastHost = model.services.map(() => '');
  const restartMinute = model.services.map(() => 0);
  // Each service's GC cycle starts at a different offset, so the curves do not move in lockstep.
  const gcOffset = model.services.map(() => rng.int(GC_PERIOD_MIN));
  let rows = 0;
  for (let m = 0; m < timeline.minutes; m++) {
    const cond = timeline.conditionsOfMinute(m);
    const profiles = cond.regressionActive ? calibration.regressed : calibration.normal;
    const userRequests = PEAK_REQUESTS_PER_SECOND * 60 * cond.load;
    row.timestampUs = timeline.minuteStart(m);
    model.services.forEach((service, s) => {
      if (cond.hosts[s] !== lastHost[s]) {
        // A new pod: memory starts from its baseline again.
        lastHost[s] = cond.hosts[s];
        restartMinute[s] = m;
      }
      const uptime = m - restartMinute[s];
      const regressed = cond.regressionActive && s === regressionService;
      const stress = cond.stress;
      const profile =
        stress !== null && calibration.stressed !== null
          ? blend(profiles[s], calibration.stressed[s], stress.level)
          : profiles[s];

      let cpu = service.cpuBase + service.cpuPerLoad * cond.load + 0.015 * rng.normal();
      if (regressed) {
        cpu += regression.extraCpu * (0.6 + 0.4 * cond.load);
      }
      cpu += 0.08 * (cond.slowdown[s] - 1);
      const perturbation = stress?.perturbations[s];
      if (stress && perturbation) {
        cpu += (perturbation.cpu ?? 0) * stress.intensity[s];
      }
      const gc = ((uptime + gcOffset[s]) % GC_PERIOD_MIN) / GC_PERIOD_MIN;
      let memoryMb =
        service.memoryMb * (1 + 0.12 * gc + 0.06 * Math.min(1, uptime / 30)) +
        25 * cond.load +
        4 * rng.normal();
      if (regressed) {
        memoryMb += regression.extraMemoryMb * Math.min(1, (uptime + 1) / 10);
      }
      if (stress && perturbation) {
        memoryMb += (perturbation.memoryMb ?? 0) * stress.intensity[s];
      }
      const p99 =
        profile.p99Ms *
        (cond.latencyFactor / calibration.latencyFactor) *
        cond.slowdown[s] *
        Math.exp(0.08 * rng.normal());
      const requests = count(rng, userRequests * profile.requestsPerTrace);
      const errors = Math.min(requests, count(rng, requests * profile.errorRate));

      const values = [
        round(Math.min(0.995, Math.max(0.005, cpu)), 4),
        Math.round(memoryMb * MIB),
        round(p99, 1),
        requests,
        errors
      ];
      row.serviceName = service.name;
      row.hostName = cond.hosts[s];
      METRIC_SPECS.forEach((spec, k) => {
        row.metricName = spec.name;
        row.metricType = spec.type;
        row.unit = spec.unit;
        row.value = values[k];
        emit(row);
        rows++;
      });
    });
    for (const series of timeline.scenario.extraSeries ?? []) {
      row.serviceName = series.service;
      row.hostName = series.host;
      row.metricName = series.metric;
      row.metricType = series.type;
      row.unit = series.unit;
      row.value = series.value(cond.stress?.level ?? 0, cond.load, rng);
      emit(row);
      rows++;
    }
  }
  return rows;
}
