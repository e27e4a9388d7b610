import type { LatencyWindow } from './latency-window';
import type { ResolvedAdaptiveDelay } from './policy';

/**
 * How long to wait for an answer before the next hedge (ms): the fixed delay, or the adaptive
 * delay's percentile of the method's recent latency bounded by its floor and ceiling. While the
 * window holds too few latencies for the percentile, the ceiling (Infinity by default: no hedge).
 */
export function hedgeDelayMs(delay: number | ResolvedAdaptiveDelay, window: LatencyWindow | undefined): number {
  if (typeof delay === 'number') return delay;
  const latency = window?.percentile(delay.percentile);
  if (latency === undefined) return delay.maxMs;
  if (latency < delay.minMs) return delay.minMs;
  return latency > delay.maxMs ? delay.maxMs : latency;
}
