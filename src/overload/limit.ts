import { SampleWindow } from './sample-window';

/** What a limit reports at the end of each window: what it measured, and where it now stands. */
export interface LimitUpdate {
  /** The limit after the window, and before (whole calls). */
  readonly limit: number;
  readonly previous: number;
  /** The window's median latency plus the event loop's delay: what callers waited. */
  readonly latencyMs: number;
  /** The no-load latency an adaptive limit compares against (absent for a fixed limit). */
  readonly baselineMs?: number;
  /** The event loop's mean delay over the window (time calls waited before we saw them). */
  readonly loopDelayMs: number;
  /** Calls that ended in the window, and how many of those by their deadline. */
  readonly samples: number;
  readonly timeouts: number;
  /** The most calls in flight at once during the window. */
  readonly maxInFlight: number;
}

/** A concurrency limit: fixed, or adapting to the latencies of the calls it admits. */
export interface ConcurrencyLimit {
  /** The limit now, in whole calls (at least 1). */
  readonly current: number;
  /** A call was admitted; `inFlight` counts it. */
  admitted(inFlight: number): void;
  /**
   * An admitted call ended after `latencyMs`; `timedOut` when its deadline passed first;
   * `inFlight` no longer counts it. Returns the window's verdict when this call closed one.
   */
  ended(latencyMs: number, timedOut: boolean, inFlight: number, now: number): LimitUpdate | undefined;
}

export interface WindowSettings {
  /** The shortest window. */
  readonly windowMs: number;
  /** The event loop's mean delay since the last reading (ms); read once per window. */
  readonly loopDelayMs: () => number;
}

/** Calls a window needs before it closes; it stays open until it has them. */
export const MIN_SAMPLES = 10;
/** A window this many times longer than `windowMs` that still lacks samples is dropped. */
const STALE_WINDOWS = 20;

/**
 * Collects the calls that end into windows of at least `windowMs` and `MIN_SAMPLES` calls, and
 * lets the subclass judge each closed window. Recording a call is a few array writes; the work
 * happens once per window, on the call that closes it (no timer).
 */
export abstract class WindowedLimit implements ConcurrencyLimit {
  protected readonly window: SampleWindow;
  abstract readonly current: number;

  constructor(
    private readonly windowSettings: WindowSettings,
    now: number,
  ) {
    this.window = new SampleWindow(now);
  }

  admitted(inFlight: number): void {
    if (inFlight > this.window.maxInFlight) this.window.maxInFlight = inFlight;
  }

  ended(latencyMs: number, timedOut: boolean, inFlight: number, now: number): LimitUpdate | undefined {
    const window = this.window;
    window.add(latencyMs, timedOut);
    const age = now - window.start;
    if (age < this.windowSettings.windowMs) return undefined;
    if (window.count < MIN_SAMPLES) {
      if (age > this.windowSettings.windowMs * STALE_WINDOWS) window.reset(now, inFlight);
      return undefined;
    }
    const loopDelayMs = Math.max(0, this.windowSettings.loopDelayMs());
    const update = this.judge(window.median() + loopDelayMs, loopDelayMs);
    window.reset(now, inFlight);
    return update;
  }

  /** Judges the closed window: `latencyMs` is its median latency plus `loopDelayMs`. */
  protected abstract judge(latencyMs: number, loopDelayMs: number): LimitUpdate;
}

/** A limit that never moves; its windows are measured for observability only. */
export class FixedLimit extends WindowedLimit {
  constructor(
    readonly current: number,
    settings: WindowSettings,
    now: number,
  ) {
    super(settings, now);
  }

  protected judge(latencyMs: number, loopDelayMs: number): LimitUpdate {
    const w = this.window;
    const limit = this.current;
    return { limit, previous: limit, latencyMs, loopDelayMs, samples: w.count, timeouts: w.timeouts, maxInFlight: w.maxInFlight };
  }
}
