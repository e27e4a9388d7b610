/**
 * Open-loop load: calls start on a schedule fixed in advance (Poisson arrivals at the offered
 * rate of each phase), whether or not earlier calls have ended, so an overloaded service meets
 * the whole offered load, as it would from many independent users.
 */

export interface LoadPhase {
  readonly durationMs: number;
  /** Offered calls per second. */
  readonly rate: number;
  /** Share of calls to `Lookup` (the rest go to `Work`). */
  readonly lookupShare?: number;
}

export interface Schedule {
  /** Start of each call, ms from the run's start, ascending. */
  readonly at: Float64Array;
  /** 0 = Work, 1 = Lookup. */
  readonly method: Uint8Array;
  readonly durationMs: number;
}

/** The schedule of a run: exponential gaps at each phase's rate, seeded. */
export function schedule(phases: readonly LoadPhase[], random: () => number): Schedule {
  const at: number[] = [];
  const method: number[] = [];
  let phaseStart = 0;
  for (const phase of phases) {
    const end = phaseStart + phase.durationMs;
    if (phase.rate > 0) {
      let t = phaseStart;
      for (;;) {
        t += (-Math.log(1 - random()) * 1000) / phase.rate;
        if (t >= end) break;
        at.push(t);
        method.push(random() < (phase.lookupShare ?? 0) ? 1 : 0);
      }
    }
    phaseStart = end;
  }
  return { at: Float64Array.from(at), method: Uint8Array.from(method), durationMs: phaseStart };
}

/** The offered rate at `t` ms (0 outside the phases). */
export function rateAt(phases: readonly LoadPhase[], t: number): number {
  let start = 0;
  for (const phase of phases) {
    if (t >= start && t < start + phase.durationMs) return phase.rate;
    start += phase.durationMs;
  }
  return 0;
}
