import { status, type Metadata } from '@grpc/grpc-js';
import { localFailureKind } from '../status/local-failure';
import type { StatusTable } from '../status/table';
import type { GiveUpReason } from '../telemetry/events';
import { readPushback } from './pushback';

/** What the retry logic knows about a failed attempt. */
export interface FailedAttempt {
  readonly code: number;
  /** The attempt's trailers (read lazily: pushback and the local-failure marker). */
  readonly metadata: Metadata;
  /** Attempts made so far, this one included. */
  readonly attempts: number;
  /** Response headers or a message reached the caller: the call cannot be replayed. */
  readonly committed: boolean;
  /** The attempt reached a connection, so the request may have been sent. */
  readonly sent: boolean;
  /** The attempt ran into its own per-attempt timeout (earlier than the overall deadline). */
  readonly attemptTimedOut: boolean;
}

export interface RetryContext {
  readonly method: string;
  readonly idempotent: boolean;
  readonly table: StatusTable;
  readonly maxAttempts: number;
  readonly maxPushbackMs: number;
  readonly now: number;
  /** The overall deadline (epoch ms; Infinity when none). */
  readonly deadline: number;
  /** The jittered backoff for this retry; only called when no pushback sets the delay. */
  readonly backoffMs: () => number;
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly pushback: boolean }
  | { readonly retry: false; readonly reason: GiveUpReason };

const giveUp = (reason: GiveUpReason): RetryDecision => ({ retry: false, reason });

/**
 * A status the server sent itself, before any response headers: a gRPC Trailers-Only response,
 * whose single header block carries `content-type`. Statuses grpc-js makes up locally (a
 * dropped connection, a reset) carry no metadata.
 */
function answeredByServer(metadata: Metadata): boolean {
  return metadata.get('content-type').length > 0;
}

/**
 * Whether to retry a failed attempt, and after how long. Pure apart from reading the trailers;
 * the retry budget is consulted by the caller only when this says yes.
 */
export function decideRetry(attempt: FailedAttempt, ctx: RetryContext): RetryDecision {
  if (attempt.committed) return giveUp('committed');
  const local = localFailureKind(attempt.metadata);
  // An open breaker answers without sending: retrying now would only be rejected again.
  if (local === 'breaker-open') return giveUp('breaker-open');
  if (local === 'deadline') return giveUp('deadline');
  // Throttling refused it because the target is overloaded: a retry would add to the overload.
  if (local === 'throttled') return giveUp('throttled');

  const rule = ctx.table.classify(attempt.code, ctx.method);
  if (rule.retry === 'never') return giveUp('not-retryable');
  if (rule.retry === 'idempotent' && !ctx.idempotent) return giveUp('not-idempotent');

  const pushback = readPushback(attempt.metadata);
  if (pushback.kind === 'stop') return giveUp('pushback-stop');
  // `always` means "the server did not process the request", which the code alone only says when
  // the server itself sent it. A connection that dropped after the request left proves nothing:
  // a non-idempotent call is then not retried.
  if (rule.retry === 'always' && !ctx.idempotent && attempt.sent && pushback.kind !== 'wait' && !answeredByServer(attempt.metadata)) {
    return giveUp('not-idempotent');
  }
  if (rule.retryOnlyWith === 'pushback' && pushback.kind !== 'wait') return giveUp('not-retryable');
  if (rule.retryOnlyWith === 'attempt-timeout' && !attempt.attemptTimedOut) {
    return giveUp(attempt.code === status.DEADLINE_EXCEEDED ? 'deadline' : 'not-retryable');
  }
  if (attempt.attempts >= ctx.maxAttempts) return giveUp('max-attempts');
  if (pushback.kind === 'wait' && pushback.delayMs > ctx.maxPushbackMs) return giveUp('pushback-stop');

  const delayMs = Math.max(0, Math.round(pushback.kind === 'wait' ? pushback.delayMs : ctx.backoffMs()));
  // Never start a wait that ends at or after the deadline: the next attempt would have no time.
  // The call then ends with this attempt's own status: the deadline has not passed.
  if (delayMs >= ctx.deadline - ctx.now) return giveUp('deadline');
  return { retry: true, delayMs, pushback: pushback.kind === 'wait' };
}
