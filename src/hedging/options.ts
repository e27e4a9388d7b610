import type * as grpc from '@grpc/grpc-js';
import { functionOption, objectOption } from '../internal/validate';
import { retrySettingsOf } from '../retry/interceptor';
import type { ServiceSource } from '../internal/services';
import { parseMethodKeys, type MethodTable } from '../internal/method-keys';
import { readServices } from '../internal/services';
import { resolveRetryOptions, type ResolvedRetryOptions, type RetryOptions } from '../retry/options';
import type { StatusTable, StatusTableOptions } from '../status/table';
import type { EventHandler } from '../telemetry/events';
import { LatencyWindows } from './latency-window';
import {
  DEFAULT_HEDGING_POLICY,
  HEDGING_POLICY_FIELDS,
  validateHedgingOverrides,
  type HedgingOverrides,
  type ResolvedHedgingPolicy,
} from './policy';

export interface HedgingOptions extends HedgingOverrides {
  /**
   * Overrides keyed by full method path (`/pkg.Service/Method`) or by service (`pkg.Service` or
   * `/pkg.Service/*`). A method entry applies on top of its service entry.
   */
  readonly methods?: Readonly<Record<string, HedgingOverrides>>;
  /**
   * The retry rules of hedged calls. Best: the retry interceptor placed below this one, whose
   * budget hedges then draw from and whose rules (idempotency, status table, backoff, attempts)
   * hedged calls follow. Or retry options, resolved for this interceptor alone (a budget of its
   * own), or false: hedged calls are not retried, and idempotency comes from `service` only.
   */
  readonly retry?: grpc.Interceptor | RetryOptions | false;
  /**
   * Service definitions: `methods` keys must name their methods; with `retry` false, their proto
   * `idempotency_level` also marks methods idempotent.
   */
  readonly service?: ServiceSource | readonly ServiceSource[];
  /** With `retry` false: the status table (or options for one). */
  readonly statusTable?: StatusTable | StatusTableOptions;
  /** With `retry` false: the target name for the budget and events (default: the channel target). */
  readonly target?: string;
  /** Receives `hedge` events (and `retry`, `give-up` and `budget-exhausted` for hedged calls). */
  readonly onEvent?: EventHandler;
  /** The clock (epoch ms, fractions allowed); for tests. */
  readonly now?: () => number;
}

export interface ResolvedHedgingOptions {
  /** The hedging policy of a method: global, service and method layers. */
  policyFor(path: string): ResolvedHedgingPolicy;
  /** The retry settings hedged calls follow and whose budget they draw from. */
  readonly retry: ResolvedRetryOptions;
  /** Recent first-attempt latency per method, for adaptive delays. */
  readonly latency: LatencyWindows;
  readonly onEvent: EventHandler | undefined;
  readonly now: () => number;
}

const OPTION_KEYS = [...HEDGING_POLICY_FIELDS, 'methods', 'retry', 'service', 'statusTable', 'target', 'onEvent', 'now'];

/** Only used with `retry` false. */
const RETRY_SHARED_KEYS = ['statusTable', 'target'] as const;

/** The most methods whose merged policy is cached (a client has a fixed set of methods). */
const POLICY_CACHE_LIMIT = 1024;

/** Epoch milliseconds with sub-millisecond precision: loopback latencies are fractions of a millisecond. */
const preciseNow = (): number => performance.timeOrigin + performance.now();

/** Validates and compiles hedging options once, when the interceptor is built. */
export function resolveHedgingOptions(options: HedgingOptions = {}, name = 'hedging'): ResolvedHedgingOptions {
  const o = objectOption<HedgingOptions>(name, options, OPTION_KEYS);
  const base: ResolvedHedgingPolicy = { ...DEFAULT_HEDGING_POLICY, ...validateHedgingOverrides(name, pickPolicy(o)) };
  const overrides = layers(name, base, o);
  const now = functionOption<() => number>(`${name}.now`, o.now) ?? preciseNow;
  const onEvent = functionOption<EventHandler>(`${name}.onEvent`, o.onEvent);

  const cache = new Map<string, ResolvedHedgingPolicy>();
  const policyFor = (path: string): ResolvedHedgingPolicy => {
    const cached = cache.get(path);
    if (cached) return cached;
    const policy = overrides.find(path) ?? base;
    if (cache.size < POLICY_CACHE_LIMIT) cache.set(path, policy);
    return policy;
  };

  return { policyFor, retry: resolveRetry(name, o, now, onEvent), latency: new LatencyWindows(), onEvent, now };
}

function resolveRetry(
  name: string,
  o: Partial<HedgingOptions>,
  now: () => number,
  onEvent: EventHandler | undefined,
): ResolvedRetryOptions {
  const retry = o.retry;
  if (typeof retry === 'function') {
    const settings = retrySettingsOf(retry);
    if (settings === undefined) {
      throw new TypeError(
        `${name}.retry must be an interceptor made by retryClientInterceptor, retry options, or false; got another function`,
      );
    }
    return settings;
  }
  if (retry !== undefined && retry !== false) {
    const given = RETRY_SHARED_KEYS.filter((key) => o[key] !== undefined);
    if (given.length > 0) throw new TypeError(`${name}: give ${given.join(', ')} inside ${name}.retry, not beside it`);
    return resolveRetryOptions({ now, onEvent, service: o.service, ...retry }, `${name}.retry`);
  }
  // No retries in hedged calls; the idempotency, status table and a budget still come from here.
  return resolveRetryOptions({ maxAttempts: 1, service: o.service, statusTable: o.statusTable, target: o.target, now, onEvent }, name);
}

function pickPolicy(o: Partial<HedgingOptions>): HedgingOverrides {
  const out: Record<string, unknown> = {};
  for (const key of HEDGING_POLICY_FIELDS) if (o[key] !== undefined) out[key] = o[key];
  return out;
}

/** Each method entry over its service's over the global policy; keys checked against `service` when given. */
function layers(name: string, base: ResolvedHedgingPolicy, o: Partial<HedgingOptions>): MethodTable<ResolvedHedgingPolicy> {
  const known = readServices(o.service, `${name}.service`);
  const keyed = parseMethodKeys(`${name}.methods`, o.methods, validateHedgingOverrides, { known });
  return keyed.layered<ResolvedHedgingPolicy>(base, (under, entry) => Object.freeze({ ...under, ...entry }));
}
