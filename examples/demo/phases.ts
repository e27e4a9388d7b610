import type { FaultRules } from '../../src/testing';

/** One stage of the demo: what the fault kits do to the user and preferences services. */
export interface Phase {
  /** Key in the JSON report. */
  readonly name: 'healthy' | 'flaky-users' | 'preferences-outage' | 'recovery';
  /** What the report calls it. */
  readonly title: string;
  /** What a reader should see happen. */
  readonly expect: string;
  readonly users: FaultRules;
  readonly preferences: FaultRules;
  /** The preferences service fails every call (`faults.down()`). */
  readonly preferencesDown: boolean;
}

/** A little network-like latency on every call: mostly 1–3 ms, now and then more. */
const NORMAL: FaultRules = { '*': { latency: { kind: 'exponential', meanMs: 2, maxMs: 25 } } };

/**
 * The flaky user service: about one GetUser attempt in fifteen fails with UNAVAILABLE, one in a
 * hundred stalls until the caller gives up on the attempt, and latency has a longer tail. (Below
 * the ~9 % failure rate at which the default retry budget starts refusing retries.)
 */
const FLAKY_USERS: FaultRules = {
  '*': {
    error: { rate: 0.06, codes: 'UNAVAILABLE' },
    stall: { rate: 0.01 },
    latency: { kind: 'exponential', meanMs: 6, maxMs: 80 },
  },
};

export const PHASES: readonly Phase[] = [
  {
    name: 'healthy',
    title: 'healthy',
    expect: 'everything answers; the odd internal bug in the user service (INTERNAL) is the only failure',
    users: NORMAL,
    preferences: NORMAL,
    preferencesDown: false,
  },
  {
    name: 'flaky-users',
    title: 'flaky user service',
    expect: 'retries (and per-attempt timeouts for stalls) hide most user-service failures; latency grows',
    users: FLAKY_USERS,
    preferences: NORMAL,
    preferencesDown: false,
  },
  {
    name: 'preferences-outage',
    title: 'preferences outage',
    expect: 'profiles degrade to default preferences; the preferences breaker opens and answers locally',
    users: NORMAL,
    preferences: NORMAL,
    preferencesDown: true,
  },
  {
    name: 'recovery',
    title: 'recovery',
    expect: 'the preferences breaker probes, closes, and profiles are complete again',
    users: NORMAL,
    preferences: NORMAL,
    preferencesDown: false,
  },
];

/** Breaker tuning scaled to the phase length, so the breaker can open and close within a phase. */
export function breakerTuning(phaseMs: number) {
  const clamp = (value: number, min: number, max: number) => Math.round(Math.min(max, Math.max(min, value)));
  return {
    errorThresholdPercentage: 50,
    volumeThreshold: 10,
    rollingWindowMs: clamp(phaseMs / 2, 500, 5_000),
    resetTimeoutMs: clamp(phaseMs / 5, 200, 2_000),
  };
}
