import { spawnChild, type Child } from '../lib/children';
import type { LoadResult } from '../lib/driver';
import { faultsForReplica } from './faults';
import { cellFigures, type CellFigures, type TierReads } from './figures';
import type { RunRecords } from './loadgen-main';
import { loadPhases, type Scenario } from './scenarios';
import { systemVariant, BASELINE_VARIANT, type SystemVariant } from './variants';
import type { SystemConfig } from './config';

/** Back replicas behind the front (round robin over both). */
export const REPLICAS = 2;
/** Wait after a run before reading the tiers' counts, so late attempts (after the client gave up) land. */
const SETTLE_AFTER_RUN_MS = 300;
/** Load outside overload as a share of capacity (warm-up runs at it). */
const WARMUP_LOAD = 0.5;

export interface Calibration {
  /** Successful calls per second with the back service saturated (closed loop, bare grpc-js). */
  readonly capacity: number;
  /** What the pool allows in theory: replicas × slots / work time. */
  readonly nominal: number;
  /** Latency of calls at saturation (queueing included), ms. */
  readonly saturatedP50Ms: number;
  readonly measured: boolean;
}

export interface SystemRun {
  readonly calibration: Calibration;
  readonly deadlineMs: number;
  readonly slots: number;
  readonly workMs: number;
  readonly timeScale: number;
  readonly scenarios: readonly Scenario[];
  readonly variants: readonly SystemVariant[];
  readonly cells: readonly CellFigures[];
  /** Cells that could not run, with the reason. */
  readonly failed: readonly { scenario: string; variant: string; reason: string }[];
}

interface Topology {
  readonly loadgen: Child;
  readonly front: Child;
  readonly backs: readonly Child[];
}

const closeTopology = (t: Partial<Topology> & { backs: readonly Child[] }) =>
  Promise.all([t.loadgen?.close(), t.front?.close(), ...t.backs.map((b) => b.close())]);

/** Starts a variant's four processes: two back replicas, the front, the load generator. */
async function startTopology(variant: SystemVariant, config: SystemConfig): Promise<Topology> {
  const name = (role: string) => `${variant.id} ${role}`;
  const backs = Array.from({ length: REPLICAS }, (_, r) => spawnChild(name(`back ${r}`), 'bench/system/back-main.ts', []));
  const front = spawnChild(name('front'), 'bench/system/front-main.ts', []);
  const loadgen = spawnChild(name('load generator'), 'bench/system/loadgen-main.ts', []);
  try {
    const ports = await Promise.all(
      backs.map((b) => b.request<{ port: number }>('init', { variant: variant.id, slots: config.slots, workMs: config.workMs })),
    );
    const { port } = await front.request<{ port: number }>('init', { variant: variant.id, backPorts: ports.map((p) => p.port) });
    await loadgen.request('init', { variant: variant.id, frontPort: port });
  } catch (e) {
    await closeTopology({ loadgen, front, backs });
    throw e;
  }
  return { loadgen, front, backs };
}

/** Unmeasured load so connections, round robin and the JIT are warm before the measured run. */
async function warmUp(t: Topology, rate: number, config: SystemConfig): Promise<void> {
  await t.loadgen.request('run', {
    startAt: Date.now() + 50,
    phases: [{ durationMs: config.warmupMs, rate }],
    deadlineMs: config.deadlineMs,
    seed: 7,
    warmup: true,
  });
}

/** Peak sustainable throughput: bare grpc-js, more calls in flight than the back replicas' slots. */
async function calibrate(config: SystemConfig, log: (line: string) => void): Promise<Calibration> {
  const nominal = (REPLICAS * config.slots * 1000) / config.workMs;
  if (config.capacity !== undefined) {
    log(`capacity given: ${config.capacity} calls/s (nominal ${nominal})`);
    return { capacity: config.capacity, nominal, saturatedP50Ms: NaN, measured: false };
  }
  const t = await startTopology(systemVariant(BASELINE_VARIANT), config);
  try {
    const concurrency = 4 * REPLICAS * config.slots;
    const closed = (durationMs: number) =>
      t.loadgen.request<LoadResult>('closed', { concurrency, durationMs, deadlineMs: 10 * config.deadlineMs });
    await closed(Math.min(1000, config.calibrateMs));
    const r = await closed(config.calibrateMs);
    const capacity = ((r.calls - r.errors) * 1000) / r.elapsedMs;
    const errors = `${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}`;
    log(`capacity: ${capacity.toFixed(0)} calls/s measured (nominal ${nominal}); ${errors}`);
    return { capacity, nominal, saturatedP50Ms: (r.p50Us ?? NaN) / 1000, measured: true };
  } finally {
    await closeTopology(t);
  }
}

async function runCell(scenario: Scenario, variant: SystemVariant, capacity: number, config: SystemConfig): Promise<CellFigures> {
  const t = await startTopology(variant, config);
  try {
    await warmUp(t, WARMUP_LOAD * capacity, config);
    const startAt = Date.now() + 300;
    await Promise.all(t.backs.map((b, r) => b.request('plan', { startAt, faults: faultsForReplica(scenario.faults, r), seed: 1000 + r })));
    await t.front.request('reset');
    const records = await t.loadgen.request<RunRecords>('run', {
      startAt,
      phases: loadPhases(scenario, capacity),
      deadlineMs: config.deadlineMs,
      seed: 42,
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_AFTER_RUN_MS));
    const tiers: TierReads = {
      back: await Promise.all(t.backs.map((b) => b.request<TierReads['back'][number]>('read'))),
      front: await t.front.request<TierReads['front']>('read'),
    };
    return cellFigures(scenario, variant.id, records, tiers, config.deadlineMs, config.seriesWindowMs);
  } finally {
    await closeTopology(t);
  }
}

/** Rotates the variants per scenario, so none always runs first (a shared machine drifts). */
function rotated<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Calibrates, then runs every scenario for every variant, one cell at a time. */
export async function runSystem(config: SystemConfig, log: (line: string) => void): Promise<SystemRun> {
  const calibration = await calibrate(config, log);
  const cells: CellFigures[] = [];
  const failed: { scenario: string; variant: string; reason: string }[] = [];
  const total = config.scenarios.length * config.variants.length;
  let done = 0;
  for (const [k, scenario] of config.scenarios.entries()) {
    for (const variant of rotated(config.variants, k)) {
      done++;
      try {
        const cell = await runCell(scenario, variant, calibration.capacity, config);
        cells.push(cell);
        const recovery = cell.recoveryMs === undefined ? '–' : cell.recoveryMs === null ? 'none' : `${cell.recoveryMs} ms`;
        log(
          `[${done}/${total}] ${scenario.id} ${variant.id}: goodput ${cell.all.goodput.toFixed(0)}/s, p99 ${cell.all.p99.toFixed(1)} ms, ` +
            `back attempts/call ${cell.all.bottomAttemptsPerRequest.toFixed(2)}, recovery ${recovery}`,
        );
      } catch (e) {
        const reason = (e as Error).message.split('\n')[0];
        failed.push({ scenario: scenario.id, variant: variant.id, reason });
        log(`[${done}/${total}] ${scenario.id} ${variant.id}: FAILED ${reason}`);
      }
    }
  }
  return {
    calibration,
    deadlineMs: config.deadlineMs,
    slots: config.slots,
    workMs: config.workMs,
    timeScale: config.timeScale,
    scenarios: config.scenarios,
    variants: config.variants,
    cells,
    failed,
  };
}
