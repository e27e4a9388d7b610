import type { CallOptions } from '@grpc/grpc-js';
import type { Criticality } from '../criticality/criticality';
import type { DeadlineOverrides } from '../deadline/policy';
import type { HedgingOverrides, ResolvedHedgingPolicy } from '../hedging/policy';
import type { RetryOverrides } from '../retry/policy';
import { describeValue, isPlainObject } from '../internal/validate';

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

/** How a concern's per-call settings are checked and merged: its entry in `withResilience`. */
export interface CallSettings<T> {
  /** Validates the settings given for this concern; throws naming `where`. */
  validate(where: string, value: unknown): T;
  /** `next` merged over the settings already in the call options (default: field by field). */
  merge?(earlier: T | undefined, next: T): T;
}

/** The concerns `withResilience` accepts, each registered by the concern itself. */
const registry = new Map<string, CallSettings<unknown>>();

/** Lets `withResilience` take `name` settings; each concern registers its own entry. */
export function registerCallSettings<K extends keyof StoredSettings>(name: K, settings: CallSettings<Exclude<StoredSettings[K], undefined>>): void {
  registry.set(name, settings as CallSettings<unknown>);
}

function mergeFields(earlier: unknown, next: unknown): unknown {
  return { ...(earlier as object | undefined), ...(next as object) };
}

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
  if (settings !== undefined && !isPlainObject(settings)) {
    throw new TypeError(`withResilience must be an object; got ${describeValue(settings)}`);
  }
  const previous = (callOptions as WithSettings | undefined)?.[RESILIENCE_CALL_OPTIONS];
  const merged: Record<string, unknown> = { ...previous };
  for (const [name, value] of Object.entries(settings ?? {})) {
    const concern = registry.get(name);
    if (concern === undefined) {
      throw new TypeError(`withResilience: unknown option "${name}"; allowed: ${Array.from(registry.keys()).join(', ')}`);
    }
    if (value === undefined) continue;
    const valid = concern.validate(`withResilience: ${name}`, value);
    merged[name] = (concern.merge ?? mergeFields)(previous?.[name as keyof StoredSettings], valid);
  }
  const out: WithSettings = { ...callOptions, [RESILIENCE_CALL_OPTIONS]: Object.freeze(merged) as StoredSettings };
  return out;
}

/** The per-call settings in call options (or interceptor options), if any. */
export function resilienceCallOptions(options: CallOptions | undefined): StoredSettings | undefined {
  return (options as WithSettings | undefined)?.[RESILIENCE_CALL_OPTIONS];
}
