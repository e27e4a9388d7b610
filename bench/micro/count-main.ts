import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { runnerFor, timeCalls, type Runner } from './runners';
import { MICRO_VARIANTS, microUnavailable } from './variants';

/**
 * One sample of `--instructions`: makes `warmup` calls, then `calls` more, and exits.
 * Arguments: variant id, warmup calls, calls, and optionally `--allocation`.
 *
 * - Under callgrind (instructions): two runs differing only in `calls` give instructions per call.
 * - With `--allocation` (run natively, with `--expose-gc` and a young generation large enough to
 *   hold every allocation of the measured calls): prints the bytes the calls allocated, as JSON.
 *   With no collection during the calls, the growth of the used heap is exactly what they allocated.
 */
async function main(): Promise<void> {
  const [id, warmup, calls, mode] = process.argv.slice(2);
  const variant = MICRO_VARIANTS.find((v) => v.id === id);
  if (!variant) throw new Error(`unknown micro variant ${id}`);
  const reason = microUnavailable(variant);
  if (reason) throw new Error(`${id} cannot run: ${reason}`);
  const runner = runnerFor(variant);
  await run(runner, id, Number(warmup));
  if (mode === '--allocation') {
    process.stdout.write(`${JSON.stringify(await allocation(runner, id, Number(calls)))}\n`);
  } else {
    await run(runner, id, Number(calls));
  }
  runner.close();
}

async function run(runner: Runner, id: string, calls: number): Promise<void> {
  const { errors } = await timeCalls(runner, calls);
  if (errors > 0) throw new Error(`${id}: ${errors} of ${calls} calls failed`);
}

async function allocation(runner: Runner, id: string, calls: number): Promise<{ bytes: number; calls: number }> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('--allocation needs node --expose-gc');
  let collections = 0;
  const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  // A full collection first, so no incremental marking is due during the measured calls; then a
  // few calls to bring back whatever the collection dropped (inline caches, compiled code).
  collect();
  await run(runner, id, Math.ceil(calls / 4));
  await new Promise((resolve) => setTimeout(resolve, 10)); // the forced collection's entry arrives
  const seen = collections;
  const before = getHeapStatistics().used_heap_size;
  await run(runner, id, calls);
  const after = getHeapStatistics().used_heap_size;
  await new Promise((resolve) => setTimeout(resolve, 10));
  observer.disconnect();
  if (collections !== seen) throw new Error(`${id}: the heap was collected during the measured calls; use fewer calls`);
  return { bytes: after - before, calls };
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
