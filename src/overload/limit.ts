/** What a limit reports when it changes its mind (once per adaptation window at most). */
export interface LimitUpdate {
  /** The limit after the window, and before (whole calls). */
  readonly limit: number;
  readonly previous: number;
  /** The window's median latency plus the event loop's delay: what callers waited. */
  readonly latencyMs: number;
  /** The no-load latency the limit compares against. */
  readonly baselineMs: number;
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

/** A limit that never moves. */
export class FixedLimit implements ConcurrencyLimit {
  constructor(readonly current: number) {}

  admitted(): void {}

  ended(): undefined {
    return undefined;
  }
}
