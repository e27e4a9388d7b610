import { booleanOption, keysOf, numberOption, objectOption, timeoutOption } from '../internal/validate';
import { registerCallSettings } from '../options/call-options';
import { parseMethodKeys, type MethodTable } from '../internal/method-keys';
import type { KnownMethods } from '../internal/services';
import { MAX_TIMEOUT_MS } from '../internal/time';

/** The deadline rules for one call; each field can be set globally, per service or method, and per call. */
export interface DeadlinePolicy {
  /**
   * Timeout for a call that has no deadline of its own and inherits none: the caller passed no
   * `deadline` and there is no call context deadline. `Infinity`: no default (grpc-js default).
   */
  readonly defaultTimeoutMs: number;
  /** Subtracted from the inherited (call context) deadline, leaving the handler time to answer. */
  readonly marginMs: number;
  /** A call with this many milliseconds left, or fewer, fails locally and is never sent. */
  readonly minBudgetMs: number;
  /** No call gets a deadline further away than this (at most 24 days: the grpc-js server limit). */
  readonly maxTimeoutMs: number;
  /** Inherit the deadline of the current call context. */
  readonly propagateDeadline: boolean;
  /** Cancel the call when the current call context is cancelled (its client gave up or its deadline passed). */
  readonly propagateCancellation: boolean;
}

/** Some fields of a `DeadlinePolicy`: a per-service, per-method or per-call override. */
export type DeadlineOverrides = Partial<DeadlinePolicy>;

export const DEFAULT_DEADLINE_POLICY: DeadlinePolicy = Object.freeze({
  defaultTimeoutMs: Infinity,
  marginMs: 10,
  minBudgetMs: 2,
  maxTimeoutMs: MAX_TIMEOUT_MS,
  propagateDeadline: true,
  propagateCancellation: true,
});

export const POLICY_FIELDS = keysOf<DeadlinePolicy>({
  defaultTimeoutMs: true,
  marginMs: true,
  minBudgetMs: true,
  maxTimeoutMs: true,
  propagateDeadline: true,
  propagateCancellation: true,
});

/**
 * Validates an override: throws naming `prefix.field` for a bad value. Only the fields present
 * are returned, so layering keeps lower layers' values.
 */
export function validateDeadlineOverrides(prefix: string, value: unknown): DeadlineOverrides {
  const raw = objectOption<DeadlinePolicy>(prefix, value, POLICY_FIELDS);
  const out: { -readonly [K in keyof DeadlinePolicy]?: DeadlinePolicy[K] } = {};
  if (raw.defaultTimeoutMs !== undefined) out.defaultTimeoutMs = timeoutOption(`${prefix}.defaultTimeoutMs`, raw.defaultTimeoutMs);
  if (raw.marginMs !== undefined) out.marginMs = numberOption(`${prefix}.marginMs`, raw.marginMs, 0, 0, 60_000);
  if (raw.minBudgetMs !== undefined) {
    out.minBudgetMs = numberOption(`${prefix}.minBudgetMs`, raw.minBudgetMs, 0, 0, 60_000);
  }
  if (raw.maxTimeoutMs !== undefined) {
    out.maxTimeoutMs = numberOption(`${prefix}.maxTimeoutMs`, raw.maxTimeoutMs, 0, 1, MAX_TIMEOUT_MS);
  }
  if (raw.propagateDeadline !== undefined) {
    out.propagateDeadline = booleanOption(`${prefix}.propagateDeadline`, raw.propagateDeadline, true);
  }
  if (raw.propagateCancellation !== undefined) {
    out.propagateCancellation = booleanOption(`${prefix}.propagateCancellation`, raw.propagateCancellation, true);
  }
  return out;
}

registerCallSettings('deadline', { validate: validateDeadlineOverrides });

/** The policy fields of `options` (which may hold other keys). */
export function policyFields(options: DeadlineOverrides): DeadlineOverrides {
  const out: Record<string, unknown> = {};
  for (const key of POLICY_FIELDS) if (options[key] !== undefined) out[key] = options[key];
  return out as DeadlineOverrides;
}

/** Policies per method path, compiled once: method entry over service entry over the global policy. */
export class DeadlinePolicies {
  private constructor(
    private readonly base: DeadlinePolicy,
    private readonly table: MethodTable<DeadlinePolicy>,
  ) {}

  /**
   * `global` holds the policy fields; `methods` is keyed by method (see `MethodKey`), checked
   * against `known` when given. `prefix` names the options in error messages.
   */
  static compile(prefix: string, global: DeadlineOverrides, methods: unknown, known?: KnownMethods): DeadlinePolicies {
    const base: DeadlinePolicy = Object.freeze({ ...DEFAULT_DEADLINE_POLICY, ...validateDeadlineOverrides(prefix, global) });
    const overrides = parseMethodKeys(`${prefix}.methods`, methods, validateDeadlineOverrides, { known });
    return new DeadlinePolicies(base, overrides.layered(base, (under, entry) => Object.freeze({ ...under, ...entry })));
  }

  /** The policy for `path` (a full method path). */
  forMethod(path: string): DeadlinePolicy {
    return this.table.isEmpty ? this.base : (this.table.find(path) ?? this.base);
  }
}
