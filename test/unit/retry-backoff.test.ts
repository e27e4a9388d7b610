import { describe, expect, it } from 'vitest';
import { backoffDelayMs, type BackoffSettings } from '../../src/retry/backoff';

const base = { initialBackoffMs: 100, maxBackoffMs: 1_000, multiplier: 2 } as const;
const fixed = (value: number) => () => value;
/** Replays `values` in order (throws when exhausted, so a test notices extra draws). */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error('random drawn more often than expected');
    return values[i++];
  };
};

describe('backoffDelayMs', () => {
  it('none: capped exponential, initial × multiplier^(retry-1)', () => {
    const s: BackoffSettings = { ...base, jitter: 'none' };
    const delays = [1, 2, 3, 4, 5, 6].map((retry) => backoffDelayMs(s, retry, 0, fixed(0.5)));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('none: a multiplier of 1 gives a constant delay', () => {
    const s: BackoffSettings = { ...base, multiplier: 1, jitter: 'none' };
    expect([1, 2, 5].map((r) => backoffDelayMs(s, r, 0, fixed(0.9)))).toEqual([100, 100, 100]);
  });

  it('full: uniform in [0, ceiling)', () => {
    const s: BackoffSettings = { ...base, jitter: 'full' };
    expect(backoffDelayMs(s, 1, 0, fixed(0))).toBe(0);
    expect(backoffDelayMs(s, 1, 0, fixed(0.5))).toBe(50);
    expect(backoffDelayMs(s, 3, 0, fixed(0.25))).toBe(100); // ceiling 400
    expect(backoffDelayMs(s, 10, 0, fixed(0.999))).toBeCloseTo(999, 6); // ceiling capped at 1000
  });

  it('equal: half the ceiling plus uniform over the other half', () => {
    const s: BackoffSettings = { ...base, jitter: 'equal' };
    expect(backoffDelayMs(s, 1, 0, fixed(0))).toBe(50);
    expect(backoffDelayMs(s, 2, 0, fixed(0.5))).toBe(150); // ceiling 200: 100 + 50
    expect(backoffDelayMs(s, 9, 0, fixed(0))).toBe(500); // ceiling capped at 1000
  });

  it('decorrelated: uniform in [initial, 3 × previous], capped, growing from the previous delay', () => {
    const s: BackoffSettings = { ...base, jitter: 'decorrelated' };
    // First retry: previous = initial → U(100, 300).
    expect(backoffDelayMs(s, 1, 0, fixed(0))).toBe(100);
    expect(backoffDelayMs(s, 1, 0, fixed(0.5))).toBe(200);
    // From a previous 200 ms: U(100, 600).
    expect(backoffDelayMs(s, 2, 200, fixed(0.5))).toBe(350);
    // From a previous 900 ms: U(100, 2700) capped at 1000.
    expect(backoffDelayMs(s, 3, 900, fixed(0.9))).toBe(1_000);
  });

  it('draws exactly one random number per delay (none draws none)', () => {
    for (const jitter of ['full', 'equal', 'decorrelated'] as const) {
      expect(() => backoffDelayMs({ ...base, jitter }, 2, 150, sequence(0.3))).not.toThrow();
    }
    expect(() => backoffDelayMs({ ...base, jitter: 'none' }, 2, 0, sequence())).not.toThrow();
  });

  it('a seeded sequence gives a reproducible schedule within the bounds of each mode', () => {
    let state = 42;
    const lcg = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const s: BackoffSettings = { ...base, jitter: 'full' };
    const delays = [1, 2, 3, 4, 5].map((r) => backoffDelayMs(s, r, 0, lcg));
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(1_000, 100 * 2 ** i));
    });
    state = 42;
    expect([1, 2, 3, 4, 5].map((r) => backoffDelayMs(s, r, 0, lcg))).toEqual(delays);
  });
});
