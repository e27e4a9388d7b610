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
  /**
   * Shares of named call classes, e.g. `{ sheddable: 0.9 }`; the rest are `default`. An option
   * set of ours can give each class its own per-call settings (`OptionSet.perClass`).
   */
  readonly classShares?: Readonly<Record<string, number>>;
}

export const DEFAULT_CLASS = 'default';

/** Every class the phases name, `default` first: a call's class is an index into this list. */
export function classesOf(phases: readonly LoadPhase[]): string[] {
  const named = new Set(phases.flatMap((p) => Object.keys(p.classShares ?? {})));
  named.delete(DEFAULT_CLASS);
  return [DEFAULT_CLASS, ...[...named].sort()];
}

export interface Schedule {
  /** Start of each call, ms from the run's start, ascending. */
  readonly at: Float64Array;
  /** 0 = Work, 1 = Lookup. */
  readonly method: Uint8Array;
  /** Index into `classes`. */
  readonly cls: Uint8Array;
  readonly classes: readonly string[];
  readonly durationMs: number;
}

/** The schedule of a run: exponential gaps at each phase's rate, seeded. */
export function schedule(phases: readonly LoadPhase[], random: () => number): Schedule {
  const at: number[] = [];
  const method: number[] = [];
  const cls: number[] = [];
  const classes = classesOf(phases);
  let phaseStart = 0;
  for (const phase of phases) {
    const end = phaseStart + phase.durationMs;
    const shares = Object.entries(phase.classShares ?? {});
    if (phase.rate > 0) {
      let t = phaseStart;
      for (;;) {
        t += (-Math.log(1 - random()) * 1000) / phase.rate;
        if (t >= end) break;
        at.push(t);
        method.push(random() < (phase.lookupShare ?? 0) ? 1 : 0);
        cls.push(shares.length > 0 ? classes.indexOf(pick(shares, random())) : 0);
      }
    }
    phaseStart = end;
  }
  return { at: Float64Array.from(at), method: Uint8Array.from(method), cls: Uint8Array.from(cls), classes, durationMs: phaseStart };
}

/** The class whose cumulative share first exceeds `u`, else the default class. */
function pick(shares: readonly [string, number][], u: number): string {
  let sum = 0;
  for (const [name, share] of shares) {
    sum += share;
    if (u < sum) return name;
  }
  return DEFAULT_CLASS;
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
