import type { PlannedFault } from './faults';
import type { LoadPhase } from './open-loop';

/**
 * The scenarios. Load is given as a multiple of the back service's capacity (measured at the
 * start of the run), so the same table means the same stress on any machine.
 */
export interface ScenarioPhase {
  readonly durationMs: number;
  /** Offered load as a multiple of the measured capacity. */
  readonly load: number;
  readonly lookupShare?: number;
  readonly classShares?: Readonly<Record<string, number>>;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** What happens, for the report. */
  readonly description: string;
  readonly phases: readonly ScenarioPhase[];
  readonly faults: readonly PlannedFault[];
  /** The fault (or overload) window: phase figures before, during and after; recovery after it ends. */
  readonly window: { readonly fromMs: number; readonly toMs: number };
  /** Whether the fault ends (a recovery time is measured), or lasts the whole run. */
  readonly recovers: boolean;
}

/** Load outside overload: half the capacity, so queueing is light and faults are what show. */
const NORMAL_LOAD = 0.5;

function overload(factor: number): Scenario {
  return {
    id: `overload-${factor}x`,
    title: `(b) overload at ${factor}× capacity`,
    description:
      `Offered load rises from ${NORMAL_LOAD}× to ${factor}× the measured capacity for 8 s, then falls back for 12 s ` +
      "(longer than a breaker's reset window, so its recovery shows).",
    phases: [
      { durationMs: 3000, load: NORMAL_LOAD },
      { durationMs: 8000, load: factor },
      { durationMs: 12_000, load: NORMAL_LOAD },
    ],
    faults: [],
    window: { fromMs: 3000, toMs: 11_000 },
    recovers: true,
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'outage',
    title: '(a) back service down, then back',
    description: 'Both back replicas answer every call UNAVAILABLE for 5 s (the service is down), then serve normally again.',
    phases: [{ durationMs: 20_000, load: NORMAL_LOAD }],
    faults: [{ kind: 'unavailable', fromMs: 3000, toMs: 8000 }],
    window: { fromMs: 3000, toMs: 8000 },
    recovers: true,
  },
  overload(2),
  overload(4),
  {
    id: 'stragglers',
    title: '(c) stragglers and a stall',
    description:
      '2 % of the calls to back replica 0 do 10× the work (stragglers), and replica 0 stops for 300 ms at 15 s ' +
      '(a stop-the-world pause). 30 s, for enough calls to read a p99.9.',
    phases: [{ durationMs: 30_000, load: NORMAL_LOAD }],
    faults: [
      { kind: 'slow', share: 0.02, factor: 10, fromMs: 0, toMs: 30_000, replicas: [0] },
      { kind: 'stall', atMs: 15_000, ms: 300, replicas: [0] },
    ],
    window: { fromMs: 15_000, toMs: 15_300 },
    recovers: true,
  },
  {
    id: 'bug',
    title: '(d) a deterministic bug in one method',
    description:
      '20 % of the calls go to Lookup, which fails with INTERNAL every time at the back; 1 % of Work calls fail UNAVAILABLE (transient).',
    phases: [{ durationMs: 12_000, load: NORMAL_LOAD, lookupShare: 0.2 }],
    faults: [
      { kind: 'bug', method: 'lookup', fromMs: 0, toMs: 12_000 },
      { kind: 'flaky', method: 'work', share: 0.01, fromMs: 0, toMs: 12_000 },
    ],
    window: { fromMs: 0, toMs: 12_000 },
    recovers: false,
  },
];

export function durationOf(scenario: Scenario): number {
  return scenario.phases.reduce((sum, p) => sum + p.durationMs, 0);
}

/** The same scenario with every time (not the stall's length) multiplied by `factor`. */
export function scaleScenario(scenario: Scenario, factor: number): Scenario {
  if (factor === 1) return scenario;
  const t = (ms: number) => Math.round(ms * factor);
  return {
    ...scenario,
    phases: scenario.phases.map((p) => ({ ...p, durationMs: t(p.durationMs) })),
    faults: scenario.faults.map((f) => (f.kind === 'stall' ? { ...f, atMs: t(f.atMs) } : { ...f, fromMs: t(f.fromMs), toMs: t(f.toMs) })),
    window: { fromMs: t(scenario.window.fromMs), toMs: t(scenario.window.toMs) },
  };
}

/** The load generator's phases: loads turned into calls per second. */
export function loadPhases(scenario: Scenario, capacity: number): LoadPhase[] {
  return scenario.phases.map((p) => ({
    durationMs: p.durationMs,
    rate: p.load * capacity,
    lookupShare: p.lookupShare,
    classShares: p.classShares,
  }));
}

/** Scenarios picked by `--scenarios a,b` in table order (all when none given). */
export function selectScenarios(ids: readonly string[] | undefined): Scenario[] {
  if (!ids || ids.length === 0) return [...SCENARIOS];
  const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return SCENARIOS.filter((s) => ids.includes(s.id));
}
