import { CRITICALITIES, type Criticality } from '../criticality/criticality';
import { emitSafely } from '../telemetry/emit';
import type { ResolvedThrottleOptions } from './options';
import { AdaptiveThrottle } from './throttle';

/** A probability change smaller than this is not reported. */
const REPORT_STEP = 0.01;

/** One criticality's throttle of one target, and the probability last reported for it. */
export class TargetThrottle {
  reported = 0;
  nextReportAt: number;

  constructor(
    readonly target: string,
    readonly criticality: Criticality,
    readonly throttle: AdaptiveThrottle,
    now: number,
    private readonly reportEveryMs: number,
  ) {
    this.nextReportAt = now + reportEveryMs;
  }

  /** Reports the probability when it moved (checked at most once per tenth of the window). */
  maybeReport(now: number, options: ResolvedThrottleOptions): void {
    if (now < this.nextReportAt) return;
    this.nextReportAt = now + this.reportEveryMs;
    const probability = this.throttle.probability(now);
    const previous = this.reported;
    if (Math.abs(probability - previous) < REPORT_STEP && (probability === 0) === (previous === 0)) return;
    this.reported = probability;
    const { requests, accepts } = this.throttle.counts(now);
    emitSafely(options.onEvent, {
      type: 'throttle-probability',
      target: this.target,
      criticality: this.criticality,
      probability,
      previous,
      requests,
      accepts,
    });
  }
}

/**
 * The throttles of a client stack: one per target and criticality (a flood of rejected sheddable
 * calls must not throttle critical ones), created on first use. At most `maxTargets` targets; one
 * more forgets the oldest.
 */
export class ThrottleRegistry {
  private readonly targets = new Map<string, Partial<Record<Criticality, TargetThrottle>>>();

  constructor(private readonly options: ResolvedThrottleOptions) {}

  private lastPeer: string | undefined;
  private lastTargets: Partial<Record<Criticality, TargetThrottle>> | undefined;

  /**
   * The throttle for the target an unstarted call's peer names (the channel target): the same
   * string for every call of a client, so the last one is kept and no key is built per call.
   */
  forPeer(peer: string, target: (peer: string) => string, criticality: Criticality, now: number): TargetThrottle {
    const byCriticality = peer === this.lastPeer && this.lastTargets !== undefined ? this.lastTargets : undefined;
    const entry = byCriticality?.[criticality];
    if (entry !== undefined) return entry;
    const found = this.get(target(peer), criticality, now);
    this.lastPeer = peer;
    this.lastTargets = this.targets.get(found.target);
    return found;
  }

  get(target: string, criticality: Criticality, now: number): TargetThrottle {
    let byCriticality = this.targets.get(target);
    if (byCriticality === undefined) {
      byCriticality = {};
      this.targets.set(target, byCriticality);
      if (this.targets.size > this.options.maxTargets) {
        this.targets.delete(this.targets.keys().next().value as string);
        this.lastPeer = undefined; // its entry may be the one forgotten
      }
    }
    let entry = byCriticality[criticality];
    if (entry === undefined) {
      const { windowMs, ratio, maxProbability } = this.options;
      entry = new TargetThrottle(target, criticality, new AdaptiveThrottle({ windowMs, ratio, maxProbability }, now), now, windowMs / 10);
      byCriticality[criticality] = entry;
    }
    return entry;
  }

  /** Targets tracked (for tests). */
  get size(): number {
    return this.targets.size;
  }

  /** The current probabilities, per target and criticality (for tests and diagnostics). */
  probabilities(now: number = this.options.clock()): Record<string, Partial<Record<Criticality, number>>> {
    const out: Record<string, Partial<Record<Criticality, number>>> = {};
    for (const [target, byCriticality] of this.targets) {
      out[target] = {};
      for (const c of CRITICALITIES) {
        const entry = byCriticality[c];
        if (entry) out[target][c] = entry.throttle.probability(now);
      }
    }
    return out;
  }
}
