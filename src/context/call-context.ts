import type { Criticality } from '../criticality/criticality';

/** What a handler (and everything it awaits) knows about the call it serves. */
export interface CallContext {
  /** The trace id: 32 lowercase hex characters. */
  readonly traceId: string;
  /** W3C trace flags of the incoming `traceparent` (bit 0: sampled); 0 when none was received. */
  readonly traceFlags: number;
  /** The full method path being served (`/pkg.Service/Method`), or a label for non-gRPC work. */
  readonly method: string;
  /** The absolute deadline in epoch milliseconds; `Infinity` when there is none. */
  readonly deadline: number;
  /**
   * Aborts when the incoming call is cancelled by its client or its deadline passes.
   * Created on first access, so calls that never read it pay nothing.
   */
  readonly signal: AbortSignal;
  /** True once the response has been sent or the call was cancelled: no more work is wanted. */
  readonly finished: boolean;
  /**
   * The criticality the caller marked the call with (`x-resilience-criticality`), if any; outgoing
   * calls made while serving it carry it on unless they set their own.
   */
  readonly criticality?: Criticality;
}

/** Why a context was cancelled. */
export type CancelReason = 'cancelled' | 'deadline';
