import { runnerFor, timeCalls } from './runners';
import { MICRO_VARIANTS, microUnavailable } from './variants';

/**
 * One instruction-count sample (run under callgrind by `--instructions`): makes `warmup` calls,
 * then `calls` more, and exits. Two runs differing only in `calls` give instructions per call.
 * Arguments: variant id, warmup calls, calls.
 */
async function main(): Promise<void> {
  const [id, warmup, calls] = process.argv.slice(2);
  const variant = MICRO_VARIANTS.find((v) => v.id === id);
  if (!variant) throw new Error(`unknown micro variant ${id}`);
  const reason = microUnavailable(variant);
  if (reason) throw new Error(`${id} cannot run: ${reason}`);
  const runner = runnerFor(variant);
  let errors = (await timeCalls(runner, Number(warmup))).errors;
  errors += (await timeCalls(runner, Number(calls))).errors;
  runner.close();
  if (errors > 0) throw new Error(`${id}: ${errors} calls failed`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
