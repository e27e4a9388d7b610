import { status } from '@grpc/grpc-js';

/**
 * When a failed attempt may be retried:
 * - `always`: the server did not process the request, so even non-idempotent calls may retry;
 * - `idempotent`: only when the method is idempotent (or has no side effects);
 * - `never`: not under the same call.
 */
export type RetryMode = 'always' | 'idempotent' | 'never';

/** A further condition on `retry`, for codes that are only sometimes transient. */
export type RetryCondition =
  /** Only when the server sent pushback (`grpc-retry-pushback-ms` or a RetryInfo detail). */
  | 'pushback'
  /** Only when the attempt hit its own per-attempt timeout and the overall deadline has room. */
  | 'attempt-timeout';

/** How every interceptor treats one status code. */
export interface StatusClassification {
  /** Whether a failed attempt with this code may be retried. */
  readonly retry: RetryMode;
  /** Extra condition on `retry`; absent when none applies. */
  readonly retryOnlyWith?: RetryCondition;
  /** Whether the code counts as a server fault for circuit breakers. */
  readonly breakerFailure: boolean;
  /** Whether the code means the caller's request was at fault (never retried, never trips a breaker). */
  readonly clientFault: boolean;
  /** Whether a server may pass the code to its caller when the application chose it on purpose. */
  readonly exposable: boolean;
}

const clientFault = (): StatusClassification =>
  Object.freeze({ retry: 'never', breakerFailure: false, clientFault: true, exposable: true });

/** The default table (see README "Status table" for the reasoning behind each row). */
export const DEFAULT_CLASSIFICATIONS: Readonly<Record<status, StatusClassification>> = Object.freeze({
  [status.OK]: Object.freeze({ retry: 'never', breakerFailure: false, clientFault: false, exposable: true }),
  [status.CANCELLED]: Object.freeze({ retry: 'never', breakerFailure: false, clientFault: false, exposable: false }),
  // A bug is not transient: retried at every tier of a system, one request would run it many times.
  [status.UNKNOWN]: Object.freeze({ retry: 'never', breakerFailure: true, clientFault: false, exposable: false }),
  [status.INVALID_ARGUMENT]: clientFault(),
  [status.DEADLINE_EXCEEDED]: Object.freeze({
    retry: 'idempotent',
    retryOnlyWith: 'attempt-timeout',
    breakerFailure: true,
    clientFault: false,
    exposable: false,
  }),
  [status.NOT_FOUND]: clientFault(),
  [status.ALREADY_EXISTS]: clientFault(),
  [status.PERMISSION_DENIED]: clientFault(),
  [status.RESOURCE_EXHAUSTED]: Object.freeze({
    retry: 'always',
    retryOnlyWith: 'pushback',
    breakerFailure: true,
    clientFault: false,
    exposable: true,
  }),
  [status.FAILED_PRECONDITION]: clientFault(),
  [status.ABORTED]: Object.freeze({ retry: 'idempotent', breakerFailure: false, clientFault: false, exposable: true }),
  [status.OUT_OF_RANGE]: clientFault(),
  [status.UNIMPLEMENTED]: clientFault(),
  [status.INTERNAL]: Object.freeze({ retry: 'never', breakerFailure: true, clientFault: false, exposable: false }),
  [status.UNAVAILABLE]: Object.freeze({ retry: 'always', breakerFailure: true, clientFault: false, exposable: true }),
  [status.DATA_LOSS]: Object.freeze({ retry: 'never', breakerFailure: true, clientFault: false, exposable: false }),
  [status.UNAUTHENTICATED]: clientFault(),
});

/**
 * A code outside 0–16 (a misbehaving peer or proxy): a server fault we know nothing about,
 * so it is never retried and never passed on, but it does count against a breaker.
 */
export const UNKNOWN_CODE_CLASSIFICATION: StatusClassification = Object.freeze({
  retry: 'never',
  breakerFailure: true,
  clientFault: false,
  exposable: false,
});
