import { describe, expect, it } from 'vitest';
import { hedgeDelayMs } from '../../src/hedging/delay';
import { LatencyWindow, LatencyWindows, MAX_TRACKED_METHODS, samplesNeeded, WINDOW_SIZE } from '../../src/hedging/latency-window';
import { validateHedgingOverrides } from '../../src/hedging/policy';

/** A deterministic stream of uniform numbers in [0, 1). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('LatencyWindow', () => {
  it('gives a nearest-rank percentile once it holds enough samples', () => {
    const w = new LatencyWindow();
    for (let i = 1; i <= 19; i++) w.record(i);
    expect(w.percentile(95)).toBeUndefined(); // p95 needs 20 samples
    w.record(20);
    expect(w.percentile(95)).toBe(19); // rank ceil(0.95 × 20) = 19
    expect(w.percentile(50)).toBe(10);
  });

  it('needs 1 / (1 − p) samples: 2 for p50, 20 for p95, 100 for p99, the whole window for p99.9', () => {
    expect(samplesNeeded(50)).toBe(2);
    expect(samplesNeeded(95)).toBe(20);
    expect(samplesNeeded(99)).toBe(100);
    expect(samplesNeeded(99.9)).toBe(WINDOW_SIZE);
  });

  it('keeps only the newest WINDOW_SIZE samples (bounded memory)', () => {
    const w = new LatencyWindow();
    for (let i = 0; i < WINDOW_SIZE; i++) w.record(1_000);
    for (let i = 0; i < WINDOW_SIZE; i++) w.record(1);
    expect(w.count).toBe(WINDOW_SIZE);
    expect(w.percentile(99)).toBe(1);
  });

  it('tracks a shift in latency within a refresh period, not on every sample', () => {
    const w = new LatencyWindow();
    for (let i = 0; i < WINDOW_SIZE; i++) w.record(10);
    expect(w.percentile(95)).toBe(10);
    for (let i = 0; i < WINDOW_SIZE; i++) w.record(50);
    // The cached value is refreshed after WINDOW_SIZE / 32 new samples.
    expect(w.percentile(95)).toBe(50);
    w.record(1);
    expect(w.percentile(95)).toBe(50); // cached
    expect(w.percentile(50)).toBe(50); // another percentile is computed afresh
  });

  it('matches the exact percentile of a random sample', () => {
    const random = seeded(7);
    const w = new LatencyWindow();
    const values: number[] = [];
    for (let i = 0; i < WINDOW_SIZE; i++) {
      const v = -Math.log(1 - random()) * 10; // exponential, mean 10
      values.push(v);
      w.record(v);
    }
    values.sort((a, b) => a - b);
    expect(w.percentile(95)).toBe(values[949]);
    expect(w.percentile(99)).toBe(values[989]);
  });

  it('ignores negative and NaN latencies (a clock that stepped back)', () => {
    const w = new LatencyWindow();
    w.record(-1);
    w.record(NaN);
    expect(w.count).toBe(0);
  });
});

describe('LatencyWindows', () => {
  it('one window per method, at most MAX_TRACKED_METHODS of them (the oldest goes)', () => {
    const ws = new LatencyWindows();
    const first = ws.of('/m/0');
    expect(ws.of('/m/0')).toBe(first);
    for (let i = 1; i <= MAX_TRACKED_METHODS; i++) ws.of(`/m/${i}`);
    expect(ws.size).toBe(MAX_TRACKED_METHODS);
    expect(ws.of('/m/0')).not.toBe(first);
  });
});

describe('hedgeDelayMs', () => {
  const adaptive = { percentile: 95, minMs: 5, maxMs: 200 };
  const windowOf = (values: number[]) => {
    const w = new LatencyWindow();
    for (const v of values) w.record(v);
    return w;
  };

  it('a fixed delay is used as is', () => {
    expect(hedgeDelayMs(30, undefined)).toBe(30);
    expect(hedgeDelayMs(0, windowOf([1, 2, 3]))).toBe(0);
  });

  it('adaptive: the percentile of recent latency', () => {
    expect(hedgeDelayMs(adaptive, windowOf(Array.from({ length: 100 }, (_, i) => i + 1)))).toBe(95);
  });

  it('adaptive: never below the floor, never above the ceiling', () => {
    expect(hedgeDelayMs(adaptive, windowOf(Array(100).fill(0.4)))).toBe(5);
    expect(hedgeDelayMs(adaptive, windowOf(Array(100).fill(900)))).toBe(200);
  });

  it('adaptive: the ceiling while too few latencies are known (Infinity by default: no hedge)', () => {
    expect(hedgeDelayMs(adaptive, windowOf([1, 2, 3]))).toBe(200);
    expect(hedgeDelayMs({ percentile: 95, minMs: 5, maxMs: Infinity }, undefined)).toBe(Infinity);
  });
});

describe('validateHedgingOverrides', () => {
  it('accepts a fixed delay and an adaptive one, filling the adaptive defaults', () => {
    expect(validateHedgingOverrides('hedging', { maxAttempts: 3, delay: 20 })).toEqual({ maxAttempts: 3, delay: 20 });
    expect(validateHedgingOverrides('hedging', { delay: { percentile: 99 } })).toEqual({
      delay: { percentile: 99, minMs: 5, maxMs: Infinity },
    });
    expect(validateHedgingOverrides('hedging', {})).toEqual({});
  });

  it('names the option and what is allowed', () => {
    expect(() => validateHedgingOverrides('hedging', { maxAttempts: 9 })).toThrow(/hedging\.maxAttempts must be between 1 and 5; got 9/);
    expect(() => validateHedgingOverrides('hedging', { maxAttempts: 1.5 })).toThrow(/hedging\.maxAttempts must be a whole number/);
    expect(() => validateHedgingOverrides('hedging', { delay: -1 })).toThrow(/hedging\.delay must be between 0/);
    expect(() => validateHedgingOverrides('hedging', { delay: '50ms' })).toThrow(
      /hedging\.delay must be milliseconds \(a number\) or \{ percentile, minMs\?, maxMs\? \}; got string/,
    );
    expect(() => validateHedgingOverrides('hedging', { delay: {} })).toThrow(/hedging\.delay\.percentile is required/);
    expect(() => validateHedgingOverrides('hedging', { delay: { percentile: 20 } })).toThrow(
      /hedging\.delay\.percentile must be between 50 and 99\.9; got 20/,
    );
    expect(() => validateHedgingOverrides('hedging', { delay: { percentile: 95, minMs: 50, maxMs: 10 } })).toThrow(
      /hedging\.delay: maxMs \(10\) must be at least minMs \(50\)/,
    );
    expect(() => validateHedgingOverrides('hedging', { delay: { percentile: 95, floor: 3 } })).toThrow(
      /hedging\.delay: unknown option "floor"; allowed: percentile, minMs, maxMs/,
    );
    expect(() => validateHedgingOverrides('hedging', { maxAttempt: 2 })).toThrow(/unknown option "maxAttempt"/);
  });
});
