import { compileTopology } from '../src/model';
import { MINUTE_US, podName, Timeline, trafficShape } from '../src/timeline';
import { TOPOLOGY } from '../src/topology';

const model = compileTopology(TOPOLOGY);
const START = Date.parse('2026-11-10T00:00:00Z');
const timeline = new Timeline(START, 24, model);
const us = (iso: string): number => Date.parse(iso) * 1000;
const payment = model.serviceIndex('payment');

describe('Timeline', () => {
  it('lays a day out on a minute grid', () => {
    expect(timeline.minutes).toBe(1440);
    expect(timeline.startUs).toBe(START * 1000);
    expect(timeline.endUs - timeline.startUs).toBe(1440 * MINUTE_US);
  });

  it('maps traffic positions to increasing times inside the window, denser at peak', () => {
    let previous = -Infinity;
    let outOfOrder = 0;
    const perHour = new Array<number>(24).fill(0);
    for (let k = 0; k < 10_000; k++) {
      const t = timeline.timeOfTrafficPosition(k / 10_000);
      if (t < previous || t >= timeline.endUs) {
        outOfOrder++;
      }
      perHour[Math.floor((t - timeline.startUs) / (60 * MINUTE_US))]++;
      previous = t;
    }
    expect(outOfOrder).toBe(0);
    expect(timeline.timeOfTrafficPosition(0)).toBe(timeline.startUs);
    expect(perHour[16]).toBeGreaterThan(3 * perHour[4]);
    expect(trafficShape(us('2026-11-10T16:00:00Z'))).toBeGreaterThan(0.95);
  });

  it('runs payment 2.4.0 from 14:00 until the rollback at 16:00', () => {
    const version = (iso: string): string => timeline.conditionsAt(us(iso)).versions[payment];
    expect(version('2026-11-10T13:59:59Z')).toBe('2.3.0');
    expect(version('2026-11-10T14:00:00Z')).toBe('2.4.0');
    expect(version('2026-11-10T15:59:59Z')).toBe('2.4.0');
    expect(version('2026-11-10T16:00:00Z')).toBe('2.3.0');
    expect(timeline.conditionsAt(us('2026-11-10T15:00:00Z')).regressionActive).toBe(true);
    expect(timeline.incident).toMatchObject({
      rootCauseService: 'payment',
      start: '2026-11-10T14:00:00.000Z',
      end: '2026-11-10T16:00:00.000Z'
    });
  });

  it('lists deploys and the rollback in time order with their versions', () => {
    const changes = timeline.changes.map(c => [c.kind, c.service, c.fromVersion, c.toVersion]);
    expect(changes).toContainEqual(['deploy', 'payment', '2.3.0', '2.4.0']);
    expect(changes).toContainEqual(['rollback', 'payment', '2.4.0', '2.3.0']);
    const times = timeline.changes.map(c => c.timeUs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('names pods like a Deployment: new pods per rollout, the old template back on rollback', () => {
    const host = (iso: string): string => timeline.conditionsAt(us(iso)).hosts[payment];
    const [before, during, after] = [
      host('2026-11-10T13:00:00Z'),
      host('2026-11-10T15:00:00Z'),
      host('2026-11-10T17:00:00Z')
    ];
    const template = (pod: string): string => pod.split('-').slice(0, -1).join('-');
    expect(new Set([before, during, after]).size).toBe(3);
    expect(template(after)).toBe(template(before));
    expect(template(during)).not.toBe(template(before));
    expect(podName('payment', '2.3.0', 0)).toMatch(/^payment-[b-z2-9]{10}-[b-z2-9]{5}$/);
  });

  it('keeps the incident at the same fractions of a shorter window', () => {
    const short = new Timeline(START, 2, model);
    expect(short.incident?.start).toBe('2026-11-10T01:10:00.000Z');
    expect(short.incident?.end).toBe('2026-11-10T01:20:00.000Z');
  });
});
