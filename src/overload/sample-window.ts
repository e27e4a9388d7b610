/** Latencies kept per window; beyond this the newest overwrite the oldest. */
const CAPACITY = 256;

/**
 * What the calls that ended during one adaptation window looked like: their latencies (the
 * newest 256), how many ran into their deadline, and the most calls in flight at once.
 * Recording is a few array writes; the median is computed once, when the window closes.
 */
export class SampleWindow {
  private readonly latencies = new Float64Array(CAPACITY);
  private readonly scratch = new Float64Array(CAPACITY);
  /** Calls ended in this window. */
  count = 0;
  /** Of which ended by their deadline passing. */
  timeouts = 0;
  /** The most calls in flight seen in this window. */
  maxInFlight = 0;
  /** When the window opened (ms, the limiter's clock). */
  start: number;

  constructor(now: number) {
    this.start = now;
  }

  add(latencyMs: number, timedOut: boolean): void {
    this.latencies[this.count % CAPACITY] = latencyMs;
    this.count++;
    if (timedOut) this.timeouts++;
  }

  /** The median latency of the calls kept (0 when none). */
  median(): number {
    const n = Math.min(this.count, CAPACITY);
    if (n === 0) return 0;
    const sorted = this.scratch.subarray(0, n);
    sorted.set(this.latencies.subarray(0, n));
    sorted.sort();
    return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Starts the next window. */
  reset(now: number, inFlight: number): void {
    this.count = 0;
    this.timeouts = 0;
    this.maxInFlight = inFlight;
    this.start = now;
  }
}
