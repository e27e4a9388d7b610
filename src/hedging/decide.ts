import { decideRetry, type FailedAttempt, type RetryContext } from '../retry/decide';
import type { GiveUpReason } from '../telemetry/events';

/** Why a call sends no (further) hedge. */
export type HedgeStop =
  /** A server asked for a wait or for no retry: it is loaded, more copies would add to it. */
  | 'pushback'
  /** An attempt was refused locally by an open circuit breaker. */
  | 'breaker-open'
  /** The retry budget refused a hedge. */
  | 'budget'
  /** The attempt count reached the hedging policy's `maxAttempts`. */
  | 'max-attempts'
  /** The deadline would pass before the hedge is due. */
  | 'deadline';

/** What a hedged call knows when it asks whether a hedge may follow. */
export interface HedgeState {
  /** Attempts made so far: hedges and retries share this one count. */
  readonly attempts: number;
  /** The hedging policy's `maxAttempts`. */
  readonly maxAttempts: number;
  /** Set once something stopped hedging for this call. */
  readonly stopped: HedgeStop | undefined;
  readonly now: number;
  /** The call's deadline (epoch ms; Infinity when none). */
  readonly deadline: number;
}

/**
 * When to send the next hedge, counted from now (ms), or why none will be sent. Asked when an
 * attempt starts (to arm the timer) and again when the timer fires; the retry budget is asked
 * only after a yes, as for retries.
 */
export function nextHedge(state: HedgeState, delayMs: number): { readonly afterMs: number } | { readonly stop: HedgeStop } {
  if (state.stopped !== undefined) return { stop: state.stopped };
  if (state.attempts >= state.maxAttempts) return { stop: 'max-attempts' };
  // A hedge that would go out at or after the deadline has no time to answer (Infinity: never).
  if (!(delayMs < state.deadline - state.now)) return { stop: 'deadline' };
  return { afterMs: delayMs };
}

/** What a hedged call does when one of its attempts fails before any attempt answered. */
export type AfterFailure =
  /** End the call now with this attempt's status; attempts still in flight are cancelled. */
  | { readonly action: 'end'; readonly reason: GiveUpReason }
  /** Other attempts are still in flight: let them run. `stop`: no more hedges for this call. */
  | { readonly action: 'wait'; readonly stop: HedgeStop | undefined }
  /** No attempt is in flight: start another after `delayMs` (a retry). */
  | { readonly action: 'retry'; readonly delayMs: number; readonly pushback: boolean; readonly stop: HedgeStop | undefined };

/**
 * Give-up reasons that say nothing against the attempts still in flight: the call waits for them.
 * Any other reason (the status is not retryable, for instance) is fatal, as gRFC A6 has it for
 * codes outside `nonFatalStatusCodes`: the whole call ends at once.
 */
const NON_FATAL: ReadonlyMap<GiveUpReason, HedgeStop | undefined> = new Map<GiveUpReason, HedgeStop | undefined>([
  ['breaker-open', 'breaker-open'],
  ['pushback-stop', 'pushback'],
  ['max-attempts', undefined],
  ['deadline', undefined],
]);

/**
 * The fate of a failed attempt of a hedged call. The retry rules decide (status table, pushback,
 * the retry policy's `maxAttempts` over the shared attempt count, the deadline), so a hedged call
 * retries exactly as an unhedged one would; hedging adds that a fatal status ends every attempt,
 * that a non-fatal failure waits for the attempts still in flight, and that pushback or an open
 * breaker stops further hedges.
 */
export function afterFailedAttempt(attempt: FailedAttempt, ctx: RetryContext, inFlight: number): AfterFailure {
  const decision = decideRetry(attempt, ctx);
  if (!decision.retry) {
    if (!NON_FATAL.has(decision.reason)) return { action: 'end', reason: decision.reason };
    if (inFlight > 0) return { action: 'wait', stop: NON_FATAL.get(decision.reason) };
    return { action: 'end', reason: decision.reason };
  }
  const stop = decision.pushback ? 'pushback' : undefined;
  if (inFlight > 0) return { action: 'wait', stop };
  return { action: 'retry', delayMs: decision.delayMs, pushback: decision.pushback, stop };
}
