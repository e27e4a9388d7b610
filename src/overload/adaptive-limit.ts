import type { ConcurrencyLimit, LimitUpdate } from './limit';
import { SampleWindow } from './sample-window';

export interface AdaptiveLimitSettings {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Latency up to `tolerance` × the baseline counts as no congestion. */
  readonly tolerance: number;
  /** The shortest adaptation window. */
  readonly windowMs: number;
  /** The event loop's mean delay since the last call (ms); read once per window. */
  readonly loopDelayMs: () => number;
}

/** Calls a window needs before it can change the limit; it stays open until it has them. */
export const MIN_SAMPLES = 10;
/** A window this many times longer than `windowMs` that still lacks samples is dropped. */
const STALE_WINDOWS = 20;
/** Share of a window's calls that may end by their deadline before the limit backs off. */
const TIMEOUT_SHARE = 0.1;
/** The limit's step back when too many calls time out. */
const TIMEOUT_BACKOFF = 0.9;
/** The most one window can cut the limit (× 0.5). */
const MIN_GRADIENT = 0.5;
/** How far one window pulls the baseline down to a lower latency, and up to a higher one. */
const BASELINE_DOWN = 0.5;
const BASELINE_UP = 0.1;

/**
 * A gradient limit with a guarded baseline. Every window (at least `windowMs` and
 * `MIN_SAMPLES` calls) compares what callers waited, the median latency plus the event loop's
 * delay, with the no-load latency (the baseline):
 * - within `tolerance` × baseline, the limit grows by √limit, but only if the window used at
 *   least half of it (a limit nobody uses must not grow: it would admit a burst unchecked later);
 * - above, it shrinks by the ratio tolerance × baseline / latency (at most halving per window);
 * - when over 10 % of the window's calls ran into their deadline, it shrinks by 10 % whatever
 *   the latencies say: a steady timeout is a constant latency, which a ratio would not see.
 *
 * The baseline is never re-measured by forcing concurrency down (that rejects calls), and it
 * cannot ratchet up under sustained load: it follows a lower latency at once, and a higher one
 * slowly and only from windows that cannot hide our own queueing: the event loop kept up (Node's
 * own queue) and the limit never bound, or it is at its floor already. Under saturation the limit
 * binds in every window, so the baseline holds.
 */
export class AdaptiveLimit implements ConcurrencyLimit {
  private limit: number;
  private baseline = 0;
  private readonly window: SampleWindow;
  current: number;

  constructor(
    private readonly settings: AdaptiveLimitSettings,
    now: number,
  ) {
    this.limit = settings.initialLimit;
    this.current = Math.floor(this.limit);
    this.window = new SampleWindow(now);
  }

  admitted(inFlight: number): void {
    if (inFlight > this.window.maxInFlight) this.window.maxInFlight = inFlight;
  }

  ended(latencyMs: number, timedOut: boolean, inFlight: number, now: number): LimitUpdate | undefined {
    const window = this.window;
    window.add(latencyMs, timedOut);
    const age = now - window.start;
    if (age < this.settings.windowMs) return undefined;
    if (window.count < MIN_SAMPLES) {
      if (age > this.settings.windowMs * STALE_WINDOWS) window.reset(now, inFlight);
      return undefined;
    }
    const update = this.adapt();
    window.reset(now, inFlight);
    return update;
  }

  private adapt(): LimitUpdate {
    const { minLimit, maxLimit, tolerance } = this.settings;
    const window = this.window;
    const loopDelayMs = Math.max(0, this.settings.loopDelayMs());
    const latencyMs = window.median() + loopDelayMs;
    const previous = this.limit;
    const previousCurrent = this.current;
    const baseline = this.baseline === 0 ? latencyMs : this.baseline;

    if (latencyMs < baseline) {
      this.baseline = baseline + (latencyMs - baseline) * BASELINE_DOWN;
    } else {
      // A higher latency is the new normal only if our own queueing cannot explain it: the event
      // loop kept up, and the limit never bound (or is already at its floor).
      const loopKeptUp = loopDelayMs <= (tolerance - 1) * baseline;
      const unbound = window.maxInFlight < this.current || previous <= minLimit;
      this.baseline = loopKeptUp && unbound ? baseline + (latencyMs - baseline) * BASELINE_UP : baseline;
    }

    const gradient = latencyMs <= 0 ? 1 : Math.max(MIN_GRADIENT, Math.min(1, (tolerance * this.baseline) / latencyMs));
    let next: number;
    if (window.timeouts > window.count * TIMEOUT_SHARE) next = previous * Math.min(gradient, TIMEOUT_BACKOFF);
    else if (gradient < 1) next = previous * gradient;
    else if (window.maxInFlight >= previous / 2) next = previous + Math.sqrt(previous);
    else next = previous;
    this.limit = Math.max(minLimit, Math.min(maxLimit, next));
    this.current = Math.max(1, Math.floor(this.limit));

    return {
      limit: this.current,
      previous: previousCurrent,
      latencyMs,
      baselineMs: this.baseline,
      loopDelayMs,
      samples: window.count,
      timeouts: window.timeouts,
      maxInFlight: window.maxInFlight,
    };
  }
}
