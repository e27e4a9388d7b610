import { summariseProfile, type ProfileSummary } from '../lib/profile-summary';
import { startProfiling, stopProfiling } from '../lib/profiler';
import { runnerFor, timeCalls, type Runner } from './runners';
import { MICRO_VARIANTS, microUnavailable, type MicroVariant } from './variants';

export interface MicroSample {
  readonly variant: string;
  readonly round: number;
  /** Process CPU time (user + system, all threads incl. GC) per call, ns: robust to other load on the machine. */
  readonly nsPerCall: number;
  /** Wall time per call, ns. */
  readonly wallNsPerCall: number;
  readonly errors: number;
}

export interface MicroResult {
  readonly variants: readonly { id: string; label: string; side: 'client' | 'server' }[];
  readonly skipped: readonly { id: string; label: string; side: string; reason: string }[];
  readonly samples: readonly MicroSample[];
  readonly iterations: number;
  readonly rounds: number;
}

/**
 * Interleaved rounds: in each round every variant makes `iterations` calls (order rotated per
 * round). A warm-up of the same size runs first, so JIT tiers are settled before measuring.
 */
export async function runMicro(options: { iterations: number; rounds: number; only?: readonly string[] }): Promise<MicroResult> {
  const chosen = MICRO_VARIANTS.filter((v) => !options.only || options.only.includes(v.id) || v.id.endsWith('-none'));
  const skipped: MicroResult['skipped'][number][] = [];
  const runnable: { variant: MicroVariant; runner: Runner }[] = [];
  for (const variant of chosen) {
    const reason = microUnavailable(variant);
    if (reason) skipped.push({ id: variant.id, label: variant.label, side: variant.side, reason });
    else runnable.push({ variant, runner: runnerFor(variant) });
  }
  const samples: MicroSample[] = [];
  try {
    for (const { runner } of runnable) await timeCalls(runner, options.iterations);
    for (let round = 0; round < options.rounds; round++) {
      const k = round % runnable.length;
      for (const { variant, runner } of [...runnable.slice(k), ...runnable.slice(0, k)]) {
        const { cpuNs, wallNs, errors } = await timeCalls(runner, options.iterations);
        samples.push({ variant: variant.id, round, nsPerCall: cpuNs / options.iterations, wallNsPerCall: wallNs / options.iterations, errors });
      }
    }
  } finally {
    for (const { runner } of runnable) runner.close();
  }
  return {
    variants: runnable.map(({ variant }) => ({ id: variant.id, label: variant.label, side: variant.side })),
    skipped,
    samples,
    iterations: options.iterations,
    rounds: options.rounds,
  };
}

export interface MicroProfile {
  readonly variant: string;
  readonly label: string;
  readonly iterations: number;
  readonly nsPerCall: number;
  readonly summary: ProfileSummary;
}

/** A CPU profile of one micro variant over `iterations` calls, after as many unprofiled ones. */
export async function profileMicro(id: string, iterations: number, file: string): Promise<MicroProfile> {
  const variant = MICRO_VARIANTS.find((v) => v.id === id);
  if (!variant) throw new Error(`unknown micro variant ${id}; known: ${MICRO_VARIANTS.map((v) => v.id).join(', ')}`);
  const reason = microUnavailable(variant);
  if (reason) throw new Error(`${id} cannot run: ${reason}`);
  const runner = runnerFor(variant);
  try {
    await timeCalls(runner, iterations);
    await startProfiling();
    const { cpuNs } = await timeCalls(runner, iterations);
    const summary = summariseProfile(await stopProfiling(file));
    return { variant: id, label: variant.label, iterations, nsPerCall: cpuNs / iterations, summary };
  } finally {
    runner.close();
  }
}
