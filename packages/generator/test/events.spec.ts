import { buildEvents } from '../src/events';
import { compileTopology } from '../src/model';
import { Timeline } from '../src/timeline';
import { TOPOLOGY } from '../src/topology';

const model = compileTopology(TOPOLOGY);

describe('buildEvents', () => {
  const timeline = new Timeline(Date.parse('2026-11-10T00:00:00Z'), 24, model);
  const events = buildEvents(timeline);

  it('lists deploys, rollbacks and alert state changes in time order', () => {
    const times = events.map(e => e.timestampUs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(events.map(e => e.kind))).toEqual(new Set(['deploy', 'alert', 'rollback']));
    for (const e of events) {
      expect(e.summary.length).toBeGreaterThan(0);
      expect(e.source).toBe(
        e.kind === 'alert' ? 'alertmanager' : e.kind === 'deploy' ? 'argo-cd' : 'oncall'
      );
    }
  });

  it('fires the incident alerts after the deploy and resolves them after the rollback', () => {
    for (const rule of ['PaymentLatencyHigh', 'CheckoutErrorRateHigh']) {
      const states = events
        .filter(e => e.kind === 'alert' && e.name === rule)
        .map(e => [e.status, e.timestampUs]);
      expect(states.map(s => s[0])).toEqual(['firing', 'resolved']);
      expect(states[0][1]).toBeGreaterThan(timeline.incidentStartUs);
      expect(states[0][1]).toBeLessThan(timeline.incidentEndUs);
      expect(states[1][1]).toBeGreaterThan(timeline.incidentEndUs);
    }
  });

  it('keeps every event inside a short window', () => {
    const short = new Timeline(Date.parse('2026-11-10T00:00:00Z'), 1, model);
    for (const e of buildEvents(short)) {
      expect(e.timestampUs).toBeGreaterThanOrEqual(short.startUs);
      expect(e.timestampUs).toBeLessThan(short.endUs);
    }
  });
});
