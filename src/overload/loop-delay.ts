import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** How often the event loop's delay is sampled (ms); the monitor's timer does not keep the process alive. */
const RESOLUTION_MS = 10;

let histogram: IntervalHistogram | undefined;
let lastDelayMs = 0;
let lastRead = -Infinity;

/**
 * The event loop's mean delay since the previous reading, in ms: how late a timer ran, so how long
 * work that arrived waited before the loop got to it. A call waits that long before any
 * interceptor sees it, so a latency measured from the interceptor alone would miss it.
 *
 * One monitor per process (there is one event loop), started on first use. Readers within the
 * same `RESOLUTION_MS` share a reading, so several limiters do not reset it under each other.
 */
export function eventLoopDelayMs(now: number): number {
  if (histogram === undefined) {
    histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
    lastRead = now;
    return 0;
  }
  if (now - lastRead < RESOLUTION_MS) return lastDelayMs;
  // The histogram records whole timer intervals (resolution included) in ns; no samples yet: 0.
  const mean = histogram.count > 0 ? histogram.mean / 1e6 - RESOLUTION_MS : 0;
  histogram.reset();
  lastRead = now;
  lastDelayMs = Math.max(0, mean);
  return lastDelayMs;
}
