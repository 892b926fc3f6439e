/**
 * One scheduler for the disk checks of every document room (`DocumentRoom.checkDisk`).
 *
 * Each room must see its file checked at least every `collabDiskPollMs`. A timer per room does
 * that, but rooms opened together (a team joining an incident, a server restart) get timers that
 * fire in the same event-loop turn, every period, and each check is a few system calls through
 * the thread pool plus their promise callbacks: a burst that delays every collaboration message
 * arriving meanwhile. Here the rooms are checked in turn, spread evenly over the period (with 200
 * rooms and 3 s, one room every 15 ms), so the work is a steady trickle instead.
 *
 * A check that is still running when its turn comes again is not started twice (the room keeps
 * its own `polling` flag); a check that throws is the room's business (it logs).
 */

/** Shortest spacing of two ticks: with more rooms than this allows, a tick checks several. */
const MIN_TICK_MS = 5;

/** Checks registered files in turn (see the file comment). */
export class DiskPoller {
  private readonly checks: (() => Promise<void>)[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Spacing the pending timer was set with. */
  private timerTickMs = 0;

  constructor(private readonly periodMs: number) {}

  /** Registers a check; returns how to unregister it. */
  add(check: () => Promise<void>): () => void {
    this.checks.push(check);
    if (this.timer !== null && this.cadence().tickMs < this.timerTickMs) {
      // The pending tick was spaced for fewer rooms: respace, so the new room is on time too.
      this.stop();
    }
    this.schedule();
    return () => {
      const i = this.checks.indexOf(check);
      if (i < 0) {
        return;
      }
      this.checks.splice(i, 1);
      if (i < this.next) {
        this.next--;
      }
      if (this.checks.length === 0) {
        this.stop();
      }
    };
  }

  /** How many checks are registered. */
  get size(): number {
    return this.checks.length;
  }

  /** Stops polling (the service is closing). */
  stop(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Spacing of two ticks and how many checks each runs, for the current number of rooms. */
  private cadence(): { tickMs: number; perTick: number } {
    const n = Math.max(1, this.checks.length);
    const tickMs = Math.max(MIN_TICK_MS, this.periodMs / n);
    return { tickMs, perTick: Math.ceil((n * tickMs) / this.periodMs) };
  }

  private schedule(): void {
    if (this.timer !== null || this.checks.length === 0) {
      return;
    }
    this.timerTickMs = this.cadence().tickMs;
    this.timer = setTimeout(() => this.tick(), this.timerTickMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    const { perTick } = this.cadence();
    for (let i = 0; i < perTick && this.checks.length > 0; i++) {
      if (this.next >= this.checks.length) {
        this.next = 0;
      }
      void this.checks[this.next++]();
    }
    this.schedule();
  }
}
