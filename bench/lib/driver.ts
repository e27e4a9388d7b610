import { SampleBuffer, quantileOfSorted } from './stats';

/** Something that makes one call and reports its end (err = the call failed). */
export interface Invoker {
  invoke(done: (err: unknown) => void): void;
}

export interface LoadResult {
  readonly calls: number;
  readonly errors: number;
  /** First error seen, for diagnostics. */
  readonly firstError?: string;
  readonly elapsedMs: number;
  readonly callsPerSecond: number;
  /** Latency in µs (undefined when not recorded). */
  readonly p50Us?: number;
  readonly p99Us?: number;
  readonly meanUs?: number;
  /** Process CPU (user + system) over the run, µs. */
  readonly cpuUs: number;
  /** Highest RSS sampled during the run (every 100 ms and at the end), bytes. */
  readonly peakRss: number;
}

const latencies = new SampleBuffer();

/**
 * A closed loop: `concurrency` workers each start a call as soon as their previous one ended,
 * until `durationMs` has passed; then in-flight calls drain and the run ends.
 */
export function closedLoop(invoker: Invoker, concurrency: number, durationMs: number, record: boolean): Promise<LoadResult> {
  return new Promise((resolve) => {
    latencies.clear();
    let calls = 0;
    let errors = 0;
    let firstError: string | undefined;
    let active = concurrency;
    let peakRss = process.memoryUsage.rss();
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 100);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + durationMs;

    const finish = () => {
      const elapsedMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(rssTimer);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      let p50Us: number | undefined;
      let p99Us: number | undefined;
      let meanUs: number | undefined;
      if (record && latencies.length > 0) {
        const sorted = latencies.sorted();
        p50Us = quantileOfSorted(sorted, 0.5) * 1000;
        p99Us = quantileOfSorted(sorted, 0.99) * 1000;
        let sum = 0;
        for (let i = 0; i < sorted.length; i++) sum += sorted[i];
        meanUs = (sum / sorted.length) * 1000;
      }
      resolve({
        calls,
        errors,
        firstError,
        elapsedMs,
        callsPerSecond: (calls * 1000) / elapsedMs,
        p50Us,
        p99Us,
        meanUs,
        cpuUs: cpu.user + cpu.system,
        peakRss,
      });
    };

    const worker = () => {
      const start = performance.now();
      let returned = false;
      invoker.invoke((err) => {
        const now = performance.now();
        calls++;
        if (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
        if (record) latencies.push(now - start);
        if (now >= end) {
          if (--active === 0) finish();
        } else if (returned) {
          worker();
        } else {
          setImmediate(worker); // completed synchronously: do not grow the stack
        }
      });
      returned = true;
    };
    for (let i = 0; i < concurrency; i++) worker();
  });
}
