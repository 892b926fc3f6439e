/**
 * The disk poller: every registered room's file is checked once per period, the checks are
 * spread over the period instead of firing together, and removed rooms are never checked again.
 */
import { DiskPoller } from '../src/collaboration/disk-poll';

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

/** Registers `n` checks that record when they ran. */
function register(poller: DiskPoller, n: number): { calls: number[][]; removers: (() => void)[] } {
  const calls: number[][] = Array.from({ length: n }, () => []);
  const removers = calls.map(times =>
    poller.add(() => {
      times.push(Date.now());
      return Promise.resolve();
    })
  );
  return { calls, removers };
}

describe('DiskPoller', () => {
  it('checks each of 10 rooms once per period, one room per tick', () => {
    const poller = new DiskPoller(100);
    const { calls } = register(poller, 10);
    jest.advanceTimersByTime(100);
    expect(calls.map(c => c.length)).toEqual(Array(10).fill(1));
    const times = calls.map(c => c[0]);
    expect(new Set(times).size).toBe(10);
    jest.advanceTimersByTime(100);
    expect(calls.map(c => c.length)).toEqual(Array(10).fill(2));
    poller.stop();
  });

  it('keeps the period with more rooms than ticks allow (several per tick)', () => {
    const poller = new DiskPoller(1000);
    const { calls } = register(poller, 1000);
    jest.advanceTimersByTime(1000);
    expect(calls.every(c => c.length === 1)).toBe(true);
    // 5 ms ticks: 200 distinct moments, not one burst of 1,000.
    expect(new Set(calls.map(c => c[0])).size).toBe(200);
    poller.stop();
  });

  it('never checks a removed room again, and stops its timer when none is left', () => {
    const poller = new DiskPoller(100);
    const { calls, removers } = register(poller, 4);
    jest.advanceTimersByTime(100);
    removers[1]();
    removers[1](); // twice is harmless
    jest.advanceTimersByTime(300);
    expect(calls[1]).toHaveLength(1);
    expect(calls[0].length).toBeGreaterThanOrEqual(3);
    removers[0]();
    removers[2]();
    removers[3]();
    expect(poller.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('respaces a pending tick when rooms are added, so a new room is checked within a period', () => {
    const poller = new DiskPoller(3000);
    const first = register(poller, 1);
    jest.advanceTimersByTime(1000);
    const second = register(poller, 1);
    jest.advanceTimersByTime(3000);
    expect(first.calls[0].length).toBeGreaterThanOrEqual(1);
    expect(second.calls[0].length).toBeGreaterThanOrEqual(1);
    poller.stop();
  });

  it('goes on with the other rooms while one check hangs', () => {
    const poller = new DiskPoller(100);
    poller.add(() => new Promise<void>(() => undefined));
    const { calls } = register(poller, 3);
    jest.advanceTimersByTime(400);
    expect(calls.every(c => c.length >= 3)).toBe(true);
    poller.stop();
  });
});
