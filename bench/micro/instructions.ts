import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childCommand } from '../lib/build';
import { REPO_ROOT } from '../lib/machine';
import { MICRO_VARIANTS, microUnavailable } from './variants';

/**
 * Instructions per call of each micro variant, counted by valgrind's callgrind: repeatable to a
 * few instructions per call even on a loaded machine, where CPU time is not.
 *
 * Each variant runs twice in its own process: `warmup` calls then `calls` calls, and `warmup`
 * calls then 2 × `calls`. The difference between the two totals is `calls` calls in steady state
 * (start-up, module loading, JIT warm-up and exit cancel out).
 *
 * V8 is made deterministic: no background threads (GC and compilation run on the main thread,
 * so their instructions are counted), fixed hash and random seeds, and a fixed young generation
 * (V8 otherwise resizes it from the allocation rate per wall-clock ms, so the number of scavenges
 * would depend on how loaded the machine is).
 */
export const COUNT_NODE_FLAGS = [
  '--single-threaded',
  '--hash-seed=1',
  '--random-seed=1',
  '--min-semi-space-size=16',
  '--max-semi-space-size=16',
];

export interface InstructionCount {
  readonly id: string;
  readonly label: string;
  readonly side: 'client' | 'server';
  /** Instructions per call in steady state. */
  readonly perCall: number;
  /** Totals of the two runs (warmup + calls, warmup + 2 × calls). */
  readonly totals: readonly [number, number];
}

export interface InstructionResult {
  readonly counts: readonly InstructionCount[];
  readonly skipped: readonly { id: string; reason: string }[];
  readonly warmup: number;
  readonly calls: number;
  readonly valgrind: string;
}

/** valgrind's version line, or undefined when it is not installed. */
export function valgrindVersion(): string | undefined {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Runs one count-main process under callgrind; resolves with the instructions it executed. */
function countOnce(id: string, warmup: number, calls: number, dir: string): Promise<number> {
  const command = childCommand('bench/micro/count-main.ts');
  const out = path.join(dir, `${id}-${calls}.callgrind`);
  const args = [
    '--tool=callgrind',
    `--callgrind-out-file=${out}`,
    process.execPath,
    ...COUNT_NODE_FLAGS,
    ...command.nodeArgs,
    command.script,
    id,
    String(warmup),
    String(calls),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const collected = /Collected\s*:\s*(\d+)/.exec(stderr);
      if (code === 0 && collected) resolve(Number(collected[1]));
      else reject(new Error(`callgrind run of ${id} (${calls} calls) failed with code ${code}: ${stderr.split('\n').filter((l) => !l.startsWith('==')).join(' ').slice(0, 500)}`));
    });
  });
}

/** Runs `jobs` at a time (each job is one single-threaded process). */
async function inParallel<T>(jobs: readonly (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

export async function countInstructions(
  options: { calls: number; only?: readonly string[] },
  log: (line: string) => void,
): Promise<InstructionResult> {
  const valgrind = valgrindVersion();
  if (!valgrind) throw new Error('valgrind is not installed (Debian/Ubuntu: apt-get install -y valgrind)');
  const calls = options.calls;
  const warmup = 2 * calls;
  const chosen = MICRO_VARIANTS.filter(
    (v) => !options.only || options.only.includes(v.id) || v.id.endsWith('-none') || v.id === 'client-traceparent',
  );
  const skipped: { id: string; reason: string }[] = [];
  const runnable = chosen.filter((v) => {
    const reason = microUnavailable(v);
    if (reason) skipped.push({ id: v.id, reason });
    return !reason;
  });
  const width = Math.max(1, os.availableParallelism());
  log(`instruction counts: ${runnable.length} variants × 2 callgrind runs (${warmup} warm-up calls, then ${calls} or ${2 * calls}), ${width} at a time`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-callgrind-'));
  try {
    const jobs = runnable.flatMap((v) => [() => countOnce(v.id, warmup, calls, dir), () => countOnce(v.id, warmup, 2 * calls, dir)]);
    const totals = await inParallel(jobs, width);
    const counts = runnable.map((v, i): InstructionCount => {
      const pair: [number, number] = [totals[2 * i], totals[2 * i + 1]];
      return { id: v.id, label: v.label, side: v.side, perCall: (pair[1] - pair[0]) / calls, totals: pair };
    });
    return { counts, skipped, warmup, calls, valgrind };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
