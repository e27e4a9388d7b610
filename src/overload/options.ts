import { CRITICALITIES, type Criticality } from '../criticality/criticality';
import { parseMethodKeys } from '../internal/method-keys';
import { enumOption, functionOption, integerOption, numberOption, objectOption } from '../internal/validate';
import type { EventHandler } from '../telemetry/events';
import { DEFAULT_SHARES, type CriticalityShares } from './admission';

/** How a concurrency limit is set: learnt from latency, or a fixed number of calls in flight. */
export type LimitSetting = 'adaptive' | number;

/** How the adaptive limit learns; shared by the server's limit and adaptive per-method limits. */
export interface AdaptiveTuning {
  /** The limit before anything is learnt. Default 20. */
  readonly initialLimit?: number;
  /** The adaptive limit never goes below this. Default 2. */
  readonly minLimit?: number;
  /** The adaptive limit never goes above this. Default 1000. */
  readonly maxLimit?: number;
  /** Latency up to this multiple of the no-load latency counts as no congestion. Default 2. */
  readonly tolerance?: number;
  /** The shortest adaptation window (it also waits for 10 calls). Default 100 ms. */
  readonly windowMs?: number;
}

/** Limits and criticality of one method, or of every method of a service. */
export interface MethodOverloadOptions {
  /**
   * A limit of this method's own, applied on top of the server's: a number of calls (streams
   * included) or `'adaptive'` (learns from unary calls only).
   */
  readonly limit?: LimitSetting;
  /** The criticality of calls to this method that carry none. Default `'default'`. */
  readonly criticality?: Criticality;
}

export interface OverloadOptions extends AdaptiveTuning {
  /**
   * The server's limit on unary calls in flight: `'adaptive'` (default) or a fixed number.
   * Streaming calls are left to per-method limits: their duration says nothing about the load.
   */
  readonly limit?: LimitSetting;
  /**
   * The share of the limit calls of each criticality may fill (critical calls fill all of it).
   * Default `{ default: 0.9, sheddable: 0.5 }`: sheddable calls are refused first.
   */
  readonly shares?: Partial<CriticalityShares>;
  /** The wait a refused caller is told (RetryInfo and the pushback trailer), jittered ±50 %. Default 100 ms. */
  readonly retryAfterMs?: number;
  /** Per method path (`/pkg.Service/Method`) or service (`pkg.Service`, `/pkg.Service/*`). */
  readonly methods?: Readonly<Record<string, MethodOverloadOptions>>;
  /** Receives `overload-reject` and `overload-limit` events. */
  readonly onEvent?: EventHandler;
  /** Millisecond clock (monotonic); for tests. Default `performance.now`. */
  readonly clock?: () => number;
  /** Uniform numbers in [0, 1) for the jitter; for tests. Default `Math.random`. */
  readonly random?: () => number;
  /** The event loop's delay in ms since the last reading; for tests. Default: measured (node:perf_hooks). */
  readonly loopDelayMs?: (now: number) => number;
}

/** Every key of `OverloadOptions`, for the unknown-key check. */
export const OVERLOAD_OPTION_KEYS = [
  'limit',
  'initialLimit',
  'minLimit',
  'maxLimit',
  'tolerance',
  'windowMs',
  'shares',
  'retryAfterMs',
  'methods',
  'onEvent',
  'clock',
  'random',
  'loopDelayMs',
] as const satisfies readonly (keyof OverloadOptions)[];

export interface ResolvedTuning {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly tolerance: number;
  readonly windowMs: number;
}

export interface ResolvedMethodOverload {
  readonly limit: LimitSetting | undefined;
  readonly criticality: Criticality | undefined;
}

export interface ResolvedOverloadOptions {
  readonly limit: LimitSetting;
  readonly tuning: ResolvedTuning;
  readonly shares: CriticalityShares;
  readonly retryAfterMs: number;
  /** Per-method settings: exact paths first, then services. */
  readonly forMethod: (path: string) => ResolvedMethodOverload | undefined;
  readonly onEvent: EventHandler | undefined;
  readonly clock: () => number;
  readonly random: () => number;
  readonly loopDelayMs: ((now: number) => number) | undefined;
}

const MAX_LIMIT = 1_000_000;

function limitSetting(name: string, value: unknown, fallback: LimitSetting | undefined): LimitSetting | undefined {
  if (value === undefined) return fallback;
  if (value === 'adaptive') return value;
  if (typeof value === 'number') return integerOption(name, value, 0, 1, MAX_LIMIT);
  throw new TypeError(`${name} must be 'adaptive' or a whole number of calls (1–${MAX_LIMIT}); got ${JSON.stringify(value)}`);
}

export function resolveOverloadOptions(options: unknown, name = 'overload'): ResolvedOverloadOptions {
  const o = objectOption<OverloadOptions>(name, options, OVERLOAD_OPTION_KEYS);
  const minLimit = integerOption(`${name}.minLimit`, o.minLimit, 2, 1, MAX_LIMIT);
  const maxLimit = integerOption(`${name}.maxLimit`, o.maxLimit, Math.max(1000, minLimit), minLimit, MAX_LIMIT);
  const initialLimit = integerOption(
    `${name}.initialLimit`,
    o.initialLimit,
    Math.min(Math.max(20, minLimit), maxLimit),
    minLimit,
    maxLimit,
  );
  const tuning: ResolvedTuning = {
    initialLimit,
    minLimit,
    maxLimit,
    tolerance: numberOption(`${name}.tolerance`, o.tolerance, 2, 1, 100),
    windowMs: numberOption(`${name}.windowMs`, o.windowMs, 100, 1, 60_000),
  };
  const given = objectOption<CriticalityShares>(`${name}.shares`, o.shares, ['default', 'sheddable']);
  const sharesDefault = numberOption(`${name}.shares.default`, given.default, DEFAULT_SHARES.default, 0, 1);
  const shares: CriticalityShares = {
    default: sharesDefault,
    sheddable: numberOption(
      `${name}.shares.sheddable`,
      given.sheddable,
      Math.min(DEFAULT_SHARES.sheddable, sharesDefault),
      0,
      sharesDefault,
    ),
  };
  return {
    limit: limitSetting(`${name}.limit`, o.limit, 'adaptive') as LimitSetting,
    tuning,
    shares,
    retryAfterMs: numberOption(`${name}.retryAfterMs`, o.retryAfterMs, 100, 1, 3_600_000),
    forMethod: methodTable(`${name}.methods`, o.methods),
    onEvent: functionOption<EventHandler>(`${name}.onEvent`, o.onEvent),
    clock: functionOption<() => number>(`${name}.clock`, o.clock) ?? (() => performance.now()),
    random: functionOption<() => number>(`${name}.random`, o.random) ?? Math.random,
    loopDelayMs: functionOption<(now: number) => number>(`${name}.loopDelayMs`, o.loopDelayMs),
  };
}

function methodTable(name: string, methods: unknown): (path: string) => ResolvedMethodOverload | undefined {
  const table = parseMethodKeys(name, methods, (entryName, value): ResolvedMethodOverload => {
    const entry = objectOption<MethodOverloadOptions>(entryName, value, ['limit', 'criticality']);
    return {
      limit: limitSetting(`${entryName}.limit`, entry.limit, undefined),
      criticality:
        entry.criticality === undefined ? undefined : enumOption(`${entryName}.criticality`, entry.criticality, 'default', CRITICALITIES),
    };
  });
  return table.isEmpty ? () => undefined : (path) => table.find(path);
}
