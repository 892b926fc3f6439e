import { calibrate } from '../src/calibrate';
import { generateMetrics, METRIC_SPECS } from '../src/metrics';
import { compileTopology } from '../src/model';
import { Random } from '../src/random';
import { MetricRow } from '../src/schema';
import { Timeline } from '../src/timeline';
import { TOPOLOGY } from '../src/topology';

const model = compileTopology(TOPOLOGY);
const timeline = new Timeline(Date.parse('2026-11-10T00:00:00Z'), 24, model);

function metrics(seed: number): MetricRow[] {
  const calibration = calibrate(model, timeline.regression, new Random(seed));
  const rows: MetricRow[] = [];
  generateMetrics(model, timeline, calibration, new Random(seed + 1), row => rows.push({ ...row }));
  return rows;
}

describe('generateMetrics', () => {
  const rows = metrics(5);

  it('writes one point per service, metric and minute', () => {
    expect(rows).toHaveLength(1440 * TOPOLOGY.services.length * METRIC_SPECS.length);
    const keys = new Set(rows.map(r => `${r.timestampUs}|${r.serviceName}|${r.metricName}`));
    expect(keys.size).toBe(rows.length);
  });

  it('keeps values in their units: utilisation in 0..1, counts whole and not negative', () => {
    // Collect offenders instead of asserting per row: 72,000 expect() calls take seconds.
    const bad = rows.filter(r =>
      r.metricName === 'process.cpu.utilization'
        ? !(r.value > 0 && r.value < 1)
        : r.metricType === 'sum' && !(Number.isInteger(r.value) && r.value >= 0)
    );
    expect(bad).toEqual([]);
  });

  it('puts payment CPU near saturation while the bad version runs', () => {
    const cpu = (hour: number): number => {
      const values = rows
        .filter(r => r.serviceName === 'payment' && r.metricName === 'process.cpu.utilization')
        .filter(r => new Date(r.timestampUs / 1000).getUTCHours() === hour)
        .map(r => r.value);
      return values.reduce((s, v) => s + v, 0) / values.length;
    };
    expect(cpu(15)).toBeGreaterThan(0.85);
    expect(cpu(13)).toBeLessThan(0.4);
  });

  it('is reproducible from its seeds', () => {
    expect(metrics(5).slice(0, 500)).toEqual(rows.slice(0, 500));
  });
});
