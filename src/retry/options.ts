import type { ChannelOptions } from '@grpc/grpc-js';
import { parseMethodKeys, serviceOf, type MethodTable } from '../internal/method-keys';
import { readServices, type ServiceSource } from '../internal/services';
import { functionOption, integerOption, keysOf, objectOption, plainObjectOption, stringOption } from '../internal/validate';
import { resolveStatusTable, type StatusTable, type StatusTableOptions } from '../status/table';
import type { EventHandler } from '../telemetry/events';
import { createRetryBudget, isRetryBudget, type RetryBudget, type RetryBudgetOptions } from './budget';
import {
  DEFAULT_RETRY_POLICY,
  RETRY_POLICY_FIELDS,
  checkPolicy,
  validateRetryOverrides,
  type RetryOverrides,
  type RetryPolicy,
} from './policy';
import type { RandomSource } from './backoff';

export interface RetryOptions extends RetryOverrides {
  /**
   * Overrides keyed by full method path (`/pkg.Service/Method`) or by service (`pkg.Service` or
   * `/pkg.Service/*`). A method entry applies on top of its service entry.
   */
  readonly methods?: Readonly<Record<string, RetryOverrides>>;
  /**
   * Service definitions whose proto option `idempotency_level` (NO_SIDE_EFFECTS, IDEMPOTENT)
   * marks methods idempotent: proto-loader definitions (or whole package definitions), ts-proto
   * generic definitions, or client constructors. Each key of `methods` must name one of their
   * methods or services.
   */
  readonly service?: ServiceSource | readonly ServiceSource[];
  /** The status table (or options for one); the default table when absent. */
  readonly statusTable?: StatusTable | StatusTableOptions;
  /**
   * The retry budget: options for the budgets this interceptor keeps per channel target, one
   * instance shared by every target (and whatever else it is given to), or false for none.
   */
  readonly budget?: RetryBudget | RetryBudgetOptions | false;
  /**
   * Retry client-streaming and bidi calls too, replaying the messages sent so far, as long as they
   * fit in `maxBytes` (serialized). Off by default: those calls pass through unretried.
   */
  readonly bufferClientStreams?: false | { readonly maxBytes: number };
  /**
   * The target name used for the budget and in events. Default: the channel target grpc-js
   * reports for the call (`dns:host:port`).
   */
  readonly target?: string;
  /** The client's channel options: a service-config retryPolicy there is warned about once. */
  readonly channelOptions?: ChannelOptions;
  /** Receives `retry`, `give-up` and `budget-exhausted` events. */
  readonly onEvent?: EventHandler;
  /** The clock (epoch ms); for tests. */
  readonly now?: () => number;
  /** Uniform numbers in [0, 1) for jitter; for tests. */
  readonly random?: RandomSource;
}

export interface ResolvedRetryOptions {
  /** The policy for a method: global, service and method layers, proto idempotency applied. */
  policyFor(path: string): RetryPolicy;
  readonly table: StatusTable;
  /** The budget of a target (undefined when budgets are off). */
  budgetFor(target: string): RetryBudget | undefined;
  /** Replay-buffer cap for client-streaming and bidi calls; 0 when they are not retried. */
  readonly bufferMaxBytes: number;
  readonly target: string | undefined;
  readonly channelOptions: ChannelOptions | undefined;
  readonly onEvent: EventHandler | undefined;
  readonly now: () => number;
  readonly random: RandomSource;
}

const OPTION_KEYS = keysOf<RetryOptions>({
  ...(Object.fromEntries(RETRY_POLICY_FIELDS.map((field) => [field, true])) as Record<keyof RetryPolicy, true>),
  methods: true,
  service: true,
  statusTable: true,
  budget: true,
  bufferClientStreams: true,
  target: true,
  channelOptions: true,
  onEvent: true,
  now: true,
  random: true,
});

/** The most methods whose merged policy is cached (a client has a fixed set of methods). */
const POLICY_CACHE_LIMIT = 1024;

/** Validates and compiles retry options once, when the interceptor is built. */
export function resolveRetryOptions(options: RetryOptions = {}, name = 'retry'): ResolvedRetryOptions {
  const o = objectOption<RetryOptions>(name, options, OPTION_KEYS);
  const base = checkPolicy(name, { ...DEFAULT_RETRY_POLICY, ...validateRetryOverrides(name, pickPolicy(o)) });
  const known = readServices(o.service, `${name}.service`);
  const overrides = parseMethodKeys(`${name}.methods`, o.methods, validateRetryOverrides, { known });
  checkLayers(name, base, overrides);
  const now = functionOption<() => number>(`${name}.now`, o.now) ?? Date.now;
  const random = functionOption<RandomSource>(`${name}.random`, o.random) ?? Math.random;

  const cache = new Map<string, RetryPolicy>();
  const policyFor = (path: string): RetryPolicy => {
    const cached = cache.get(path);
    if (cached) return cached;
    const service = overrides.services.get(serviceOf(path));
    const method = overrides.methods.get(path);
    let policy: RetryPolicy = base;
    if (service || method) policy = checkPolicy(`${name}.methods["${path}"]`, { ...base, ...service, ...method });
    // Explicit idempotency (method, then service) wins; then the proto option; then the global value.
    const declared = method?.idempotent ?? service?.idempotent;
    if (declared === undefined && !policy.idempotent && known?.isIdempotent(path)) policy = { ...policy, idempotent: true };
    policy = Object.freeze(policy);
    if (cache.size < POLICY_CACHE_LIMIT) cache.set(path, policy);
    return policy;
  };

  return {
    policyFor,
    table: resolveStatusTable(o.statusTable),
    budgetFor: resolveBudgets(name, o.budget, now),
    bufferMaxBytes: resolveBuffer(name, o.bufferClientStreams),
    target: stringOption(`${name}.target`, o.target),
    channelOptions: plainObjectOption<ChannelOptions>(`${name}.channelOptions`, o.channelOptions),
    onEvent: functionOption<EventHandler>(`${name}.onEvent`, o.onEvent),
    now,
    random,
  };
}

function pickPolicy(o: Partial<RetryOptions>): RetryOverrides {
  const out: Record<string, unknown> = {};
  for (const key of RETRY_POLICY_FIELDS) if (o[key] !== undefined) out[key] = o[key];
  return out;
}

/** Catches inconsistent layers now rather than on the first call. */
function checkLayers(name: string, base: RetryPolicy, overrides: MethodTable<RetryOverrides>): void {
  for (const [service, entry] of overrides.services) checkPolicy(`${name}.methods["${service}"]`, { ...base, ...entry });
  for (const [path, entry] of overrides.methods) {
    checkPolicy(`${name}.methods["${path}"]`, { ...base, ...overrides.services.get(serviceOf(path)), ...entry });
  }
}

/** The most targets one interceptor keeps a budget for; the oldest is dropped beyond it. */
const BUDGET_TARGET_LIMIT = 256;

function resolveBudgets(name: string, value: RetryOptions['budget'], now: () => number): (target: string) => RetryBudget | undefined {
  if (value === false) return () => undefined;
  if (isRetryBudget(value)) return () => value;
  const options: RetryBudgetOptions = { clock: now, ...(value as RetryBudgetOptions | undefined) };
  createRetryBudget(options, `${name}.budget`); // validate now, not on the first call
  const budgets = new Map<string, RetryBudget>();
  return (target) => {
    let budget = budgets.get(target);
    if (budget === undefined) {
      if (budgets.size >= BUDGET_TARGET_LIMIT) budgets.delete(budgets.keys().next().value as string);
      budget = createRetryBudget(options, `${name}.budget`);
      budgets.set(target, budget);
    }
    return budget;
  };
}

function resolveBuffer(name: string, value: RetryOptions['bufferClientStreams']): number {
  if (value === undefined || value === false) return 0;
  const o = objectOption<{ maxBytes: number }>(`${name}.bufferClientStreams`, value, ['maxBytes']);
  if (o.maxBytes === undefined) throw new TypeError(`${name}.bufferClientStreams.maxBytes is required (the replay buffer cap in bytes)`);
  return integerOption(`${name}.bufferClientStreams.maxBytes`, o.maxBytes, 0, 1, 256 * 1024 * 1024);
}
