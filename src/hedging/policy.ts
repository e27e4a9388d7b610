import { integerOption, numberOption, objectOption } from '../internal/validate';
import { registerCallSettings } from '../options/call-options';

/**
 * An adaptive hedge delay: a percentile of the method's recent first-attempt latency, so about
 * (100 − percentile) % of calls are hedged whatever the method's speed.
 */
export interface AdaptiveHedgeDelay {
  /** The percentile of recent latency to wait for, 50–99.9 (95 hedges about 5 % of calls). */
  readonly percentile: number;
  /** The floor: never hedge sooner than this (ms). Default 5. */
  readonly minMs?: number;
  /**
   * The ceiling (ms), also the delay while too few latencies are known to trust the percentile.
   * Default Infinity: no hedging until then.
   */
  readonly maxMs?: number;
}

/** How long an attempt may go unanswered before the next hedge: fixed milliseconds, or adaptive. */
export type HedgeDelay = number | AdaptiveHedgeDelay;

/** An adaptive delay with its defaults filled in. */
export interface ResolvedAdaptiveDelay {
  readonly percentile: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** The hedging rules for one call; each field can be set globally, per service or method, and per call. */
export interface HedgingPolicy {
  /**
   * The attempt count a hedge may bring a call to, the first attempt included (1 turns hedging
   * off). Hedges and retries share one count: a retry still needs the count to be below the retry
   * policy's `maxAttempts`, so a call makes at most the larger of the two.
   */
  readonly maxAttempts: number;
  /** How long the latest attempt may go unanswered before the next hedge is sent. */
  readonly delay: HedgeDelay;
}

/** Some fields of a `HedgingPolicy`: a per-service, per-method or per-call override. */
export type HedgingOverrides = Partial<HedgingPolicy>;

/** The policy as the interceptor uses it (the delay's defaults filled in). */
export interface ResolvedHedgingPolicy {
  readonly maxAttempts: number;
  readonly delay: number | ResolvedAdaptiveDelay;
}

/** The most attempts hedging may make (gRFC A6 caps hedges at 5 too). */
export const MAX_HEDGED_ATTEMPTS = 5;

/** The longest fixed delay or ceiling accepted: 24 days (the grpc-js server deadline limit). */
const MAX_DELAY_MS = 24 * 24 * 60 * 60 * 1000;

export const DEFAULT_ADAPTIVE_DELAY: ResolvedAdaptiveDelay = Object.freeze({ percentile: 95, minMs: 5, maxMs: Infinity });

export const DEFAULT_HEDGING_POLICY: ResolvedHedgingPolicy = Object.freeze({
  maxAttempts: 2,
  delay: DEFAULT_ADAPTIVE_DELAY,
});

export const HEDGING_POLICY_FIELDS: readonly (keyof HedgingPolicy)[] = ['maxAttempts', 'delay'];

const ADAPTIVE_FIELDS: readonly (keyof AdaptiveHedgeDelay)[] = ['percentile', 'minMs', 'maxMs'];

// Per call: overrides, or false for no hedging (a later false wins; later overrides replace an earlier false).
registerCallSettings('hedging', {
  validate: (where, value) => (value === false ? false : validateHedgingOverrides(where, value)),
  merge: (earlier, next) => (next === false ? false : { ...(earlier === false ? undefined : earlier), ...next }),
});

/**
 * Validates an override, throwing a message that names `prefix.field`, what is allowed and what
 * was given. Only fields present are returned, so layering keeps lower layers' values.
 */
export function validateHedgingOverrides(
  prefix: string,
  value: unknown,
  extraKeys: readonly string[] = [],
): { maxAttempts?: number; delay?: number | ResolvedAdaptiveDelay } {
  const raw = objectOption<HedgingPolicy>(prefix, value, [...HEDGING_POLICY_FIELDS, ...extraKeys]);
  const out: { maxAttempts?: number; delay?: number | ResolvedAdaptiveDelay } = {};
  if (raw.maxAttempts !== undefined) {
    out.maxAttempts = integerOption(`${prefix}.maxAttempts`, raw.maxAttempts, 0, 1, MAX_HEDGED_ATTEMPTS);
  }
  if (raw.delay !== undefined) out.delay = validateDelay(`${prefix}.delay`, raw.delay);
  return out;
}

function validateDelay(name: string, value: unknown): number | ResolvedAdaptiveDelay {
  if (typeof value === 'number') return numberOption(name, value, 0, 0, MAX_DELAY_MS);
  if (value === null || typeof value !== 'object') {
    const given = value === null ? 'null' : typeof value;
    throw new TypeError(`${name} must be milliseconds (a number) or { percentile, minMs?, maxMs? }; got ${given}`);
  }
  const o = objectOption<AdaptiveHedgeDelay>(name, value, ADAPTIVE_FIELDS);
  if (o.percentile === undefined) throw new TypeError(`${name}.percentile is required (e.g. 95 hedges about 5 % of calls)`);
  const percentile = numberOption(`${name}.percentile`, o.percentile, 0, 50, 99.9);
  const minMs = numberOption(`${name}.minMs`, o.minMs, DEFAULT_ADAPTIVE_DELAY.minMs, 0, MAX_DELAY_MS);
  const maxMs = o.maxMs === Infinity ? Infinity : numberOption(`${name}.maxMs`, o.maxMs, Infinity, 0, MAX_DELAY_MS);
  if (maxMs < minMs) throw new RangeError(`${name}: maxMs (${maxMs}) must be at least minMs (${minMs})`);
  return Object.freeze({ percentile, minMs, maxMs });
}
