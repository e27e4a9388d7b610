import type { CallOptions } from '@grpc/grpc-js';
import { CRITICALITIES, type Criticality } from '../criticality/criticality';
import { validateDeadlineOverrides, type DeadlineOverrides } from '../deadline/policy';
import { validateHedgingOverrides, type HedgingOverrides, type ResolvedHedgingPolicy } from '../hedging/policy';
import { validateRetryOverrides, type RetryOverrides } from '../retry/policy';
import { enumOption, objectOption } from '../internal/validate';

/**
 * Per-call settings travel inside the grpc-js call options under this key. grpc-js copies every
 * own property of the call options (symbols included) into the options each interceptor gets,
 * so no header is sent and nothing leaves the process. A registered symbol, so two copies of
 * this package (CJS and ESM) agree on it.
 */
export const RESILIENCE_CALL_OPTIONS: unique symbol = Symbol.for('grpc-resilience.call-options');

/**
 * Per-call overrides, one entry per concern. Each interceptor reads its own entry; an entry
 * replaces the same fields of the global, per-service and per-method options for this call.
 */
export interface ResilienceCallOptions {
  /** Deadline rules for this call (see `DeadlinePolicy`). */
  readonly deadline?: DeadlineOverrides;
  /** Retry rules for this call (see `RetryPolicy`), or false: no retries for this call. */
  readonly retry?: RetryOverrides | false;
  /** Hedging rules for this call (see `HedgingPolicy`), or false: this call is not hedged. */
  readonly hedging?: HedgingOverrides | false;
  /** How much this call matters when its server is overloaded (sent as `x-resilience-criticality`). */
  readonly criticality?: Criticality;
}

/** The settings as stored in the call options: validated, defaults filled in. */
interface StoredSettings extends Omit<ResilienceCallOptions, 'hedging'> {
  readonly hedging?: Partial<ResolvedHedgingPolicy> | false;
}

/** The concerns `withResilience` accepts (add yours when you add its entry above). */
const CONCERNS: readonly (keyof ResilienceCallOptions)[] = ['deadline', 'retry', 'hedging', 'criticality'];

type WithSettings = CallOptions & { readonly [RESILIENCE_CALL_OPTIONS]?: StoredSettings };

/**
 * Returns call options (a copy of `callOptions`) carrying per-call settings for the resilience
 * interceptors, merged field by field over settings already there. Throws on an invalid setting.
 *
 * ```ts
 * client.getUser(req, withResilience({ deadline: Date.now() + 500 }, { deadline: { propagateCancellation: false } }), cb);
 * ```
 */
export function withResilience(callOptions: CallOptions | undefined, settings: ResilienceCallOptions): CallOptions {
  objectOption<ResilienceCallOptions>('withResilience', settings, CONCERNS);
  const previous = (callOptions as WithSettings | undefined)?.[RESILIENCE_CALL_OPTIONS];
  const merged: { -readonly [K in keyof StoredSettings]: StoredSettings[K] } = { ...previous };
  if (settings.deadline !== undefined) {
    merged.deadline = { ...previous?.deadline, ...validateDeadlineOverrides('withResilience: deadline', settings.deadline) };
  }
  if (settings.retry === false) {
    merged.retry = false;
  } else if (settings.retry !== undefined) {
    const earlier = previous?.retry === false ? undefined : previous?.retry;
    merged.retry = { ...earlier, ...validateRetryOverrides('withResilience: retry', settings.retry) };
  }
  if (settings.hedging === false) {
    merged.hedging = false;
  } else if (settings.hedging !== undefined) {
    const earlier = previous?.hedging === false ? undefined : previous?.hedging;
    merged.hedging = { ...earlier, ...validateHedgingOverrides('withResilience: hedging', settings.hedging) };
  }
  if (settings.criticality !== undefined) {
    merged.criticality = enumOption('withResilience: criticality', settings.criticality, 'default', CRITICALITIES);
  }
  const out: WithSettings = { ...callOptions, [RESILIENCE_CALL_OPTIONS]: Object.freeze(merged) };
  return out;
}

/** The per-call settings in call options (or interceptor options), if any. */
export function resilienceCallOptions(options: CallOptions | undefined): StoredSettings | undefined {
  return (options as WithSettings | undefined)?.[RESILIENCE_CALL_OPTIONS];
}
