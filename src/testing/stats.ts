import { statusName } from '../status/codes';
import type { FaultDecision } from './decide';

/** What the injector did to the calls of one method (or all of them). */
export interface FaultCounters {
  /** Calls that reached the fault decision. */
  calls: number;
  /** Calls that got any fault: an error, a stall or a delay. */
  faulted: number;
  /** Calls failed with an injected status (outage included). */
  errors: number;
  /** Calls failed or stalled because the injector was down. */
  outage: number;
  /** Calls held by a stall. */
  stalls: number;
  /** Calls delayed by added latency. */
  delayed: number;
  /** Injected statuses by code name, e.g. `{ UNAVAILABLE: 3 }`. */
  byCode: Record<string, number>;
}

/** A snapshot of the counters. */
export interface FaultStats {
  readonly total: FaultCounters;
  /** Keyed by method path. */
  readonly methods: Readonly<Record<string, FaultCounters>>;
}

export function emptyCounters(): FaultCounters {
  return { calls: 0, faulted: 0, errors: 0, outage: 0, stalls: 0, delayed: 0, byCode: {} };
}

export function countDecision(counters: FaultCounters, decision: FaultDecision, outage: boolean): void {
  counters.calls++;
  if (outage) counters.outage++;
  const delayed = decision.action !== 'stall' && decision.delayMs > 0;
  if (delayed) counters.delayed++;
  if (decision.action === 'stall') counters.stalls++;
  if (decision.action === 'error') {
    counters.errors++;
    const name = statusName(decision.code);
    counters.byCode[name] = (counters.byCode[name] ?? 0) + 1;
  }
  if (delayed || decision.action !== 'pass') counters.faulted++;
}

export function copyCounters(counters: FaultCounters): FaultCounters {
  return { ...counters, byCode: { ...counters.byCode } };
}
