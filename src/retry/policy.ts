import { registerCallSettings } from '../options/call-options';
import { booleanOption, enumOption, integerOption, keysOf, numberOption, objectOption, timeoutOption } from '../internal/validate';
import { JITTER_MODES, type JitterMode } from './backoff';

/** The retry rules for one call; each field can be set globally, per service or method, and per call. */
export interface RetryPolicy {
  /** Attempts in total, the first one included (1 turns retries off). */
  readonly maxAttempts: number;
  /** Backoff ceiling before the first retry. */
  readonly initialBackoffMs: number;
  /** The backoff ceiling never grows past this. */
  readonly maxBackoffMs: number;
  /** Growth of the backoff ceiling per retry. */
  readonly multiplier: number;
  /** How the backoff is randomised. */
  readonly jitter: JitterMode;
  /** Deadline of each attempt (bounded by the overall deadline); `Infinity` for none. */
  readonly perAttemptTimeoutMs: number;
  /** A server pushback longer than this stops retrying instead of waiting. */
  readonly maxPushbackMs: number;
  /**
   * Whether the method is safe to run twice. When unset for a method, the proto option
   * `idempotency_level` of the service definitions given decides (default false).
   */
  readonly idempotent: boolean;
}

/** Some fields of a `RetryPolicy`: a per-service, per-method or per-call override. */
export type RetryOverrides = Partial<RetryPolicy>;

/** The most attempts a policy may ask for (a higher number would only multiply load). */
export const MAX_ATTEMPTS_LIMIT = 10;

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  multiplier: 2,
  jitter: 'full',
  perAttemptTimeoutMs: Infinity,
  maxPushbackMs: 30_000,
  idempotent: false,
});

export const RETRY_POLICY_FIELDS = keysOf<RetryPolicy>({
  maxAttempts: true,
  initialBackoffMs: true,
  maxBackoffMs: true,
  multiplier: true,
  jitter: true,
  perAttemptTimeoutMs: true,
  maxPushbackMs: true,
  idempotent: true,
});

/**
 * Validates an override, throwing a message that names `prefix.field`, what is allowed and what
 * was given. Only fields present are returned, so layering keeps lower layers' values.
 */
export function validateRetryOverrides(prefix: string, value: unknown, extraKeys: readonly string[] = []): RetryOverrides {
  const raw = objectOption<RetryPolicy>(prefix, value, [...RETRY_POLICY_FIELDS, ...extraKeys]);
  const out: { -readonly [K in keyof RetryPolicy]?: RetryPolicy[K] } = {};
  if (raw.maxAttempts !== undefined) {
    out.maxAttempts = withHint(
      () => integerOption(`${prefix}.maxAttempts`, raw.maxAttempts, 0, 1, MAX_ATTEMPTS_LIMIT),
      ' (it counts the first attempt: 1 turns retries off)',
    );
  }
  if (raw.initialBackoffMs !== undefined) {
    out.initialBackoffMs = numberOption(`${prefix}.initialBackoffMs`, raw.initialBackoffMs, 0, 1, 60_000);
  }
  if (raw.maxBackoffMs !== undefined) {
    out.maxBackoffMs = numberOption(`${prefix}.maxBackoffMs`, raw.maxBackoffMs, 0, 1, 300_000);
  }
  if (raw.multiplier !== undefined) out.multiplier = numberOption(`${prefix}.multiplier`, raw.multiplier, 0, 1, 10);
  if (raw.jitter !== undefined) out.jitter = enumOption(`${prefix}.jitter`, raw.jitter, 'full', JITTER_MODES);
  if (raw.perAttemptTimeoutMs !== undefined) {
    out.perAttemptTimeoutMs = timeoutOption(`${prefix}.perAttemptTimeoutMs`, raw.perAttemptTimeoutMs);
  }
  if (raw.maxPushbackMs !== undefined) {
    out.maxPushbackMs = numberOption(`${prefix}.maxPushbackMs`, raw.maxPushbackMs, 0, 0, 3_600_000);
  }
  if (raw.idempotent !== undefined) out.idempotent = booleanOption(`${prefix}.idempotent`, raw.idempotent, false);
  return out;
}

// Per call: overrides, or false for no retries (a later false wins; later overrides replace an earlier false).
registerCallSettings('retry', {
  validate: (where, value) => (value === false ? false : validateRetryOverrides(where, value)),
  merge: (earlier, next) => (next === false ? false : { ...(earlier === false ? undefined : earlier), ...next }),
});

/** Checks rules that span fields, once layers are merged. */
export function checkPolicy(where: string, policy: RetryPolicy): RetryPolicy {
  if (policy.maxBackoffMs < policy.initialBackoffMs) {
    throw new RangeError(
      `${where}: maxBackoffMs (${policy.maxBackoffMs}) must be at least initialBackoffMs (${policy.initialBackoffMs})`,
    );
  }
  return policy;
}

function withHint<T>(check: () => T, hint: string): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof Error) error.message += hint;
    throw error;
  }
}
