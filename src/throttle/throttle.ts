/** Buckets per window: the window slides by a tenth of its length. */
const BUCKETS = 10;

export interface ThrottleSettings {
  /** Length of the sliding window (ms). */
  readonly windowMs: number;
  /** K: the backend is sent up to K requests for each one it accepts before any is refused locally. */
  readonly ratio: number;
  /** The most a request is refused locally with, however bad things look; some always probe. */
  readonly maxProbability: number;
}

/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"): over a sliding window,
 * a request is refused locally with probability max(0, (requests − K·accepts) / (requests + 1)),
 * where `requests` counts every request the caller made (refused ones included) and `accepts`
 * those the backend accepted. With K = 2 the backend rejects at most about one request for each
 * it accepts, however large the overload, and the refusals stop as soon as it accepts again.
 *
 * Counts live in ten buckets that rotate lazily on use: no timer.
 */
export class AdaptiveThrottle {
  private readonly requestCounts = new Float64Array(BUCKETS);
  private readonly acceptCounts = new Float64Array(BUCKETS);
  private requests = 0;
  private accepts = 0;
  private bucket: number;
  private readonly bucketMs: number;

  constructor(
    private readonly settings: ThrottleSettings,
    now: number,
  ) {
    this.bucketMs = settings.windowMs / BUCKETS;
    this.bucket = Math.floor(now / this.bucketMs);
  }

  /** The probability a request is refused now (0 while the backend keeps up). */
  probability(now: number): number {
    this.rotate(now);
    const p = (this.requests - this.settings.ratio * this.accepts) / (this.requests + 1);
    return p <= 0 ? 0 : Math.min(p, this.settings.maxProbability);
  }

  /** A request the backend accepted. */
  accepted(now: number): void {
    this.rotate(now);
    const i = this.bucket % BUCKETS;
    this.requestCounts[i]++;
    this.acceptCounts[i]++;
    this.requests++;
    this.accepts++;
  }

  /** A request the backend rejected, or that was refused locally. */
  rejected(now: number): void {
    this.rotate(now);
    this.requestCounts[this.bucket % BUCKETS]++;
    this.requests++;
  }

  /** Requests and accepts in the window (for tests and events). */
  counts(now: number): { readonly requests: number; readonly accepts: number } {
    this.rotate(now);
    return { requests: this.requests, accepts: this.accepts };
  }

  private rotate(now: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    if (bucket <= this.bucket) return; // same bucket, or a clock that stepped back
    const expired = Math.min(bucket - this.bucket, BUCKETS);
    for (let k = 1; k <= expired; k++) {
      const i = (this.bucket + k) % BUCKETS;
      this.requests -= this.requestCounts[i];
      this.accepts -= this.acceptCounts[i];
      this.requestCounts[i] = 0;
      this.acceptCounts[i] = 0;
    }
    this.bucket = bucket;
  }
}
