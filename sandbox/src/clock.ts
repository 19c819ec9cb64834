/**
 * The sandbox's sense of time. Token expiry, the throttle window and device action timelines all read it, so tests
 * move time forward instead of waiting for it.
 */
export interface SandboxClock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
}

export const systemClock: SandboxClock = { now: () => Date.now() };

/** A clock that only moves when told to. Starts at `startMs` (default: the real time at creation). */
export class ManualClock implements SandboxClock {
  private current: number;

  constructor(startMs: number = Date.now()) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `ms` (never backwards). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward');
    this.current += ms;
  }

  /** Sets the clock to `ms`, which may not be before the current time. */
  set(ms: number): void {
    this.advance(ms - this.current);
  }
}
