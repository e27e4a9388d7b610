import * as path from 'node:path';
import { REPO_ROOT } from '../lib/machine';
import { scaleScenario, selectScenarios, type Scenario } from './scenarios';
import { selectSystemVariants, type SystemVariant } from './variants';

export interface SystemConfig {
  readonly command: string;
  readonly quick: boolean;
  readonly scenarios: readonly Scenario[];
  readonly variants: readonly SystemVariant[];
  /** Every scenario time is multiplied by this (1 for the full run). */
  readonly timeScale: number;
  /** Deadline of every client call, ms. */
  readonly deadlineMs: number;
  /** Work slots per back replica, and the work of one call, ms: the back service's capacity. */
  readonly slots: number;
  readonly workMs: number;
  /** Calls per second to take as capacity instead of measuring it. */
  readonly capacity?: number;
  readonly calibrateMs: number;
  /** Unmeasured load before each measured run. */
  readonly warmupMs: number;
  readonly seriesWindowMs: number;
  /** Where system.md goes; plots and figures.json go to `<outDir>/system/`. */
  readonly outDir: string;
  /** Commit the report and plots after writing them. */
  readonly commit: boolean;
}

export const SYSTEM_USAGE = `usage: npm run bench:system -- [options]   (or npm run bench -- --system [options])
  --scenarios a,b    scenarios to run (default all: outage, overload-2x, overload-4x, stragglers, bug)
  --variants a,b     variants to run (default all: bare, grpc-js-retry, nice-grpc, ours, ours-hedging, grpc-js-hedging, ours-overload)
  --quick            every time × 0.25; report to bench/system-quick/ unless --out
  --scale F          every scenario time × F (default 1; quick 0.25)
  --deadline MS      deadline of each client call (default 1000)
  --slots N          work slots per back replica (default 4)
  --work MS          work per call at the back (default 20)
  --capacity N       take N calls/s as the capacity instead of measuring it
  --out DIR          report directory (default docs/benchmarks)
  --commit           git commit the report and plots when done`;

function positiveNumber(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} takes a positive number; got ${JSON.stringify(value)}`);
  return n;
}

function list(flag: string, value: string | undefined): string[] {
  const items = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error(`${flag} takes a comma-separated list; got ${JSON.stringify(value)}`);
  return items;
}

export function parseSystemArgs(
  argv: readonly string[],
  command = `npm run bench:system${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
): SystemConfig {
  let quick = false;
  let commit = false;
  let scenarioIds: string[] | undefined;
  let variantIds: string[] | undefined;
  let out: string | undefined;
  const given: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    switch (arg) {
      case '--quick':
        quick = true;
        break;
      case '--commit':
        commit = true;
        break;
      case '--scenarios':
        scenarioIds = list(arg, value());
        break;
      case '--variants':
        variantIds = list(arg, value());
        break;
      case '--out':
        out = value();
        if (!out) throw new Error('--out takes a directory');
        break;
      case '--scale':
      case '--deadline':
      case '--slots':
      case '--work':
      case '--capacity':
        given[arg] = positiveNumber(arg, value());
        break;
      case '--help':
      case '-h':
        console.log(SYSTEM_USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}\n${SYSTEM_USAGE}`);
    }
  }
  const slots = given['--slots'] ?? 4;
  if (!Number.isInteger(slots)) throw new Error(`--slots takes a whole number; got ${slots}`);
  const timeScale = given['--scale'] ?? (quick ? 0.25 : 1);
  return {
    command,
    quick,
    scenarios: selectScenarios(scenarioIds).map((s) => scaleScenario(s, timeScale)),
    variants: selectSystemVariants(variantIds),
    timeScale,
    deadlineMs: given['--deadline'] ?? 1000,
    slots,
    workMs: given['--work'] ?? 20,
    capacity: given['--capacity'],
    calibrateMs: Math.max(300, Math.round(3000 * timeScale)),
    warmupMs: Math.max(300, Math.round(1500 * timeScale)),
    seriesWindowMs: Math.max(100, Math.round(1000 * timeScale)),
    outDir: path.resolve(REPO_ROOT, out ?? (quick ? 'bench/system-quick' : 'docs/benchmarks')),
    commit,
  };
}
