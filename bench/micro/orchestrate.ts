import type { BenchConfig } from '../lib/args';
import { spawnChild } from '../lib/children';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../lib/machine';
import type { MicroProfile, MicroResult } from './measure';

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

/** CPU profile of one micro variant, in its own pinned process; the .cpuprofile goes to bench/profiles/. */
export async function profileMicroInChild(
  config: Pick<BenchConfig, 'pin' | 'microIterations'>,
  id: string,
  log: (line: string) => void,
): Promise<MicroProfile & { file: string }> {
  const dir = path.join(REPO_ROOT, 'bench', 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `micro-${id}.cpuprofile`);
  log(`profiling micro variant ${id} over ${config.microIterations} calls`);
  const child = spawnChild('micro profile', 'bench/micro/main.ts', [], { cpu: config.pin ? 0 : undefined });
  try {
    return { ...(await child.request<MicroProfile>('profile', { variant: id, iterations: config.microIterations, file })), file };
  } finally {
    await child.close();
  }
}
