import { WindowedLimit, type LimitUpdate, type WindowSettings } from './limit';

export interface AdaptiveLimitSettings extends WindowSettings {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Latency up to `tolerance` × the baseline counts as no congestion. */
  readonly tolerance: number;
}
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
 * cannot ratchet up under load: it follows a lower latency at once, and a higher one slowly and
 * only from windows that cannot hide queueing of ours: the event loop kept up (Node's own queue)
 * and either the load was light (half the limit unused, latency within tolerance) or the limit is
 * at its floor (the least concurrency allowed: what is still slow there is a dependency that got
 * slower for good). A latency that jumps past the tolerance at light load therefore first pulls
 * the limit down; if it does not improve at the floor, the baseline learns it there.
 */
export class AdaptiveLimit extends WindowedLimit {
  private limit: number;
  private baseline = 0;
  current: number;

  constructor(
    private readonly settings: AdaptiveLimitSettings,
    now: number,
  ) {
    super(settings, now);
    this.limit = settings.initialLimit;
    this.current = Math.floor(this.limit);
  }

  protected judge(latencyMs: number, loopDelayMs: number): LimitUpdate {
    const { minLimit, maxLimit, tolerance } = this.settings;
    const window = this.window;
    const previous = this.limit;
    const previousCurrent = this.current;
    const baseline = this.baseline === 0 ? latencyMs : this.baseline;

    if (latencyMs < baseline) {
      this.baseline = baseline + (latencyMs - baseline) * BASELINE_DOWN;
    } else if (loopDelayMs <= (tolerance - 1) * baseline) {
      // A higher latency becomes the new normal only where our own queueing cannot explain it:
      // light load within the tolerated band, or the limit at its floor (the least concurrency
      // we allow: what is still slow there is not us). The event loop must have kept up either way.
      const light = window.maxInFlight <= this.current / 2 && latencyMs <= tolerance * baseline;
      const floor = previous <= minLimit;
      this.baseline = light || floor ? baseline + (latencyMs - baseline) * BASELINE_UP : baseline;
    } else {
      this.baseline = baseline;
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
