import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/testing/random';
import { AdaptiveThrottle } from '../../src/throttle/throttle';

const settings = { windowMs: 10_000, ratio: 2, maxProbability: 1 };

describe('AdaptiveThrottle (SRE client-side throttling)', () => {
  it('refuses nothing while the backend accepts at least 1 in K requests', () => {
    const t = new AdaptiveThrottle(settings, 0);
    for (let i = 0; i < 100; i++) {
      t.accepted(1);
      t.rejected(1);
    }
    expect(t.probability(1)).toBe(0);
  });

  it('is max(0, (requests − K·accepts) / (requests + 1))', () => {
    const t = new AdaptiveThrottle(settings, 0);
    for (let i = 0; i < 10; i++) t.accepted(1);
    for (let i = 0; i < 89; i++) t.rejected(1);
    expect(t.counts(1)).toEqual({ requests: 99, accepts: 10 });
    expect(t.probability(1)).toBeCloseTo((99 - 20) / 100, 12);
  });

  it('keeps the backend at about K requests per accept however large the overload', () => {
    for (const overload of [4, 10, 50]) {
      const t = new AdaptiveThrottle(settings, 0);
      const random = seededRandom(overload);
      let sent = 0;
      let accepted = 0;
      // The backend serves 20 calls a second (bursts of 5) and rejects the rest; 100 s of requests.
      const capacityPerMs = 20 / 1000;
      const gapMs = 1 / (capacityPerMs * overload);
      let tokens = 0;
      let lastMs = 0;
      for (let now = 0; now < 100_000; now += gapMs) {
        tokens = Math.min(5, tokens + (now - lastMs) * capacityPerMs);
        lastMs = now;
        if (random() < t.probability(now)) {
          t.rejected(now);
          continue;
        }
        sent++;
        if (tokens >= 1) {
          tokens -= 1;
          accepted++;
          t.accepted(now);
        } else {
          t.rejected(now);
        }
      }
      const rejectedPerAccept = (sent - accepted) / accepted;
      expect(rejectedPerAccept).toBeGreaterThan(0.8);
      expect(rejectedPerAccept).toBeLessThan(1.25);
      expect(accepted).toBeGreaterThan(0.95 * 20 * 100); // the backend stays busy
    }
  });

  it('caps the probability at maxProbability, so some requests still probe', () => {
    const t = new AdaptiveThrottle({ ...settings, maxProbability: 0.9 }, 0);
    for (let i = 0; i < 1000; i++) t.rejected(1);
    expect(t.probability(1)).toBe(0.9);
  });

  it('forgets what left the sliding window, a tenth of it at a time', () => {
    const t = new AdaptiveThrottle(settings, 0);
    for (let i = 0; i < 50; i++) t.rejected(500); // bucket 0
    for (let i = 0; i < 50; i++) t.rejected(1500); // bucket 1
    expect(t.counts(9_999).requests).toBe(100);
    expect(t.counts(10_000).requests).toBe(50); // bucket 0 expired
    expect(t.probability(11_000)).toBe(0); // all expired
    expect(t.counts(11_000)).toEqual({ requests: 0, accepts: 0 });
  });

  it('survives a long pause and a clock that steps back', () => {
    const t = new AdaptiveThrottle(settings, 0);
    for (let i = 0; i < 10; i++) t.rejected(100);
    expect(t.counts(1e12).requests).toBe(0);
    t.rejected(1e12);
    t.rejected(1e12 - 5000);
    expect(t.counts(1e12).requests).toBe(2);
  });
});
