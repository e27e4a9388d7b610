import { BREAKER_DEFAULTS } from '../../src/breaker/options';
import { earlyDeadlineLimit } from './analysis';
import { RECOVERY_WINDOW_MS, type CellFigures } from './figures';
import type { SystemRun } from './orchestrate';
import { BASELINE_VARIANT, optionSetOf, type SystemVariant } from './variants';

/**
 * The issues' targets, checked against a run. Each check reads figures of our variants (and of
 * the others where the target compares); a later feature adds its targets as entries here.
 */
export interface TargetRow {
  readonly issue: string;
  readonly target: string;
  readonly variant: string;
  /** The measured figure, as text. */
  readonly figure: string;
  /** undefined: reported, not judged (the scenario cannot show it, or the figure is missing). */
  readonly met?: boolean;
}

interface Check {
  readonly issue: string;
  readonly target: string;
  readonly scenario: string;
  /** One row per variant of ours. */
  readonly judge: (cell: CellFigures, variant: SystemVariant, run: SystemRun) => { figure: string; met?: boolean };
}

const ours = (run: SystemRun) => run.variants.filter((v) => v.stack === 'ours');
const cellOf = (run: SystemRun, scenario: string, variant: string) =>
  run.cells.find((c) => c.scenario === scenario && c.variant === variant);
/** A verdict on a figure, or none when the figure is missing (NaN: nothing to judge). */
const judged = (x: number, ok: (x: number) => boolean) => (Number.isFinite(x) ? ok(x) : undefined);
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

function resetWindowMs(variant: SystemVariant): number {
  const breaker = optionSetOf(variant).client?.breaker;
  return (breaker && breaker.resetTimeoutMs) || BREAKER_DEFAULTS.resetTimeoutMs;
}

/** Goodput of a cell against every other variant's in the same scenario. */
function goodputLead(cell: CellFigures, run: SystemRun): { figure: string; met?: boolean } {
  const others = run.cells.filter(
    (c) => c.scenario === cell.scenario && c.variant !== cell.variant && !ours(run).some((v) => v.id === c.variant),
  );
  if (others.length === 0) return { figure: `${cell.all.goodput.toFixed(1)}/s (no other variant ran)` };
  const best = others.reduce((a, b) => (b.all.goodput > a.all.goodput ? b : a));
  const bare = others.find((c) => c.variant === BASELINE_VARIANT);
  const parts = [`${cell.all.goodput.toFixed(1)}/s vs best other ${best.all.goodput.toFixed(1)}/s (${best.variant})`];
  if (bare) parts.push(`bare ${bare.all.goodput.toFixed(1)}/s`);
  return { figure: parts.join('; '), met: cell.all.goodput >= best.all.goodput };
}

const CHECKS: readonly Check[] = [
  {
    issue: '17',
    target: 'outage: back attempts per call ≤ 1.1 once the first calls have failed',
    scenario: 'outage',
    judge: (c) => ({
      figure: `${f2(c.faultSettled.bottomAttemptsPerRequest)} (fault window after its first second)`,
      met: judged(c.faultSettled.bottomAttemptsPerRequest, (x) => x <= 1.1),
    }),
  },
  {
    issue: '17',
    target: 'outage: with deadline left, the client sees UNAVAILABLE, not DEADLINE_EXCEEDED',
    scenario: 'outage',
    judge: (c, _v, run) => {
      const early = c.statusMix['DEADLINE_EXCEEDED (early)'] ?? 0;
      return { figure: `${early} calls ended DEADLINE_EXCEEDED before ${earlyDeadlineLimit(run.deadlineMs)} ms`, met: early === 0 };
    },
  },
  {
    issue: '17',
    target: "outage: recovery ≤ the breaker's reset window plus one probe",
    scenario: 'outage',
    judge: (c, v) => {
      const limit = resetWindowMs(v) + 2 * RECOVERY_WINDOW_MS;
      if (c.recoveryMs === undefined) return { figure: '–' };
      if (c.recoveryMs === null) return { figure: 'not recovered by the end of the run', met: false };
      return { figure: `${c.recoveryMs} ms (limit ${limit} ms: reset window + ${2 * RECOVERY_WINDOW_MS} ms)`, met: c.recoveryMs <= limit };
    },
  },
  {
    issue: '17',
    target: 'bug: the failing handler runs once per client call',
    scenario: 'bug',
    judge: (c) => {
      const lookup = c.byMethod?.lookup;
      if (!lookup) return { figure: '–' };
      return {
        figure: `${f2(lookup.bottomAttemptsPerRequest)} executions of Lookup per call`,
        met: judged(lookup.bottomAttemptsPerRequest, (x) => x <= 1 + 1e-9),
      };
    },
  },
  {
    issue: '17',
    target: 'bug: no breaker opens on client-fault codes (the bug is INTERNAL, a server fault: opens reported)',
    scenario: 'bug',
    judge: (c) => {
      const opens = (c.events.loadgen['breaker-open'] ?? 0) + (c.events.front['breaker-open'] ?? 0);
      return {
        figure: `${opens} breaker opens (client ${c.events.loadgen['breaker-open'] ?? 0}, front ${c.events.front['breaker-open'] ?? 0})`,
      };
    },
  },
  ...['outage', 'overload-2x', 'overload-4x', 'stragglers', 'bug'].map((scenario): Check => ({
    issue: '17',
    target: `${scenario}: goodput ahead of every other variant, never behind bare grpc-js`,
    scenario,
    judge: (c, _v, run) => goodputLead(c, run),
  })),
  ...['overload-2x', 'overload-4x'].flatMap((scenario): Check[] => [
    {
      issue: '18',
      target: `${scenario}: goodput during overload ≥ 90 % of the measured capacity`,
      scenario,
      judge: (c, _v, run) => {
        const share = c.fault.goodput / run.calibration.capacity;
        return {
          figure: `${(share * 100).toFixed(0)} % (${c.fault.goodput.toFixed(0)} of ${run.calibration.capacity.toFixed(0)}/s)`,
          met: share >= 0.9,
        };
      },
    },
    {
      issue: '18',
      target: `${scenario}: p99 of admitted calls during overload ≤ 2× the unloaded p99`,
      scenario,
      judge: (c) => {
        const unloaded = c.before?.p99 ?? NaN;
        const ratio = c.fault.p99 / unloaded;
        return {
          figure: `${f2(c.fault.p99)} ms vs ${f2(unloaded)} ms unloaded (${f2(ratio)}×)`,
          met: judged(ratio, (r) => r <= 2),
        };
      },
    },
  ]),
];

/** Every target row the run can speak to (checks whose scenario did not run are left out). */
export function evaluateTargets(run: SystemRun): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const check of CHECKS) {
    for (const v of ours(run)) {
      const cell = cellOf(run, check.scenario, v.id);
      if (!cell) continue;
      rows.push({ issue: check.issue, target: check.target, variant: v.id, ...check.judge(cell, v, run) });
    }
  }
  return rows;
}
