import { describe, expect, it } from 'vitest';
import { callRandom, hashString, mix32, seededRandom } from '../../src/testing/random';

const take = (random: () => number, n: number) => Array.from({ length: n }, random);

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    expect(take(seededRandom(7), 50)).toEqual(take(seededRandom(7), 50));
    expect(take(seededRandom(7), 50)).not.toEqual(take(seededRandom(8), 50));
  });

  it('stays in [0, 1) and is roughly uniform (chi-square over 10 buckets)', () => {
    const n = 20_000;
    const buckets = new Array<number>(10).fill(0);
    const values = take(seededRandom(12345), n);
    for (const x of values) buckets[Math.floor(x * 10)]++;
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const expected = n / 10;
    const chi2 = buckets.reduce((sum, b) => sum + (b - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: P(chi2 > 27.9) ≈ 0.001.
    expect(chi2).toBeLessThan(27.9);
  });

  it('treats seeds as 32-bit integers (0 and 2^32 − 1 both work)', () => {
    expect(take(seededRandom(0), 3)).not.toEqual(take(seededRandom(4_294_967_295), 3));
    expect(take(seededRandom(2 ** 32), 3)).toEqual(take(seededRandom(0), 3));
  });
});

describe('per-call streams', () => {
  it('depend only on (seed, method, sequence)', () => {
    const a = hashString('/a.A/M');
    expect(take(callRandom(1, a, 5), 4)).toEqual(take(callRandom(1, a, 5), 4));
    expect(take(callRandom(1, a, 5), 4)).not.toEqual(take(callRandom(1, a, 6), 4));
    expect(take(callRandom(1, a, 5), 4)).not.toEqual(take(callRandom(2, a, 5), 4));
    expect(take(callRandom(1, a, 5), 4)).not.toEqual(take(callRandom(1, hashString('/a.A/N'), 5), 4));
  });

  it('the first draws of consecutive calls are uncorrelated enough for rates', () => {
    const h = hashString('/x.Y/Z');
    let below = 0;
    for (let i = 0; i < 10_000; i++) if (callRandom(99, h, i)() < 0.25) below++;
    // Binomial(10000, 0.25): sd ≈ 43; allow 5 sd.
    expect(Math.abs(below - 2500)).toBeLessThan(220);
  });

  it('mix32 is a bijection on a sample (no collisions)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50_000; i++) seen.add(mix32(i));
    expect(seen.size).toBe(50_000);
  });
});
