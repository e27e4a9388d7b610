import type { Criticality } from '../criticality/criticality';
import { AdmissionThresholds, type CriticalityShares } from './admission';
import type { ConcurrencyLimit, LimitUpdate } from './limit';

/** The calls in flight under one limit (the server's, or one method's), and who may join them. */
export class Limiter {
  inFlight = 0;
  private readonly thresholds: AdmissionThresholds;

  constructor(
    /** `'server'` or the method path. */
    readonly scope: string,
    private readonly limit: ConcurrencyLimit,
    shares: CriticalityShares,
  ) {
    this.thresholds = new AdmissionThresholds(shares);
    this.thresholds.update(limit.current);
  }

  get current(): number {
    return this.limit.current;
  }

  /** Counts the call in and returns true, or returns false when its criticality's share is full. */
  tryAcquire(criticality: Criticality): boolean {
    if (!this.thresholds.admits(criticality, this.inFlight)) return false;
    this.limit.admitted(++this.inFlight);
    return true;
  }

  /** Counts the call out; a latency sample (`latencyMs` ≥ 0) feeds an adaptive limit. */
  release(latencyMs: number, timedOut: boolean, now: number): LimitUpdate | undefined {
    this.inFlight--;
    if (latencyMs < 0) return undefined;
    const update = this.limit.ended(latencyMs, timedOut, this.inFlight, now);
    if (update) this.thresholds.update(this.limit.current);
    return update;
  }
}
