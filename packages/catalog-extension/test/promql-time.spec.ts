import { autoStep, MAX_POINTS, stepSeconds } from '../src/promql-time';

describe('stepSeconds', () => {
  it('reads Prometheus durations and float seconds', () => {
    expect(stepSeconds('15s')).toBe(15);
    expect(stepSeconds('1m30s')).toBe(90);
    expect(stepSeconds('2h')).toBe(7200);
    expect(stepSeconds('500ms')).toBe(0.5);
    expect(stepSeconds('0.5')).toBe(0.5);
    expect(stepSeconds(' 60 ')).toBe(60);
  });

  it('refuses what Prometheus would refuse', () => {
    for (const bad of ['', 'often', '0', '0s', '-5s', '1.5m', '5 s', 's']) {
      expect({ bad, seconds: stepSeconds(bad) }).toEqual({ bad, seconds: null });
    }
  });
});

describe('autoStep', () => {
  it('gives a familiar step of about 250 points, within the point limit', () => {
    expect(autoStep(15 * 60)).toBe('15s');
    expect(autoStep(3600)).toBe('15s');
    expect(autoStep(6 * 3600)).toBe('2m');
    expect(autoStep(24 * 3600)).toBe('10m');
    for (const seconds of [60, 3600, 86400, 30 * 86400]) {
      expect(seconds / stepSeconds(autoStep(seconds))!).toBeLessThanOrEqual(MAX_POINTS);
    }
  });
});
