import { status } from '@grpc/grpc-js';
import { functionOption, integerOption, numberOption, objectOption, stringOption } from '../internal/validate';
import { parseStatusCode } from '../status/codes';
import type { EventHandler } from '../telemetry/events';

export interface ThrottleOptions {
  /**
   * K of the SRE rule: the target is sent up to K requests for each one it accepts before any
   * is refused locally. Lower refuses sooner (down to 1: as many as it accepts). Default 2.
   */
  readonly ratio?: number;
  /** Length of the sliding window requests and accepts are counted over. Default 10 000 ms. */
  readonly windowMs?: number;
  /** The highest probability a request is refused with, so some always probe the target. Default 0.9. */
  readonly maxProbability?: number;
  /**
   * Codes that mean the target did not accept the request (names or numbers). Default
   * RESOURCE_EXHAUSTED, UNAVAILABLE and DEADLINE_EXCEEDED. CANCELLED and calls refused locally
   * below this layer (an open breaker) are not counted either way.
   */
  readonly rejectedCodes?: readonly (string | number)[];
  /** Name of the target (throttling is per target). Default: the channel target grpc-js reports. */
  readonly target?: string;
  /** Targets tracked at most; beyond, the oldest is forgotten. Default 1000. */
  readonly maxTargets?: number;
  /** Receives `throttle-reject` and `throttle-probability` events. */
  readonly onEvent?: EventHandler;
  /** Millisecond clock; for tests. Default `performance.now`. */
  readonly clock?: () => number;
  /** Uniform numbers in [0, 1); for tests. Default `Math.random`. */
  readonly random?: () => number;
}

export const THROTTLE_OPTION_KEYS = [
  'ratio',
  'windowMs',
  'maxProbability',
  'rejectedCodes',
  'target',
  'maxTargets',
  'onEvent',
  'clock',
  'random',
] as const satisfies readonly (keyof ThrottleOptions)[];

export interface ResolvedThrottleOptions {
  readonly ratio: number;
  readonly windowMs: number;
  readonly maxProbability: number;
  /** Indexed by status code: true when the code counts as a rejection. */
  readonly rejected: readonly boolean[];
  readonly target: string | undefined;
  readonly maxTargets: number;
  readonly onEvent: EventHandler | undefined;
  readonly clock: () => number;
  readonly random: () => number;
}

const DEFAULT_REJECTED = [status.RESOURCE_EXHAUSTED, status.UNAVAILABLE, status.DEADLINE_EXCEEDED];

export function resolveThrottleOptions(options: unknown, name = 'throttle'): ResolvedThrottleOptions {
  const o = objectOption<ThrottleOptions>(name, options, THROTTLE_OPTION_KEYS);
  return {
    ratio: numberOption(`${name}.ratio`, o.ratio, 2, 1, 100),
    windowMs: numberOption(`${name}.windowMs`, o.windowMs, 10_000, 100, 3_600_000),
    maxProbability: numberOption(`${name}.maxProbability`, o.maxProbability, 0.9, 0, 1),
    rejected: rejectedCodes(`${name}.rejectedCodes`, o.rejectedCodes),
    target: stringOption(`${name}.target`, o.target),
    maxTargets: integerOption(`${name}.maxTargets`, o.maxTargets, 1000, 1, 1_000_000),
    onEvent: functionOption<EventHandler>(`${name}.onEvent`, o.onEvent),
    clock: functionOption<() => number>(`${name}.clock`, o.clock) ?? (() => performance.now()),
    random: functionOption<() => number>(`${name}.random`, o.random) ?? Math.random,
  };
}

function rejectedCodes(name: string, value: unknown): boolean[] {
  const table: boolean[] = Array.from({ length: 17 }, () => false);
  if (value === undefined) {
    for (const code of DEFAULT_REJECTED) table[code] = true;
    return table;
  }
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of status codes (names or numbers)`);
  for (const entry of value) {
    const code = parseStatusCode(entry);
    if (code === undefined || code === status.OK || code === status.CANCELLED) {
      throw new TypeError(`${name}: ${JSON.stringify(entry)} is not a status code a target rejects with (1–16 but CANCELLED, or a name)`);
    }
    table[code] = true;
  }
  return table;
}
