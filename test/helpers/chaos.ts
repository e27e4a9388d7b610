import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Summary of a list of measurements (ms). */
export interface Spread {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** p50, p99 and max of `values` (rounded to 0.1); zeros for an empty list. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { n: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);
  return { n: values.length, p50: at(0.5), p99: at(0.99), max: round(sorted[sorted.length - 1]) };
}

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Prints a scenario's figure as one line of JSON (`[chaos] <scenario> {...}`), the form the
 * guarantees table in the docs quotes.
 */
export function figure(scenario: string, values: Record<string, unknown>): void {
  console.log(`[chaos] ${scenario} ${JSON.stringify(values)}`);
}

/** Collects unhandled rejections and uncaught exceptions while a scenario runs. */
export interface FailureWatch {
  readonly unhandled: unknown[];
  /** Stops listening; returns what was seen. */
  stop(): unknown[];
}

export function watchUnhandled(): FailureWatch {
  const unhandled: unknown[] = [];
  const onRejection = (reason: unknown) => unhandled.push(reason);
  // The monitor variant observes without changing how Node handles the exception.
  const onException = (error: unknown) => unhandled.push(error);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtExceptionMonitor', onException);
  return {
    unhandled,
    stop: () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtExceptionMonitor', onException);
      return unhandled;
    },
  };
}

/** Event-loop delay over a scenario: how busy the (shared) machine was, to read the figures against. */
export interface LoopLag {
  /** p99 and max delay in ms since start. */
  stop(): { p99: number; max: number };
}

export function watchLoopLag(): LoopLag {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    stop: () => {
      h.disable();
      return { p99: round(h.percentile(99) / 1e6), max: round(h.max / 1e6) };
    },
  };
}

/**
 * Runs `call(i)` in `concurrency` parallel loops until `shouldStop()` says so (checked before each
 * call) or `maxCalls` calls were started, whichever comes first. Each loop awaits its call before
 * starting the next, so the load is bounded, and yields to the event loop (`setImmediate`) before
 * the next call, as requests arriving over the network would: a loop of calls that fail locally
 * would otherwise run in microtasks only and starve every timer (see the breaker-rejection scenario).
 */
export async function runLoad(options: {
  readonly concurrency: number;
  readonly maxCalls: number;
  readonly shouldStop: () => boolean;
  readonly call: (index: number) => Promise<void>;
}): Promise<number> {
  let started = 0;
  const loop = async () => {
    while (started < options.maxCalls && !options.shouldStop()) {
      await options.call(started++);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  return started;
}
