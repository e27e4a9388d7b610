/** Latencies a window keeps: enough for a p99 to rest on ten samples. */
export const WINDOW_SIZE = 1000;

/**
 * The most recent latencies of one method (a ring of fixed size: memory is bounded) and a
 * percentile of them. Sorting on every call would cost more than the call: the percentile is
 * recomputed only after `WINDOW_SIZE / 32` new samples (or when another percentile is asked for),
 * so its cost is amortised to a few nanoseconds a call and it trails the newest samples slightly.
 */
export class LatencyWindow {
  private readonly samples = new Float64Array(WINDOW_SIZE);
  private size = 0;
  private next = 0;
  private staleAfter = 0;
  private cachedPercentile = NaN;
  private cachedValue = 0;

  /** Adds one latency (ms). */
  record(ms: number): void {
    if (!(ms >= 0)) return; // NaN or negative: a clock that stepped back
    this.samples[this.next] = ms;
    this.next = this.next + 1 === WINDOW_SIZE ? 0 : this.next + 1;
    if (this.size < WINDOW_SIZE) this.size++;
    this.staleAfter--;
  }

  /** Latencies held. */
  get count(): number {
    return this.size;
  }

  /**
   * The `p`-th percentile (nearest rank) of the latencies held, or undefined while there are
   * too few to place it: at least 1 / (1 − p) samples, so p95 needs 20 and p99 needs 100.
   */
  percentile(p: number): number | undefined {
    if (this.size < samplesNeeded(p)) return undefined;
    if (p === this.cachedPercentile && this.staleAfter > 0) return this.cachedValue;
    const sorted = this.samples.slice(0, this.size).sort();
    this.cachedValue = sorted[Math.max(0, Math.ceil((p / 100) * this.size) - 1)];
    this.cachedPercentile = p;
    this.staleAfter = Math.ceil(WINDOW_SIZE / 32);
    return this.cachedValue;
  }
}

/** Samples needed before the `p`-th percentile means anything (capped at the window size). */
export function samplesNeeded(p: number): number {
  return Math.min(WINDOW_SIZE, Math.ceil(100 / (100 - p) - 1e-9));
}

/** The most methods whose latency is tracked; the oldest is dropped beyond it. */
export const MAX_TRACKED_METHODS = 256;

/** One latency window per method path, bounded in number. */
export class LatencyWindows {
  private readonly windows = new Map<string, LatencyWindow>();

  /** The window of `method`, created on first use. */
  of(method: string): LatencyWindow {
    let window = this.windows.get(method);
    if (window === undefined) {
      if (this.windows.size >= MAX_TRACKED_METHODS) this.windows.delete(this.windows.keys().next().value as string);
      window = new LatencyWindow();
      this.windows.set(method, window);
    }
    return window;
  }

  get size(): number {
    return this.windows.size;
  }
}
