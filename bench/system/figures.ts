import { statusName } from '../../src/index';
import {
  goodputSeries,
  latencySeries,
  perCallSeries,
  phaseFigures,
  recoveryTime,
  startedSeries,
  statusMix,
  type Calls,
  type PhaseFigures,
} from './analysis';
import { mergePairs } from './counter';
import type { RunRecords } from './loadgen-main';
import { durationOf, type Scenario } from './scenarios';
import { METHODS, type MethodName } from './service';

/** The figures of one scenario for one variant. */
export interface CellFigures {
  readonly scenario: string;
  readonly variant: string;
  readonly durationMs: number;
  readonly all: PhaseFigures;
  /** Calls started before, during and after the scenario's window (before/after absent when empty). */
  readonly before?: PhaseFigures;
  readonly fault: PhaseFigures;
  readonly after?: PhaseFigures;
  /** The window after its first second: attempts once the first calls have failed. */
  readonly faultSettled: PhaseFigures;
  /** The whole run per method, and per call class (each present when the run had more than one). */
  readonly byMethod?: Readonly<Partial<Record<MethodName, PhaseFigures>>>;
  readonly byClass?: Readonly<Partial<Record<string, PhaseFigures>>>;
  /** ms from the fault's end to health; null = not recovered by the end; undefined = the fault does not end. */
  readonly recoveryMs: number | null | undefined;
  readonly statusMix: Readonly<Record<string, number>>;
  readonly series: {
    readonly windowMs: number;
    /** Successful calls per second (by end). */
    readonly goodput: readonly number[];
    /** p99 latency of successful calls, ms (by end). */
    readonly p99: readonly number[];
    /** Executions at the back tier per call (by start). */
    readonly bottomAttempts: readonly number[];
    /** Calls started per second. */
    readonly offered: readonly number[];
  };
  readonly generatorLag: { readonly p99Ms: number; readonly maxMs: number };
  /** Our stack's events per tier (ours only; empty otherwise). */
  readonly events: {
    readonly loadgen: Record<string, number>;
    readonly front: Record<string, number>;
    readonly back: Record<string, number>;
  };
  /** Work the back replicas did; queued calls skipped because the caller had gone; work finished after it had gone. */
  readonly backWork: { readonly done: number; readonly skipped: number; readonly wasted: number };
}

export interface TierReads {
  readonly back: readonly { executions: number[]; done: number; skipped: number; wasted: number; events: Record<string, number> }[];
  readonly front: { executions: number[]; events: Record<string, number> };
}

/** Windows for judging recovery (by call start). */
export const RECOVERY_WINDOW_MS = 250;
/** A window is healthy at 90 % of the normal success ratio. */
export const RECOVERY_SHARE = 0.9;
/** The settled part of a fault starts this long after its beginning. */
export const SETTLE_MS = 1000;

/** Figures per name when the calls used more than one of them (undefined otherwise). */
function splitBy<N extends string>(
  names: readonly N[],
  index: readonly number[],
  figures: (k: number) => PhaseFigures,
): Partial<Record<N, PhaseFigures>> | undefined {
  const used = names.map((_, k) => k).filter((k) => index.includes(k));
  if (used.length < 2) return undefined;
  return Object.fromEntries(used.map((k) => [names[k], figures(k)])) as Partial<Record<N, PhaseFigures>>;
}

const codeName = (code: number) => (code < 0 ? 'no answer' : statusName(code));

function sumCounts(list: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of list) for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Joins what the load generator saw with what each tier executed, and computes the figures. */
export function cellFigures(
  scenario: Scenario,
  variant: string,
  records: RunRecords,
  tiers: TierReads,
  deadlineMs: number,
  seriesWindowMs: number,
): CellFigures {
  const bottom = mergePairs(tiers.back.map((b) => b.executions));
  const front = mergePairs([tiers.front.executions]);
  // Request id = schedule index + 1.
  const calls: Calls = {
    at: records.at,
    latencyMs: records.latencyMs,
    code: records.code,
    method: records.method,
    bottomAttempts: records.at.map((_, i) => bottom.get(i + 1) ?? 0),
    frontAttempts: records.at.map((_, i) => front.get(i + 1) ?? 0),
  };
  const durationMs = durationOf(scenario);
  const { fromMs, toMs } = scenario.window;
  const phase = (a: number, b: number, only?: (i: number) => boolean) => phaseFigures(calls, a, b, deadlineMs, only);
  const recoveryMs = scenario.recovers
    ? recoveryTime(calls, deadlineMs, {
        faultEndMs: toMs,
        baselineFromMs: 0,
        baselineToMs: fromMs,
        endMs: durationMs,
        windowMs: RECOVERY_WINDOW_MS,
        share: RECOVERY_SHARE,
      })
    : undefined;
  return {
    scenario: scenario.id,
    variant,
    durationMs,
    all: phase(0, durationMs),
    before: fromMs > 0 ? phase(0, fromMs) : undefined,
    fault: phase(fromMs, toMs),
    after: toMs < durationMs ? phase(toMs, durationMs) : undefined,
    faultSettled: phase(Math.min(fromMs + SETTLE_MS, toMs), toMs),
    byMethod: splitBy(METHODS, records.method, (k) => phase(0, durationMs, (i) => records.method[i] === k)),
    byClass: splitBy(records.classes, records.cls, (k) => phase(0, durationMs, (i) => records.cls[i] === k)),
    recoveryMs,
    statusMix: statusMix(calls, deadlineMs, codeName),
    series: {
      windowMs: seriesWindowMs,
      goodput: goodputSeries(calls, deadlineMs, durationMs, seriesWindowMs),
      p99: latencySeries(calls, deadlineMs, durationMs, seriesWindowMs, 0.99),
      bottomAttempts: perCallSeries(calls, calls.bottomAttempts, durationMs, seriesWindowMs),
      offered: startedSeries(calls, durationMs, seriesWindowMs),
    },
    generatorLag: { p99Ms: records.lagP99Ms, maxMs: records.lagMaxMs },
    events: { loadgen: records.events, front: tiers.front.events, back: sumCounts(tiers.back.map((b) => b.events)) },
    backWork: {
      done: tiers.back.reduce((s, b) => s + b.done, 0),
      skipped: tiers.back.reduce((s, b) => s + b.skipped, 0),
      wasted: tiers.back.reduce((s, b) => s + b.wasted, 0),
    },
  };
}
