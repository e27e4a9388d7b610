import type { BenchConfig } from '../lib/args';
import { spawnChild } from '../lib/children';
import type { MicroResult } from './measure';

/** Runs the micro-benchmark in its own process, pinned to the client core when pinning is on. */
export async function runMicroInChild(
  config: Pick<BenchConfig, 'pin' | 'microIterations' | 'microRounds'>,
  log: (line: string) => void,
  only?: readonly string[],
): Promise<MicroResult> {
  log(`micro-benchmark: ${config.microRounds} rounds × ${config.microIterations} calls per variant`);
  const child = spawnChild('micro', 'bench/micro/main.ts', [], { cpu: config.pin ? 0 : undefined });
  try {
    return await child.request<MicroResult>('run', { iterations: config.microIterations, rounds: config.microRounds, only });
  } finally {
    await child.close();
  }
}
