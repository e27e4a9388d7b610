import type { Criticality } from '../criticality/criticality';
import type { LimitUpdate } from '../overload/limit';

/** Where an event was raised. */
export type Side = 'client' | 'server';

/** A logical call finished (after all attempts, retries and fallbacks). */
export interface CallEndEvent {
  readonly type: 'call-end';
  readonly side: Side;
  readonly method: string;
  /** The channel target (client side), or undefined. */
  readonly target?: string;
  readonly code: number;
  readonly durationMs: number;
  /** Attempts made (client side; 1 without retries, 0 when failed locally before sending). */
  readonly attempts: number;
  readonly traceId?: string;
  /** Total time spent waiting between attempts (client side). */
  readonly retryDelayMs?: number;
  /** Attempts that were hedges (client side; the others after the first were retries). */
  readonly hedges?: number;
}

/** One attempt of a client call started (emitted only when events are observed). */
export interface AttemptStartEvent {
  readonly type: 'attempt-start';
  readonly method: string;
  readonly target?: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/** One attempt of a client call finished (emitted only when events are observed). */
export interface AttemptEndEvent {
  readonly type: 'attempt-end';
  readonly method: string;
  readonly target?: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly code: number;
  readonly durationMs: number;
}

/** A hedge was sent: the attempts in flight had not answered within the hedge delay. */
export interface HedgeEvent {
  readonly type: 'hedge';
  readonly method: string;
  readonly target?: string;
  /** The number of the attempt sent (2 for the first hedge). */
  readonly attempt: number;
  /** How long the previous attempt had gone unanswered. */
  readonly delayMs: number;
  readonly traceId?: string;
}

/** An attempt failed and another one is scheduled. */
export interface RetryEvent {
  readonly type: 'retry';
  readonly method: string;
  readonly target?: string;
  /** The number of the attempt about to start (2 for the first retry). */
  readonly attempt: number;
  readonly delayMs: number;
  /** The code of the attempt that failed. */
  readonly code: number;
  /** True when the delay came from server pushback or RetryInfo. */
  readonly pushback: boolean;
  readonly traceId?: string;
}

/** Why a retry (or hedging) interceptor stopped retrying a failed call. */
export type GiveUpReason =
  | 'not-retryable'
  | 'not-idempotent'
  | 'max-attempts'
  | 'deadline'
  | 'budget'
  | 'pushback-stop'
  | 'breaker-open'
  | 'throttled'
  | 'committed';

/** A failed call will not be retried (or hedged) further. */
export interface GiveUpEvent {
  readonly type: 'give-up';
  readonly method: string;
  readonly target?: string;
  readonly attempts: number;
  readonly code: number;
  readonly reason: GiveUpReason;
  readonly traceId?: string;
}

/** A retry was refused because the target's retry budget is spent. */
export interface BudgetExhaustedEvent {
  readonly type: 'budget-exhausted';
  readonly method: string;
  readonly target?: string;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A circuit breaker changed state. */
export interface BreakerStateEvent {
  readonly type: 'breaker-state';
  /** The breaker key (target plus method or service). */
  readonly key: string;
  readonly target?: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  /**
   * True when a breaker that was not closed was shut down (evicted from its registry or
   * disposed): the key's next call starts a fresh, closed breaker.
   */
  readonly evicted?: boolean;
}

/** A call was rejected locally because its breaker is open (or probing). */
export interface BreakerRejectEvent {
  readonly type: 'breaker-reject';
  readonly key: string;
  readonly method: string;
  readonly target?: string;
  /** Time until the next probe. */
  readonly retryAfterMs: number;
}

/** A fallback answered instead of the server. */
export interface FallbackEvent {
  readonly type: 'fallback';
  readonly key?: string;
  readonly method: string;
  readonly target?: string;
  /** The code of the failure the fallback replaced. */
  readonly code: number;
  /** Whether the fallback produced a response (false: it threw or declined, the original error stands). */
  readonly succeeded: boolean;
  /** Why the call failed: its breaker or throttling refused it, no time was left to send it, or a server fault. */
  readonly reason?: 'breaker-open' | 'deadline' | 'throttled' | 'server-fault';
  /** What the fallback threw or rejected with, when it did. */
  readonly error?: unknown;
}

/** A call failed locally for lack of time (client) or was shed on arrival (server). */
export interface DeadlineEvent {
  readonly type: 'deadline-fail-fast' | 'deadline-shed';
  readonly method: string;
  readonly target?: string;
  /** Milliseconds left when the decision was made (≤ the minimum budget). */
  readonly remainingMs: number;
  readonly traceId?: string;
}

/** A server failure was translated into a safe public status. */
export interface ErrorTranslatedEvent {
  readonly type: 'error-translated';
  readonly method: string;
  readonly traceId?: string;
  /** How the failure was classified. */
  readonly kind: 'public' | 'mapped' | 'internal' | 'downstream' | 'call-ended' | 'grpc-status';
  /** The code the failure carried (when it had one). */
  readonly fromCode?: number;
  /** The code sent to the client. */
  readonly toCode: number;
}

/** An incoming call was refused before its handler ran: a concurrency limit was reached for its criticality. */
export interface OverloadRejectEvent {
  readonly type: 'overload-reject';
  readonly method: string;
  readonly criticality: Criticality;
  /** The limit that refused it: the server's (`'server'`) or its method's own (the method path). */
  readonly scope: string;
  readonly limit: number;
  readonly inFlight: number;
  /** The wait the caller was told. */
  readonly retryAfterMs: number;
  readonly traceId?: string;
}

/** A concurrency limit closed a window: what it measured and where it stands (at most one event per window). */
export interface OverloadLimitEvent extends LimitUpdate {
  readonly type: 'overload-limit';
  /** `'server'`, or the method path of a per-method limit. */
  readonly scope: string;
  /** Calls in flight when the window closed. */
  readonly inFlight: number;
}

/** A client call was refused locally by adaptive throttling: its target rejects too much. */
export interface ThrottleRejectEvent {
  readonly type: 'throttle-reject';
  readonly method: string;
  readonly target: string;
  readonly criticality: Criticality;
  /** The probability the call was refused with. */
  readonly probability: number;
  readonly traceId?: string;
}

/** The throttling probability of a target (per criticality) moved by a point or more, or to or from 0. */
export interface ThrottleProbabilityEvent {
  readonly type: 'throttle-probability';
  readonly target: string;
  readonly criticality: Criticality;
  readonly probability: number;
  readonly previous: number;
  /** Requests and accepts in the sliding window. */
  readonly requests: number;
  readonly accepts: number;
}

/** Every event the stack raises. */
export type ResilienceEvent =
  | CallEndEvent
  | AttemptStartEvent
  | AttemptEndEvent
  | RetryEvent
  | HedgeEvent
  | GiveUpEvent
  | BudgetExhaustedEvent
  | BreakerStateEvent
  | BreakerRejectEvent
  | FallbackEvent
  | DeadlineEvent
  | ErrorTranslatedEvent
  | OverloadRejectEvent
  | OverloadLimitEvent
  | ThrottleRejectEvent
  | ThrottleProbabilityEvent;

export type ResilienceEventType = ResilienceEvent['type'];

/** Receives events; a handler that throws never changes a call's outcome. */
export type EventHandler = (event: ResilienceEvent) => void;
