import * as path from 'node:path';
import { REPO_ROOT, canPin } from './machine';

export type Mode = 'all' | 'e2e' | 'micro' | 'soak' | 'profile' | 'profile-micro' | 'instructions';

export interface BenchConfig {
  readonly mode: Mode;
  readonly quick: boolean;
  readonly command: string;
  readonly variants?: readonly string[];
  readonly rounds: number;
  readonly concurrency: readonly number[];
  /** Measured time per cell (variant × concurrency × round). */
  readonly cellMs: number;
  /** Unmeasured load right before each cell (connection and JIT state back to steady). */
  readonly cellWarmupMs: number;
  /** Unmeasured load per variant and concurrency before the first round. */
  readonly warmupMs: number;
  readonly pin: boolean;
  /** End-to-end: new processes every this many rounds; 0 = the same processes throughout (see runE2e). */
  readonly restartEvery: number;
  readonly out: string;
  /** End-to-end: the results section to write (default `e2e`), so runs of different shapes can sit side by side. */
  readonly section: string;
  readonly microIterations: number;
  readonly microRounds: number;
  /** `--instructions`: calls counted per variant (after twice as many warm-up calls). */
  readonly instructionCalls: number;
  readonly soakCalls: number;
  readonly soakConcurrency: number;
  readonly breakerKeys: number;
  /** The variant to profile (`--profile` / `--profile-micro`). */
  readonly profileVariant?: string;
  /** Profiled window of `--profile`. */
  readonly profileMs: number;
}

const USAGE = `usage: npm run bench -- [options]
  (no mode flag)     end-to-end + micro benchmarks
  --e2e | --micro | --soak   run only that part (--soak is never part of the default run)
  --system           the system benchmark instead (its own options: npm run bench:system -- --help)
  --instructions     instructions per call of each micro variant under valgrind callgrind (never part of the default run)
  --quick            short smoke run (results go to bench/RESULTS-quick.md unless --out)
  --variants a,b     end-to-end variants to run (the two bare references are always added); with --instructions, micro variants
  --rounds N         rounds of interleaved cells (default 5; quick 2)
  --warmup MS        end-to-end: unmeasured load per variant and concurrency before its first cell (default 2000; quick 300)
  --duration MS      measured time per cell (default 2000; quick 300); profiled time for --profile (5000)
  --concurrency 1,64 in-flight calls per client (default 1,64)
  --iterations N     micro-benchmark calls per cell (default 100000; quick 5000); --instructions: calls counted (default 4000; quick 1000)
  --calls N          soak calls (default 1000000; quick 60000)
  --profile ID       CPU profiles of one end-to-end variant's client and server (c = highest --concurrency)
  --profile-micro ID CPU profile of one micro variant (e.g. client-stack, server-stack)
  --restart N        end-to-end: new client and server processes every N rounds (default: never)
  --no-pin           do not pin processes to cores
  --out FILE         results file (default docs/benchmarks/results.md)
  --section NAME     end-to-end: results section to write (default e2e; letters, digits and -)`;

function intList(flag: string, value: string | undefined): number[] {
  const list = (value ?? '').split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`${flag} takes positive integers separated by commas; got ${JSON.stringify(value)}`);
  }
  return list;
}

function positive(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} takes a positive integer; got ${JSON.stringify(value)}`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchConfig {
  let mode: Mode = 'all';
  let quick = false;
  let variants: string[] | undefined;
  const given: Record<string, number> = {};
  let concurrency: number[] | undefined;
  let pin = true;
  let restartEvery = 0;
  let out: string | undefined;
  let section = 'e2e';
  let profileVariant: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    switch (arg) {
      case '--e2e':
      case '--micro':
      case '--soak':
      case '--instructions':
        mode = arg.slice(2) as Mode;
        break;
      case '--profile':
      case '--profile-micro':
        mode = arg.slice(2) as Mode;
        profileVariant = value();
        if (!profileVariant) throw new Error(`${arg} takes a variant id`);
        break;
      case '--quick':
        quick = true;
        break;
      case '--variants':
        variants = (value() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        break;
      case '--rounds':
      case '--warmup':
      case '--duration':
      case '--iterations':
      case '--calls':
        given[arg] = positive(arg, value());
        break;
      case '--concurrency':
        concurrency = intList(arg, value());
        break;
      case '--no-pin':
        pin = false;
        break;
      case '--restart':
        restartEvery = positive(arg, value());
        break;
      case '--out':
        out = value();
        break;
      case '--section':
        section = value() ?? '';
        if (!/^[a-z0-9-]+$/.test(section)) throw new Error(`--section takes lowercase letters, digits and -; got ${JSON.stringify(section)}`);
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return {
    mode,
    quick,
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    variants,
    rounds: given['--rounds'] ?? (quick ? 2 : 5),
    concurrency: concurrency ?? [1, 64],
    cellMs: given['--duration'] ?? (quick ? 300 : 2000),
    cellWarmupMs: Math.min(quick ? 100 : 300, Math.round((given['--duration'] ?? 2000) / 2)),
    warmupMs: given['--warmup'] ?? (quick ? 300 : 2000),
    pin: pin && canPin(),
    restartEvery,
    section,
    out: path.resolve(REPO_ROOT, out ?? (quick ? 'bench/RESULTS-quick.md' : 'docs/benchmarks/results.md')),
    microIterations: given['--iterations'] ?? (quick ? 5000 : 100_000),
    microRounds: quick ? 3 : 7,
    instructionCalls: given['--iterations'] ?? (quick ? 1000 : 4000),
    soakCalls: given['--calls'] ?? (quick ? 60_000 : 1_000_000),
    soakConcurrency: 64,
    breakerKeys: 10_000,
    profileVariant,
    profileMs: given['--duration'] ?? (quick ? 1000 : 5000),
  };
}
