import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childCommand } from '../lib/build';
import { REPO_ROOT } from '../lib/machine';
import { median } from '../lib/stats';
import { MICRO_VARIANTS, microUnavailable } from './variants';

/**
 * Instructions and allocated bytes per call of each micro variant. Callgrind counts are
 * repeatable to a few instructions per call even on a loaded machine, where CPU time is not.
 *
 * - Instructions: each variant runs twice under callgrind, `warmup` calls then `calls` calls, and
 *   `warmup` calls then 2 × `calls`. The difference of the two totals is `calls` calls in steady
 *   state (start-up, module loading, JIT warm-up and exit cancel out). Garbage collection is left
 *   out of the count: a scavenge costs millions of instructions at once, so whether one more falls
 *   in the measured window would move the result by about a thousand instructions per call.
 * - Allocation: a third, native run measures the bytes the calls allocate (the GC work they cause
 *   grows with it).
 *
 * V8 is made deterministic: no background threads (compilation happens on the main thread and is
 * counted), fixed hash and random seeds, and a fixed young generation (V8 otherwise sizes it from
 * the allocation rate per wall-clock ms). Stack traces are off: grpc-js captures one per unary call
 * (`new Error()` in makeUnaryRequest, before any interceptor runs, so the same for every variant),
 * and its cost moves by ±800 instructions with where code lands in memory (a code-lookup cache), as
 * unrelated changes such as the length of the build folder's name showed.
 */
export const COUNT_NODE_FLAGS = [
  '--single-threaded',
  '--hash-seed=1',
  '--random-seed=1',
  '--min-semi-space-size=16',
  '--max-semi-space-size=16',
  '--stack-trace-limit=0',
];

/** Callgrind counts from `main` on, except inside V8's garbage collector. */
const CALLGRIND_FLAGS = ['--tool=callgrind', '--toggle-collect=main', '--toggle-collect=v8::internal::Heap::CollectGarbage*'];

/** Native allocation run: a young generation that holds every allocation of the measured calls. */
const ALLOCATION_NODE_FLAGS = ['--expose-gc', '--single-threaded', '--min-semi-space-size=64', '--max-semi-space-size=64'];

export interface InstructionCount {
  readonly id: string;
  readonly label: string;
  readonly side: 'client' | 'server';
  /** Instructions per call in steady state, garbage collection excluded. */
  readonly perCall: number;
  /** Bytes allocated per call. */
  readonly bytesPerCall: number;
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
    ...CALLGRIND_FLAGS,
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
      else {
        const output = stderr.split('\n').filter((l) => !l.startsWith('==')).join(' ').slice(0, 500);
        reject(new Error(`callgrind run of ${id} (${calls} calls) failed with code ${code}: ${output}`));
      }
    });
  });
}

/** Bytes allocated per call, from one native run (see count-main.ts). */
function allocationPerCall(id: string, warmup: number, calls: number): Promise<number> {
  const command = childCommand('bench/micro/count-main.ts');
  const args = [...ALLOCATION_NODE_FLAGS, ...command.nodeArgs, command.script, id, String(warmup), String(calls), '--allocation'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`allocation run of ${id} failed with code ${code}: ${stderr.slice(0, 500)}`));
      const { bytes } = JSON.parse(stdout) as { bytes: number };
      resolve(bytes / calls);
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
    // Allocation wobbles by a few dozen bytes per call from run to run: the median of three. At
    // most 2,000 calls, so that even a stack allocating 10 KB per call fits in the young generation.
    const allocationCalls = Math.min(calls, 2000);
    const samples = await inParallel(
      runnable.flatMap((v) => [1, 2, 3].map(() => () => allocationPerCall(v.id, warmup, allocationCalls))),
      width,
    );
    const bytes = runnable.map((_, i) => median(samples.slice(3 * i, 3 * i + 3)));
    const counts = runnable.map((v, i): InstructionCount => {
      const pair: [number, number] = [totals[2 * i], totals[2 * i + 1]];
      return { id: v.id, label: v.label, side: v.side, perCall: (pair[1] - pair[0]) / calls, bytesPerCall: bytes[i], totals: pair };
    });
    return { counts, skipped, warmup, calls, valgrind };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
