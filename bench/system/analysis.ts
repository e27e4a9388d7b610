import { quantile } from '../lib/stats';

/**
 * The pure arithmetic of the system benchmark: phase figures, per-second series and recovery
 * time, from what the load generator saw of each call and what each tier executed per request.
 */

/** One run's calls, by index; attempts at each tier per call are joined from the services' counts. */
export interface Calls {
  /** Scheduled start, ms from the run's start. */
  readonly at: readonly number[];
  /** From the scheduled start to the end, ms. */
  readonly latencyMs: readonly number[];
  readonly code: readonly number[];
  readonly method: readonly number[];
  /** Handler executions at the back tier (both replicas) per call. */
  readonly bottomAttempts: readonly number[];
  /** Handler executions at the front per call. */
  readonly frontAttempts: readonly number[];
}

/** Successful within its deadline: what goodput counts. */
export function isGood(calls: Calls, i: number, deadlineMs: number): boolean {
  return calls.code[i] === 0 && calls.latencyMs[i] <= deadlineMs;
}

export interface PhaseFigures {
  readonly fromMs: number;
  readonly toMs: number;
  readonly requests: number;
  readonly successes: number;
  /** Successful calls per second within their deadline, of the calls started in the phase. */
  readonly goodput: number;
  readonly successRatio: number;
  /** Latency percentiles of the successful calls, ms (NaN when there were none). */
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly bottomAttemptsPerRequest: number;
  readonly frontAttemptsPerRequest: number;
}

/** Figures of the calls started in [fromMs, toMs) (optionally only those `only` picks by index). */
export function phaseFigures(calls: Calls, fromMs: number, toMs: number, deadlineMs: number, only?: (i: number) => boolean): PhaseFigures {
  let requests = 0;
  let bottom = 0;
  let front = 0;
  const good: number[] = [];
  for (let i = 0; i < calls.at.length; i++) {
    const t = calls.at[i];
    if (t < fromMs || t >= toMs || (only !== undefined && !only(i))) continue;
    requests++;
    bottom += calls.bottomAttempts[i];
    front += calls.frontAttempts[i];
    if (isGood(calls, i, deadlineMs)) good.push(calls.latencyMs[i]);
  }
  const seconds = (toMs - fromMs) / 1000;
  return {
    fromMs,
    toMs,
    requests,
    successes: good.length,
    goodput: seconds > 0 ? good.length / seconds : NaN,
    successRatio: requests > 0 ? good.length / requests : NaN,
    p50: quantile(good, 0.5),
    p99: quantile(good, 0.99),
    p999: quantile(good, 0.999),
    bottomAttemptsPerRequest: requests > 0 ? bottom / requests : NaN,
    frontAttemptsPerRequest: requests > 0 ? front / requests : NaN,
  };
}

/** Window start times 0, w, 2w, … covering [0, durationMs). */
export function windowStarts(durationMs: number, windowMs: number): number[] {
  const n = Math.max(0, Math.ceil(durationMs / windowMs));
  return Array.from({ length: n }, (_, k) => k * windowMs);
}

/** Successful calls per second by the window they ended in (ends past the last window are dropped). */
export function goodputSeries(calls: Calls, deadlineMs: number, durationMs: number, windowMs: number): number[] {
  const counts = new Array<number>(windowStarts(durationMs, windowMs).length).fill(0);
  for (let i = 0; i < calls.at.length; i++) {
    if (!isGood(calls, i, deadlineMs)) continue;
    const k = Math.floor((calls.at[i] + calls.latencyMs[i]) / windowMs);
    if (k >= 0 && k < counts.length) counts[k]++;
  }
  return counts.map((c) => (c * 1000) / windowMs);
}

/** Calls started per second, by window. */
export function startedSeries(calls: Calls, durationMs: number, windowMs: number): number[] {
  const counts = new Array<number>(windowStarts(durationMs, windowMs).length).fill(0);
  for (const t of calls.at) {
    const k = Math.floor(t / windowMs);
    if (k >= 0 && k < counts.length) counts[k]++;
  }
  return counts.map((c) => (c * 1000) / windowMs);
}

/** A latency quantile of the successful calls by the window they ended in (NaN for a window without any). */
export function latencySeries(calls: Calls, deadlineMs: number, durationMs: number, windowMs: number, q: number): number[] {
  const buckets: number[][] = windowStarts(durationMs, windowMs).map(() => []);
  for (let i = 0; i < calls.at.length; i++) {
    if (!isGood(calls, i, deadlineMs)) continue;
    const k = Math.floor((calls.at[i] + calls.latencyMs[i]) / windowMs);
    if (k >= 0 && k < buckets.length) buckets[k].push(calls.latencyMs[i]);
  }
  return buckets.map((b) => quantile(b, q));
}

/** Mean of a per-call value over the calls started in each window (NaN for an empty window). */
export function perCallSeries(calls: Calls, values: readonly number[], durationMs: number, windowMs: number): number[] {
  const n = windowStarts(durationMs, windowMs).length;
  const sum = new Array<number>(n).fill(0);
  const count = new Array<number>(n).fill(0);
  for (let i = 0; i < calls.at.length; i++) {
    const k = Math.floor(calls.at[i] / windowMs);
    if (k < 0 || k >= n) continue;
    sum[k] += values[i];
    count[k]++;
  }
  return sum.map((s, k) => (count[k] > 0 ? s / count[k] : NaN));
}

export interface RecoveryRule {
  /** When the fault ended, ms from the start. */
  readonly faultEndMs: number;
  /** Calls started in [baselineFromMs, baselineToMs) set the normal success ratio. */
  readonly baselineFromMs: number;
  readonly baselineToMs: number;
  /** Calls started from the fault's end up to here are judged. */
  readonly endMs: number;
  readonly windowMs: number;
  /** A window is healthy when its success ratio is at least this share of the normal one. */
  readonly share: number;
}

/**
 * Time from the fault's end to the start of the first window after which every window (by call
 * start) is healthy: its calls succeed within their deadline about as often as before the fault.
 * 0 when nothing after the fault was unhealthy; null when the last window is still unhealthy.
 */
export function recoveryTime(calls: Calls, deadlineMs: number, rule: RecoveryRule): number | null {
  let baseRequests = 0;
  let baseGood = 0;
  const n = Math.max(0, Math.ceil((rule.endMs - rule.faultEndMs) / rule.windowMs));
  const requests = new Array<number>(n).fill(0);
  const good = new Array<number>(n).fill(0);
  for (let i = 0; i < calls.at.length; i++) {
    const t = calls.at[i];
    const ok = isGood(calls, i, deadlineMs);
    if (t >= rule.baselineFromMs && t < rule.baselineToMs) {
      baseRequests++;
      if (ok) baseGood++;
    }
    if (t < rule.faultEndMs || t >= rule.endMs) continue;
    const k = Math.floor((t - rule.faultEndMs) / rule.windowMs);
    requests[k]++;
    if (ok) good[k]++;
  }
  const normal = baseRequests > 0 ? baseGood / baseRequests : 1;
  let lastBad = -1;
  for (let k = 0; k < n; k++) {
    if (requests[k] > 0 && good[k] / requests[k] < rule.share * normal) lastBad = k;
  }
  if (lastBad === n - 1 && n > 0) return null;
  return (lastBad + 1) * rule.windowMs;
}

/** Calls by the status code name they ended with; DEADLINE_EXCEEDED split by whether time was left. */
export function statusMix(calls: Calls, deadlineMs: number, name: (code: number) => string): Record<string, number> {
  const mix: Record<string, number> = {};
  const early = earlyDeadlineLimit(deadlineMs);
  for (let i = 0; i < calls.code.length; i++) {
    let key = name(calls.code[i]);
    if (calls.code[i] === 0 && calls.latencyMs[i] > deadlineMs) key = 'OK (late)';
    if (calls.code[i] === 4 && calls.latencyMs[i] < early) key = 'DEADLINE_EXCEEDED (early)';
    mix[key] = (mix[key] ?? 0) + 1;
  }
  return mix;
}

/**
 * A DEADLINE_EXCEEDED that ended this early had time left: something gave up in advance (a wait
 * that would not fit) rather than the deadline passing. Allows for timer slack.
 */
export function earlyDeadlineLimit(deadlineMs: number): number {
  return deadlineMs - Math.max(50, deadlineMs * 0.05);
}
