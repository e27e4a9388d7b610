import { describe, expect, it } from 'vitest';
import {
  earlyDeadlineLimit,
  goodputSeries,
  latencySeries,
  perCallSeries,
  phaseFigures,
  recoveryTime,
  startedSeries,
  statusMix,
  windowStarts,
  type Calls,
} from '../../bench/system/analysis';
import { mergePairs } from '../../bench/system/counter';

const DEADLINE = 1000;

/** Calls from rows of [start ms, latency ms, code, back attempts]. */
function callsOf(rows: readonly (readonly [number, number, number, number?])[], method: readonly number[] = []): Calls {
  return {
    at: rows.map((r) => r[0]),
    latencyMs: rows.map((r) => r[1]),
    code: rows.map((r) => r[2]),
    method: rows.map((_, i) => method[i] ?? 0),
    bottomAttempts: rows.map((r) => r[3] ?? 1),
    frontAttempts: rows.map(() => 1),
  };
}

describe('system benchmark figures', () => {
  it('counts goodput, success ratio, latency percentiles and attempts over the calls started in a phase', () => {
    const calls = callsOf([
      [100, 10, 0, 1],
      [200, 20, 0, 1],
      [300, 30, 14, 3], // failed: no latency sample, but its attempts count
      [400, 1200, 0, 1], // succeeded after its deadline: not goodput
      [1500, 40, 0, 2], // outside the phase
    ]);
    const f = phaseFigures(calls, 0, 1000, DEADLINE);
    expect(f.requests).toBe(4);
    expect(f.successes).toBe(2);
    expect(f.goodput).toBe(2);
    expect(f.successRatio).toBe(0.5);
    expect(f.p50).toBe(15);
    expect(f.p99).toBeCloseTo(19.9);
    expect(f.bottomAttemptsPerRequest).toBe(1.5);
    expect(phaseFigures(calls, 1000, 2000, DEADLINE).bottomAttemptsPerRequest).toBe(2);
    const empty = phaseFigures(calls, 5000, 6000, DEADLINE);
    expect(empty.requests).toBe(0);
    expect(Number.isNaN(empty.p99)).toBe(true);
    expect(Number.isNaN(empty.bottomAttemptsPerRequest)).toBe(true);
  });

  it('splits figures by method', () => {
    const calls = callsOf(
      [
        [0, 5, 0, 1],
        [10, 5, 13, 3],
        [20, 5, 13, 3],
      ],
      [0, 1, 1],
    );
    expect(phaseFigures(calls, 0, 1000, DEADLINE, (i) => calls.method[i] === 1).bottomAttemptsPerRequest).toBe(3);
    expect(phaseFigures(calls, 0, 1000, DEADLINE, (i) => calls.method[i] === 0).successRatio).toBe(1);
  });

  it('builds per-second series: goodput by end, latency by end, attempts and offered load by start', () => {
    expect(windowStarts(2500, 1000)).toEqual([0, 1000, 2000]);
    const calls = callsOf([
      [100, 50, 0, 1],
      [900, 200, 0, 1], // ends in the second window
      [1200, 100, 14, 3],
      [1300, 300, 0, 1],
      [2100, 2000, 0, 1], // ends after the last window: dropped from goodput, still counted as started
    ]);
    expect(goodputSeries(calls, 5000, 3000, 1000)).toEqual([1, 2, 0]);
    expect(startedSeries(calls, 3000, 1000)).toEqual([2, 2, 1]);
    expect(perCallSeries(calls, calls.bottomAttempts, 3000, 1000)).toEqual([1, 2, 1]);
    const p99 = latencySeries(calls, 5000, 3000, 1000, 0.99);
    expect(p99[0]).toBe(50);
    expect(p99[1]).toBeCloseTo(299);
    expect(Number.isNaN(p99[2])).toBe(true);
    // Half-second windows give per-second rates too.
    expect(goodputSeries(calls, 5000, 1000, 500)).toEqual([2, 0]);
  });

  it('finds the recovery time: the start of the first window after which every window is healthy', () => {
    // 10 calls per 100 ms: all succeed before the fault (t < 1000), all fail until 1300, one
    // window fails again at 1500–1600, healthy from 1600.
    const rows: [number, number, number][] = [];
    for (let t = 0; t < 3000; t += 10) {
      const bad = (t >= 1000 && t < 1300) || (t >= 1500 && t < 1600);
      rows.push([t, 5, bad ? 14 : 0]);
    }
    const rule = { faultEndMs: 1200, baselineFromMs: 0, baselineToMs: 1000, endMs: 3000, windowMs: 100, share: 0.9 };
    expect(recoveryTime(callsOf(rows), DEADLINE, rule)).toBe(400);
    // Nothing bad after the fault's end: 0.
    expect(recoveryTime(callsOf(rows), DEADLINE, { ...rule, faultEndMs: 1600 })).toBe(0);
    // Still failing in the last window: not recovered.
    const failingAtEnd = rows.map(([t, l, c]): [number, number, number] => [t, l, t >= 2900 ? 14 : c]);
    expect(recoveryTime(callsOf(failingAtEnd), DEADLINE, rule)).toBeNull();
  });

  it('judges windows against the success ratio before the fault, and ignores empty windows', () => {
    // Before the fault 80 % succeed; after it 75 % do, which is ≥ 90 % of 80 %.
    const rows: [number, number, number][] = [];
    for (let i = 0; i < 100; i++) rows.push([i * 10, 5, i % 5 === 0 ? 14 : 0]);
    for (let i = 0; i < 40; i++) rows.push([2000 + i * 10, 5, i % 4 === 0 ? 14 : 0]);
    const rule = { faultEndMs: 1000, baselineFromMs: 0, baselineToMs: 1000, endMs: 2400, windowMs: 200, share: 0.9 };
    expect(recoveryTime(callsOf(rows), DEADLINE, rule)).toBe(0);
  });

  it('mixes statuses by name, telling late successes and early deadline failures apart', () => {
    const name = (code: number) => ({ 0: 'OK', 4: 'DEADLINE_EXCEEDED', 14: 'UNAVAILABLE' })[code] ?? String(code);
    const calls = callsOf([
      [0, 10, 0],
      [0, 1010, 0],
      [0, 10, 4], // with 990 ms left
      [0, 999, 4],
      [0, 10, 14],
    ]);
    expect(statusMix(calls, DEADLINE, name)).toEqual({
      OK: 1,
      'OK (late)': 1,
      'DEADLINE_EXCEEDED (early)': 1,
      DEADLINE_EXCEEDED: 1,
      UNAVAILABLE: 1,
    });
    expect(earlyDeadlineLimit(1000)).toBe(950);
    expect(earlyDeadlineLimit(4000)).toBe(3800);
  });

  it('sums executions per request id over the replicas', () => {
    const total = mergePairs([
      [1, 2, 2, 1],
      [1, 1, 3, 4],
    ]);
    expect([...total.entries()].sort(([a], [b]) => a - b)).toEqual([
      [1, 3],
      [2, 1],
      [3, 4],
    ]);
  });
});
