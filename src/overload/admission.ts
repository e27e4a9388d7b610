import type { Criticality } from '../criticality/criticality';

/** The share of the limit calls of a criticality may fill; critical calls may fill all of it. */
export interface CriticalityShares {
  readonly default: number;
  readonly sheddable: number;
}

export const DEFAULT_SHARES: CriticalityShares = Object.freeze({ default: 0.9, sheddable: 0.5 });

/**
 * The most calls in flight, per criticality, below which a call is admitted: sheddable calls are
 * refused first (from half the limit by default), critical calls last (at the limit). Shares are
 * rounded to whole calls (a limit of 2 admits 2 default calls, not 1) and admit at least one call,
 * so an idle server serves every criticality.
 */
export class AdmissionThresholds {
  critical = 1;
  default = 1;
  sheddable = 1;
  private limit = 0;

  constructor(private readonly shares: CriticalityShares) {}

  /** Recomputes the thresholds when the limit moved; cheap when it did not. */
  update(limit: number): void {
    if (limit === this.limit) return;
    this.limit = limit;
    this.critical = Math.max(1, limit);
    this.default = Math.max(1, Math.round(limit * this.shares.default));
    this.sheddable = Math.max(1, Math.round(limit * this.shares.sheddable));
  }

  /** Whether a call of `criticality` may start with `inFlight` calls already running. */
  admits(criticality: Criticality, inFlight: number): boolean {
    return inFlight < this[criticality];
  }
}
