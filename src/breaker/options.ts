import { enumOption, functionOption, integerOption, keysOf, numberOption, stringOption } from '../internal/validate';
import { MAX_TIMER_MS } from '../internal/time';
import { resolveStatusTable, type StatusTable, type StatusTableOptions } from '../status/table';
import type { EventHandler } from '../telemetry/events';

/** What one breaker covers: one method of a target, or every method of one service of a target. */
export type BreakerScope = 'method' | 'service';

/** How breakers trip and recover; shared by every breaker of a registry. */
export interface BreakerTuning {
  /** Opens when the share of failed calls in the window is above this percentage. Default 50. */
  readonly errorThresholdPercentage?: number;
  /** Counted calls the window must hold before the breaker may open. Default 20. */
  readonly volumeThreshold?: number;
  /** How long an open breaker rejects calls before it lets one probe through. Default 10 000 ms. */
  readonly resetTimeoutMs?: number;
  /** A probe with no verdict after this long counts as failed (the breaker re-opens). Default 30 000 ms. */
  readonly probeTimeoutMs?: number;
  /** Length of the rolling window calls are counted in. Default 10 000 ms. */
  readonly rollingWindowMs?: number;
  /** Buckets the window is divided into (it slides one bucket at a time). Default 10. */
  readonly rollingBuckets?: number;
  /** Most breakers kept; the least recently used is shut down beyond it. Default 1000. */
  readonly maxBreakers?: number;
  /** A breaker unused for this long is shut down (checked lazily, on later calls). Default 300 000 ms. */
  readonly idleEvictionMs?: number;
  /** Receives breaker-state and breaker-reject events. */
  readonly onEvent?: EventHandler;
  /** Milliseconds clock; for tests. Default `Date.now`. opossum's reset timer always uses real timers. */
  readonly clock?: () => number;
}

export interface ResolvedBreakerTuning {
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  readonly resetTimeoutMs: number;
  readonly probeTimeoutMs: number;
  readonly rollingWindowMs: number;
  readonly rollingBuckets: number;
  readonly maxBreakers: number;
  readonly idleEvictionMs: number;
  readonly onEvent: EventHandler | undefined;
  readonly clock: () => number;
}

/** How calls are mapped to breakers; used by the breaker and the fallback interceptors. */
export interface BreakerKeyOptions {
  /**
   * Name of the target in breaker keys and events. Default: the channel's target as grpc-js
   * reports it (`dns:users.internal:50051`), so one interceptor shared by clients of different
   * targets keeps their breakers apart.
   */
  readonly target?: string;
  /** One breaker per method (default) or per service. */
  readonly scope?: BreakerScope;
  /** The status table (or options for one) deciding which codes count as failures. */
  readonly statusTable?: StatusTable | StatusTableOptions;
}

export const BREAKER_DEFAULTS = Object.freeze({
  errorThresholdPercentage: 50,
  volumeThreshold: 20,
  resetTimeoutMs: 10_000,
  probeTimeoutMs: 30_000,
  rollingWindowMs: 10_000,
  rollingBuckets: 10,
  maxBreakers: 1000,
  idleEvictionMs: 300_000,
  scope: 'method' as BreakerScope,
});

export const TUNING_KEYS = keysOf<BreakerTuning>({
  errorThresholdPercentage: true,
  volumeThreshold: true,
  resetTimeoutMs: true,
  probeTimeoutMs: true,
  rollingWindowMs: true,
  rollingBuckets: true,
  maxBreakers: true,
  idleEvictionMs: true,
  onEvent: true,
  clock: true,
});

export const KEY_OPTION_KEYS = keysOf<BreakerKeyOptions>({ target: true, scope: true, statusTable: true });

/** Validates tuning options (already checked to be an object), applying defaults. */
export function resolveBreakerTuning(o: BreakerTuning, name: string): ResolvedBreakerTuning {
  const rollingWindowMs = numberOption(`${name}.rollingWindowMs`, o.rollingWindowMs, BREAKER_DEFAULTS.rollingWindowMs, 1, MAX_TIMER_MS);
  const rollingBuckets = integerOption(`${name}.rollingBuckets`, o.rollingBuckets, BREAKER_DEFAULTS.rollingBuckets, 1, 1000);
  if (rollingWindowMs / rollingBuckets < 1) {
    throw new RangeError(
      `${name}.rollingBuckets must not exceed ${name}.rollingWindowMs (buckets of at least 1 ms); got ${rollingBuckets} buckets over ${rollingWindowMs} ms`,
    );
  }
  return {
    errorThresholdPercentage: numberOption(
      `${name}.errorThresholdPercentage`,
      o.errorThresholdPercentage,
      BREAKER_DEFAULTS.errorThresholdPercentage,
      0,
      100,
    ),
    volumeThreshold: integerOption(`${name}.volumeThreshold`, o.volumeThreshold, BREAKER_DEFAULTS.volumeThreshold, 1, 1_000_000),
    resetTimeoutMs: numberOption(`${name}.resetTimeoutMs`, o.resetTimeoutMs, BREAKER_DEFAULTS.resetTimeoutMs, 1, MAX_TIMER_MS),
    probeTimeoutMs: numberOption(`${name}.probeTimeoutMs`, o.probeTimeoutMs, BREAKER_DEFAULTS.probeTimeoutMs, 1, MAX_TIMER_MS),
    rollingWindowMs,
    rollingBuckets,
    maxBreakers: integerOption(`${name}.maxBreakers`, o.maxBreakers, BREAKER_DEFAULTS.maxBreakers, 1, 10_000_000),
    idleEvictionMs: numberOption(
      `${name}.idleEvictionMs`,
      o.idleEvictionMs,
      BREAKER_DEFAULTS.idleEvictionMs,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    onEvent: functionOption<EventHandler>(`${name}.onEvent`, o.onEvent),
    clock: functionOption<() => number>(`${name}.clock`, o.clock) ?? (() => Date.now()),
  };
}

export interface ResolvedKeyOptions {
  readonly target: string | undefined;
  readonly scope: BreakerScope;
  readonly table: StatusTable;
}

/** Validates key options (already checked to be an object). */
export function resolveKeyOptions(o: BreakerKeyOptions, name: string): ResolvedKeyOptions {
  return {
    target: stringOption(`${name}.target`, o.target),
    scope: enumOption<BreakerScope>(`${name}.scope`, o.scope, BREAKER_DEFAULTS.scope, ['method', 'service']),
    table: resolveStatusTable(o.statusTable),
  };
}

