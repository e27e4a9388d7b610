import { describe, expect, it } from 'vitest';
import { parseSystemArgs } from '../../bench/system/config';
import { faultsForReplica, verdict, type Fault } from '../../bench/system/faults';
import { rateAt, schedule } from '../../bench/system/open-loop';
import { SCENARIOS, durationOf, loadPhases, scaleScenario, selectScenarios } from '../../bench/system/scenarios';
import { encodeRequest, replicasTarget, requestId } from '../../bench/system/service';
import { serviceConfig } from '../../bench/system/stacks';
import { OPTION_SETS, SYSTEM_VARIANTS, optionSetOf, selectSystemVariants, systemVariant } from '../../bench/system/variants';
import { WorkPool } from '../../bench/system/work-pool';
import { seededRandom } from '../../bench/lib/random';

/** A delay the test ends by hand: work finishes when the test says so. */
function manualDelay() {
  const pending: (() => void)[] = [];
  return {
    delay: () => new Promise<void>((resolve) => pending.push(resolve)),
    finishOne: () => pending.shift()!(),
    started: () => pending.length,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('system benchmark harness', () => {
  it('works a pool of slots first come first served, skipping waiters whose caller has gone', async () => {
    const clock = manualDelay();
    const pool = new WorkPool(2, clock.delay);
    const cancelled = [false, false, false, false];
    const results = cancelled.map((_, i) => pool.run(10, () => cancelled[i]));
    await tick();
    expect(clock.started()).toBe(2);
    expect(pool.waiting).toBe(2);
    cancelled[2] = true; // its caller gave up while it waited
    clock.finishOne();
    await tick();
    // The slot went past the cancelled waiter to the next one.
    expect(clock.started()).toBe(2);
    expect(pool.waiting).toBe(0);
    clock.finishOne();
    clock.finishOne();
    expect(await Promise.all(results)).toEqual([true, true, false, true]);
    expect(pool.done).toBe(3);
    expect(pool.skipped).toBe(1);
    // All slots free again: a new call starts at once.
    void pool.run(10, () => false);
    await tick();
    expect(clock.started()).toBe(1);
    expect(() => new WorkPool(0)).toThrow(/slots must be a positive integer/);
  });

  it('schedules open-loop arrivals at each phase rate, the same for the same seed', () => {
    const phases = [
      { durationMs: 10_000, rate: 100 },
      { durationMs: 10_000, rate: 400, lookupShare: 0.25 },
    ];
    const a = schedule(phases, seededRandom(42));
    const b = schedule(phases, seededRandom(42));
    expect(a.at).toEqual(b.at);
    expect(a.durationMs).toBe(20_000);
    const first = a.at.filter((t) => t < 10_000).length;
    const second = a.at.length - first;
    // Poisson counts: mean 1000 (sd ≈ 32) and 4000 (sd ≈ 63).
    expect(first).toBeGreaterThan(880);
    expect(first).toBeLessThan(1120);
    expect(second).toBeGreaterThan(3750);
    expect(second).toBeLessThan(4250);
    expect(a.at.every((t, i) => i === 0 || t >= a.at[i - 1])).toBe(true);
    const lookups = Array.from(a.method).filter((m, i) => m === 1 && a.at[i] >= 10_000).length;
    expect(Array.from(a.method).filter((m, i) => m === 1 && a.at[i] < 10_000)).toHaveLength(0);
    expect(lookups / second).toBeGreaterThan(0.2);
    expect(lookups / second).toBeLessThan(0.3);
    expect(rateAt(phases, 15_000)).toBe(400);
    expect(rateAt(phases, 25_000)).toBe(0);
    expect(schedule([{ durationMs: 1000, rate: 0 }], seededRandom(1)).at).toHaveLength(0);
  });

  it('draws call classes from each phase’s shares, the rest default', () => {
    const phases = [
      { durationMs: 5000, rate: 200 },
      { durationMs: 5000, rate: 2000, classShares: { sheddable: 0.9 } },
    ];
    const plan = schedule(phases, seededRandom(7));
    expect(plan.classes).toEqual(['default', 'sheddable']);
    const spike = Array.from(plan.cls).filter((_, i) => plan.at[i] >= 5000);
    expect(Array.from(plan.cls).filter((c, i) => c === 1 && plan.at[i] < 5000)).toHaveLength(0);
    const share = spike.filter((c) => c === 1).length / spike.length;
    expect(share).toBeGreaterThan(0.88);
    expect(share).toBeLessThan(0.92);
  });

  it('applies faults by time, method and replica', () => {
    const faults: Fault[] = [
      { kind: 'bug', method: 'lookup', fromMs: 0, toMs: 1000 },
      { kind: 'unavailable', fromMs: 2000, toMs: 3000 },
      { kind: 'slow', share: 0.5, factor: 10, fromMs: 0, toMs: 5000 },
      { kind: 'stall', atMs: 100, ms: 50 },
    ];
    const always = () => 0;
    const never = () => 0.99;
    expect(verdict(faults, 'lookup', 500, never)).toEqual({ fail: 'bug' });
    expect(verdict(faults, 'work', 500, never)).toEqual({ workFactor: 1 });
    expect(verdict(faults, 'work', 500, always)).toEqual({ workFactor: 10 });
    expect(verdict(faults, 'work', 2500, never)).toEqual({ fail: 'unavailable' });
    expect(verdict(faults, 'work', 3000, never)).toEqual({ workFactor: 1 }); // the window is half-open
    const flaky: Fault[] = [{ kind: 'flaky', method: 'work', share: 0.1, fromMs: 0, toMs: 1000 }];
    expect(verdict(flaky, 'work', 1, () => 0.05)).toEqual({ fail: 'unavailable' });
    expect(verdict(flaky, 'lookup', 1, () => 0.05)).toEqual({ workFactor: 1 });
    const plan = [
      { kind: 'stall' as const, atMs: 1, ms: 1, replicas: [0] },
      { kind: 'unavailable' as const, fromMs: 0, toMs: 1 },
    ];
    expect(faultsForReplica(plan, 0)).toHaveLength(2);
    expect(faultsForReplica(plan, 1)).toEqual([plan[1]]);
  });

  it('scales scenarios in time (not the stall) and turns loads into rates', () => {
    const stragglers = SCENARIOS.find((s) => s.id === 'stragglers')!;
    const quick = scaleScenario(stragglers, 0.25);
    expect(durationOf(quick)).toBe(durationOf(stragglers) / 4);
    expect(quick.window.fromMs).toBe(stragglers.window.fromMs / 4);
    const stallOf = (s: typeof stragglers) => s.faults.find((f) => f.kind === 'stall') as { atMs: number; ms: number };
    expect(stallOf(quick).atMs).toBe(stallOf(stragglers).atMs / 4);
    expect(stallOf(quick).ms).toBe(stallOf(stragglers).ms);
    const overload = SCENARIOS.find((s) => s.id === 'overload-4x')!;
    expect(loadPhases(overload, 100).map((p) => p.rate)).toEqual([50, 400, 50]);
    // Every scenario's window lies inside its run.
    for (const s of SCENARIOS) {
      expect(s.window.fromMs).toBeLessThan(s.window.toMs);
      expect(s.window.toMs).toBeLessThanOrEqual(durationOf(s));
    }
    expect(() => selectScenarios(['outage', 'nope'])).toThrow(/unknown scenario\(s\) nope; known: outage/);
  });

  it('parses options and rejects bad ones with what to fix', () => {
    const c = parseSystemArgs(['--quick', '--scenarios', 'bug,outage', '--variants', 'ours,bare', '--capacity', '120']);
    expect(c.scenarios.map((s) => s.id)).toEqual(['outage', 'bug']); // table order
    expect(c.variants.map((v) => v.id)).toEqual(['bare', 'ours']);
    expect(c.timeScale).toBe(0.25);
    expect(c.capacity).toBe(120);
    expect(c.outDir).toMatch(/bench[/\\]system-quick$/);
    expect(parseSystemArgs([]).outDir).toMatch(/docs[/\\]benchmarks$/);
    expect(parseSystemArgs([]).seriesWindowMs).toBe(1000);
    expect(() => parseSystemArgs(['--deadline', '-5'])).toThrow(/--deadline takes a positive number/);
    expect(() => parseSystemArgs(['--slots', '2.5'])).toThrow(/--slots takes a whole number/);
    expect(() => parseSystemArgs(['--variants', 'bogus'])).toThrow(/unknown system variant bogus; known: bare/);
    expect(() => parseSystemArgs(['--frobnicate'])).toThrow(/unknown option --frobnicate/);
  });

  it('names an option set per variant of ours, so a feature is one entry', () => {
    for (const v of SYSTEM_VARIANTS.filter((x) => x.stack === 'ours')) expect(OPTION_SETS[v.optionSet ?? 'default']).toBeDefined();
    expect(optionSetOf(systemVariant('ours'))).toBe(OPTION_SETS.default);
    expect(() => optionSetOf({ id: 'ours-x', label: 'x', stack: 'ours', optionSet: 'missing' })).toThrow(
      /names option set missing; known: default/,
    );
    expect(selectSystemVariants(undefined)).toHaveLength(SYSTEM_VARIANTS.length);
  });

  it('gives every channel round robin over the replicas, and only grpc-js-retry an A6 retry policy', () => {
    const retry = serviceConfig(systemVariant('grpc-js-retry'), true) as Record<string, unknown>;
    expect(retry.loadBalancingConfig).toEqual([{ round_robin: {} }]);
    expect(retry.retryThrottling).toEqual({ maxTokens: 10, tokenRatio: 0.1 });
    expect(JSON.stringify(retry.methodConfig)).toContain('"retryableStatusCodes":["UNAVAILABLE"]');
    expect(serviceConfig(systemVariant('bare'), false)).toEqual({});
    expect(replicasTarget([1, 2])).toBe('ipv4:127.0.0.1:1,127.0.0.1:2');
    expect(requestId(encodeRequest(123_456))).toBe(123_456);
    expect(requestId(Buffer.alloc(2))).toBe(0);
  });
});
