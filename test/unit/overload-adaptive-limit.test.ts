import { describe, expect, it } from 'vitest';
import { AdaptiveLimit, type AdaptiveLimitSettings } from '../../src/overload/adaptive-limit';
import { MIN_SAMPLES, type LimitUpdate } from '../../src/overload/limit';

const WINDOW_MS = 100;

function limiter(overrides: Partial<AdaptiveLimitSettings> = {}, loopDelay = { ms: 0 }): AdaptiveLimit {
  return new AdaptiveLimit(
    { initialLimit: 20, minLimit: 2, maxLimit: 1000, tolerance: 2, windowMs: WINDOW_MS, loopDelayMs: () => loopDelay.ms, ...overrides },
    0,
  );
}

/**
 * A server model: `knee` calls in flight keep it busy; beyond that calls queue, so latency grows
 * in proportion (`baseMs` × inFlight / knee). `demand` callers keep a call outstanding each, so
 * the calls in flight are min(demand, limit).
 */
interface Model {
  baseMs: number;
  knee: number;
  demand: number;
  /** Calls that end by their deadline, per window (they take `timeoutMs`). */
  timeoutShare?: number;
  timeoutMs?: number;
}

/** Runs `windows` windows of the model; returns the limit after each, and the last update. */
function drive(limit: AdaptiveLimit, model: Model, windows: number, clock: { now: number }): { limits: number[]; last?: LimitUpdate } {
  const limits: number[] = [];
  let last: LimitUpdate | undefined;
  for (let w = 0; w < windows; w++) {
    const inFlight = Math.min(model.demand, limit.current);
    const latency = model.baseMs * Math.max(1, inFlight / model.knee);
    limit.admitted(inFlight);
    const calls = MIN_SAMPLES * 2;
    const timeouts = Math.round(calls * (model.timeoutShare ?? 0));
    for (let i = 0; i < calls; i++) {
      clock.now += WINDOW_MS / calls;
      const timedOut = i < timeouts;
      const update = limit.ended(timedOut ? (model.timeoutMs ?? 5000) : latency, timedOut, inFlight - 1, clock.now);
      if (update) last = update;
    }
    limits.push(limit.current);
  }
  return { limits, last };
}

describe('AdaptiveLimit', () => {
  it('changes nothing before a window has both its length and enough calls', () => {
    const limit = limiter();
    limit.admitted(20);
    for (let i = 0; i < MIN_SAMPLES - 1; i++) expect(limit.ended(500, false, 19, 1000)).toBeUndefined();
    for (let i = 0; i < MIN_SAMPLES; i++) expect(limiter().ended(500, false, 19, WINDOW_MS - 1)).toBeUndefined();
    expect(limit.current).toBe(20);
  });

  it('grows by √limit per window while latency stays within tolerance and the limit is used', () => {
    const clock = { now: 0 };
    const limit = limiter();
    const { limits } = drive(limit, { baseMs: 10, knee: 1000, demand: 10_000 }, 3, clock);
    expect(limits).toEqual([24, 29, 34]); // 20 + √20 = 24.5, + √24.5 = 29.4, + √29.4 = 34.8
  });

  it('does not grow a limit nobody uses (an idle limit would admit a later burst unchecked)', () => {
    const clock = { now: 0 };
    const limit = limiter();
    const { limits } = drive(limit, { baseMs: 10, knee: 1000, demand: 9 }, 600, clock); // 9 < 20 / 2
    expect(new Set(limits)).toEqual(new Set([20]));
  });

  it('settles at tolerance × the knee under saturation, and stays there for minutes (no baseline drift)', () => {
    const clock = { now: 0 };
    const limit = limiter();
    const model = { baseMs: 10, knee: 40, demand: 100_000 };
    const { limits, last } = drive(limit, model, 3000, clock); // 5 minutes of 100 ms windows
    const late = limits.slice(-600);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(60);
    expect(Math.max(...late)).toBeLessThanOrEqual(95); // tolerance 2 × knee 40 = 80, ± a growth step
    expect(last?.baselineMs).toBeCloseTo(10, 5);
  });

  it('reaches a new knee within 2 s after the capacity drops', () => {
    const clock = { now: 0 };
    const limit = limiter();
    drive(limit, { baseMs: 10, knee: 200, demand: 100_000 }, 100, clock);
    expect(limit.current).toBeGreaterThan(300);
    const { limits } = drive(limit, { baseMs: 10, knee: 20, demand: 100_000 }, 20, clock);
    expect(limits.at(-1)).toBeLessThanOrEqual(50);
    expect(limits.at(-1)).toBeGreaterThanOrEqual(20);
  });

  it('halves at most per window, and never goes below minLimit', () => {
    const clock = { now: 0 };
    const limit = limiter({ initialLimit: 400 });
    drive(limit, { baseMs: 10, knee: 1000, demand: 100_000 }, 1, clock); // learn the baseline
    const { limits } = drive(limit, { baseMs: 10, knee: 1, demand: 100_000 }, 12, clock);
    for (let i = 1; i < limits.length; i++) expect(limits[i]).toBeGreaterThanOrEqual(Math.floor(limits[i - 1] / 2));
    expect(limits.at(-1)).toBe(2);
  });

  it('backs off under a steady timeout, whose constant latency a ratio alone would miss', () => {
    const clock = { now: 0 };
    // Started in the middle of it: the first window's latency (the timeout) becomes the baseline.
    const limit = limiter({ initialLimit: 100 });
    const { limits } = drive(limit, { baseMs: 5000, knee: 1e9, demand: 100_000, timeoutShare: 1, timeoutMs: 5000 }, 60, clock);
    expect(limits.every((value, i) => i === 0 || value <= limits[i - 1])).toBe(true);
    expect(limits.at(-1)).toBe(2);
  });

  it('ignores a few timeouts (10 % or less of a window)', () => {
    const clock = { now: 0 };
    const limit = limiter();
    const { limits } = drive(limit, { baseMs: 10, knee: 1000, demand: 100_000, timeoutShare: 0.1 }, 5, clock);
    expect(limits.at(-1)).toBeGreaterThan(20);
  });

  it('never cuts the limit at light load to re-measure the baseline (no probing rejections)', () => {
    const clock = { now: 0 };
    const limit = limiter();
    const { limits } = drive(limit, { baseMs: 10, knee: 1000, demand: 12 }, 6000, clock); // 10 minutes
    expect(Math.min(...limits)).toBe(limits[0]);
  });

  it('learns a slower no-load latency within the tolerance at light load, refusing nothing', () => {
    const clock = { now: 0 };
    const limit = limiter();
    drive(limit, { baseMs: 10, knee: 1000, demand: 4 }, 20, clock);
    const { limits, last } = drive(limit, { baseMs: 18, knee: 1000, demand: 4 }, 30, clock);
    expect(last?.baselineMs).toBeGreaterThan(17);
    expect(new Set(limits)).toEqual(new Set([20]));
  });

  it('does not let queueing behind a pool drift the baseline when demand stays under the limit', () => {
    // 24 callers, a limit of 40 that never binds, and a backend that serves 4 at a time: latency
    // ×6. Learning from such windows would ratchet the baseline (and the limit) up for ever.
    const clock = { now: 0 };
    const limit = limiter({ initialLimit: 40, minLimit: 4 });
    drive(limit, { baseMs: 50, knee: 4, demand: 2 }, 10, clock);
    const { limits, last } = drive(limit, { baseMs: 50, knee: 4, demand: 24 }, 600, clock);
    expect(last?.baselineMs).toBeCloseTo(50, 5);
    expect(Math.max(...limits.slice(-100))).toBeLessThanOrEqual(12); // tolerance 2 × knee 4, ± a step
  });

  it('follows a lower latency at once', () => {
    const clock = { now: 0 };
    const limit = limiter();
    drive(limit, { baseMs: 30, knee: 1000, demand: 4 }, 5, clock);
    const { last } = drive(limit, { baseMs: 10, knee: 1000, demand: 4 }, 5, clock);
    expect(last?.baselineMs).toBeLessThan(11);
  });

  it('climbs off its floor when a dependency got slower for good, with the event loop idle', () => {
    const clock = { now: 0 };
    const limit = limiter();
    drive(limit, { baseMs: 10, knee: 20, demand: 100_000 }, 50, clock);
    // The dependency now takes 100 ms whatever the concurrency: the limit first falls to its floor...
    const { limits } = drive(limit, { baseMs: 100, knee: 1e9, demand: 100_000 }, 100, clock);
    expect(Math.min(...limits)).toBe(2);
    // ...and grows again once the baseline has learnt the new latency there.
    expect(limits.at(-1)).toBeGreaterThan(20);
  });

  it('stays on its floor while the event loop is what makes calls late', () => {
    const clock = { now: 0 };
    const delay = { ms: 0 };
    const limit = limiter({}, delay);
    drive(limit, { baseMs: 10, knee: 20, demand: 100_000 }, 50, clock);
    delay.ms = 200;
    const { limits, last } = drive(limit, { baseMs: 10, knee: 20, demand: 100_000 }, 100, clock);
    expect(limits.at(-1)).toBe(2);
    expect(last?.baselineMs).toBeLessThan(11);
    expect(last?.loopDelayMs).toBe(200);
  });

  it('counts the event loop delay as latency: calls wait for the loop before any interceptor sees them', () => {
    const clock = { now: 0 };
    const delay = { ms: 0 };
    const limit = limiter({ initialLimit: 100 }, delay);
    drive(limit, { baseMs: 10, knee: 1000, demand: 100_000 }, 1, clock);
    delay.ms = 30; // latency 10 + 30 = 40 against 2 × 10: × 0.5
    const { limits, last } = drive(limit, { baseMs: 10, knee: 1000, demand: 100_000 }, 1, clock);
    expect(last?.latencyMs).toBe(40);
    expect(limits[0]).toBe(55); // (100 + √100) × 0.5
  });

  it('drops a window that stays short of samples for 20 windows', () => {
    const limit = limiter();
    limit.admitted(20);
    for (let i = 0; i < MIN_SAMPLES - 2; i++) limit.ended(1000, false, 19, 10);
    limit.ended(1000, false, 19, WINDOW_MS * 21); // stale: dropped with its samples
    for (let i = 0; i < MIN_SAMPLES - 1; i++) expect(limit.ended(1000, false, 19, WINDOW_MS * 23)).toBeUndefined();
    expect(limit.current).toBe(20);
  });
});
