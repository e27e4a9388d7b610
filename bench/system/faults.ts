import type { MethodName } from './service';

/**
 * What a back replica does wrong, and when (ms from the scenario's start). Each replica gets the
 * faults meant for it; randomness is seeded per replica and scenario.
 */
export type Fault =
  /** Every call answers UNAVAILABLE (the service is down: its own dependency is gone). */
  | { readonly kind: 'unavailable'; readonly fromMs: number; readonly toMs: number }
  /** A share of calls answer UNAVAILABLE (transient failures). */
  | { readonly kind: 'flaky'; readonly share: number; readonly method?: MethodName; readonly fromMs: number; readonly toMs: number }
  /** A share of calls take `factor` times the normal work (stragglers). */
  | { readonly kind: 'slow'; readonly share: number; readonly factor: number; readonly fromMs: number; readonly toMs: number }
  /** The event loop is blocked for `ms`, as by a long garbage-collection pause. */
  | { readonly kind: 'stall'; readonly atMs: number; readonly ms: number }
  /** A deterministic bug: every call of the method fails (INTERNAL). */
  | { readonly kind: 'bug'; readonly method: MethodName; readonly fromMs: number; readonly toMs: number };

/** A fault meant for some replicas (all when `replicas` is absent). */
export type PlannedFault = Fault & { readonly replicas?: readonly number[] };

export function faultsForReplica(plan: readonly PlannedFault[], replica: number): Fault[] {
  return plan.filter((f) => !f.replicas || f.replicas.includes(replica));
}

/** What one call at time `t` (ms from the start) meets; `random` decides the shares. */
export type Verdict = { readonly fail: 'bug' | 'unavailable' } | { readonly workFactor: number };

export function verdict(faults: readonly Fault[], method: MethodName, t: number, random: () => number): Verdict {
  let workFactor = 1;
  for (const f of faults) {
    if (f.kind === 'stall' || t < f.fromMs || t >= f.toMs) continue;
    if (f.kind === 'bug' && f.method === method) return { fail: 'bug' };
    if (f.kind === 'unavailable') return { fail: 'unavailable' };
    if (f.kind === 'flaky' && (f.method === undefined || f.method === method) && random() < f.share) return { fail: 'unavailable' };
    if (f.kind === 'slow' && random() < f.share) workFactor *= f.factor;
  }
  return { workFactor };
}
