import { describe, expect, it } from 'vitest';
import { AdmissionThresholds, DEFAULT_SHARES } from '../../src/overload/admission';
import { criticalityOf, parseCriticality } from '../../src/criticality/criticality';
import { FixedLimit, MIN_SAMPLES } from '../../src/overload/limit';
import { Metadata } from '@grpc/grpc-js';

describe('AdmissionThresholds', () => {
  it('sheds sheddable calls first (half the limit), default next (90 %), critical last (the limit)', () => {
    const t = new AdmissionThresholds(DEFAULT_SHARES);
    t.update(100);
    expect([t.sheddable, t.default, t.critical]).toEqual([50, 90, 100]);
    expect(t.admits('sheddable', 49)).toBe(true);
    expect(t.admits('sheddable', 50)).toBe(false);
    expect(t.admits('default', 89)).toBe(true);
    expect(t.admits('default', 90)).toBe(false);
    expect(t.admits('critical', 99)).toBe(true);
    expect(t.admits('critical', 100)).toBe(false);
  });

  it('admits one call of every criticality on an idle server, however small the limit', () => {
    const t = new AdmissionThresholds({ default: 0.5, sheddable: 0.1 });
    t.update(1);
    for (const c of ['critical', 'default', 'sheddable'] as const) {
      expect(t.admits(c, 0)).toBe(true);
      expect(t.admits(c, 1)).toBe(false);
    }
  });

  it('follows the limit when it moves', () => {
    const t = new AdmissionThresholds(DEFAULT_SHARES);
    t.update(10);
    t.update(20);
    expect([t.sheddable, t.default, t.critical]).toEqual([10, 18, 20]);
    t.update(3);
    expect([t.sheddable, t.default, t.critical]).toEqual([2, 3, 3]); // rounded: 1.5 → 2, 2.7 → 3
  });
});

describe('FixedLimit', () => {
  it('never moves, and reports what each window measured', () => {
    const limit = new FixedLimit(7, { windowMs: 100, loopDelayMs: () => 3 }, 0);
    limit.admitted(5);
    const updates = [];
    for (let i = 1; i <= MIN_SAMPLES; i++) updates.push(limit.ended(i, i === 1, 4, i * 10));
    expect(updates.slice(0, -1).every((u) => u === undefined)).toBe(true);
    expect(updates.at(-1)).toEqual({ limit: 7, previous: 7, latencyMs: 5.5 + 3, loopDelayMs: 3, samples: 10, timeouts: 1, maxInFlight: 5 });
    expect(limit.current).toBe(7);
  });
});

describe('criticality header values', () => {
  it('accepts exactly the three words', () => {
    expect(parseCriticality('critical')).toBe('critical');
    expect(parseCriticality('default')).toBe('default');
    expect(parseCriticality('sheddable')).toBe('sheddable');
  });

  it('treats anything else as unmarked (default), never echoing it', () => {
    for (const hostile of [
      'CRITICAL',
      ' critical',
      'critical ',
      'critical,critical',
      '',
      'x'.repeat(10_000),
      '__proto__',
      'toString',
      Buffer.from('critical'),
    ]) {
      expect(parseCriticality(hostile)).toBeUndefined();
    }
  });

  it('reads the first value of the header', () => {
    const md = new Metadata();
    expect(criticalityOf(md)).toBeUndefined();
    md.add('x-resilience-criticality', 'sheddable');
    md.add('x-resilience-criticality', 'critical');
    expect(criticalityOf(md)).toBe('sheddable');
  });
});
