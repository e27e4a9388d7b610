import { describe, expect, it } from 'vitest';
import { decideFault, type FaultDecision } from '../../src/testing/decide';
import { callRandom, hashString, seededRandom } from '../../src/testing/random';
import { compileRules, ruleFor, type FaultRule } from '../../src/testing/rules';

const PATH = '/test.v1.EchoService/Unary';

/** The decisions for calls 0..n−1 of one method, exactly as the injector makes them. */
function schedule(rule: FaultRule, seed: number, n: number): FaultDecision[] {
  const plan = ruleFor(compileRules({ [PATH]: rule }), PATH);
  const hash = hashString(PATH);
  return Array.from({ length: n }, (_, i) => decideFault(plan, callRandom(seed, hash, i)));
}

const count = (decisions: FaultDecision[], pred: (d: FaultDecision) => boolean) => decisions.filter(pred).length;
const isError = (d: FaultDecision) => d.action === 'error';

/** |observed − expected| within 5 binomial standard deviations. */
function expectRate(observed: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p)).toBeLessThanOrEqual(5 * sd + 1);
}

const MIXED: FaultRule = {
  error: { rate: 0.2, codes: ['UNAVAILABLE', 'INTERNAL'] },
  latency: { kind: 'exponential', meanMs: 20, rate: 0.5 },
  stall: { rate: 0.05, durationMs: 100 },
};

describe('decideFault: reproducibility', () => {
  it('the same seed gives the same fault sequence; another seed a different one', () => {
    const a = schedule(MIXED, 42, 1000);
    expect(schedule(MIXED, 42, 1000)).toEqual(a);
    const b = schedule(MIXED, 43, 1000);
    expect(b).not.toEqual(a);
    // Not merely shifted: the error positions differ substantially.
    const diff = a.filter((d, i) => isError(d) !== isError(b[i])).length;
    expect(diff).toBeGreaterThan(100);
  });

  it('each knob keeps its own draws: changing the error rate leaves stalls and delays alone', () => {
    const base = schedule(MIXED, 7, 500);
    const moreErrors = schedule({ ...MIXED, error: { rate: 0.6, codes: ['UNAVAILABLE', 'INTERNAL'] } }, 7, 500);
    const stalls = (ds: FaultDecision[]) => ds.map((d) => d.action === 'stall');
    const delays = (ds: FaultDecision[]) => ds.map((d) => (d.action === 'stall' ? -1 : d.delayMs));
    expect(stalls(moreErrors)).toEqual(stalls(base));
    expect(delays(moreErrors)).toEqual(delays(base));
    // Errors only get added: every call that failed at 0.2 still fails at 0.6, with the same code.
    base.forEach((d, i) => {
      if (d.action === 'error') expect(moreErrors[i]).toEqual(d);
    });
  });
});

describe('decideFault: rates', () => {
  it('error rate 0.3 over 2000 calls is within tolerance', () => {
    const n = 2000;
    expectRate(count(schedule({ error: { rate: 0.3 } }, 1, n), isError), n, 0.3);
  });

  it('codes are picked uniformly; repeats weight them', () => {
    const n = 2000;
    const ds = schedule({ error: { codes: ['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE', 'INTERNAL'] } }, 2, n);
    expect(count(ds, isError)).toBe(n);
    expectRate(count(ds, (d) => d.action === 'error' && d.code === 14), n, 0.75);
    expect(count(ds, (d) => d.action === 'error' && d.code !== 14 && d.code !== 13)).toBe(0);
  });

  it('rate 0 never faults, rate 1 always does', () => {
    expect(count(schedule({ error: { rate: 0 }, stall: { rate: 0 }, latency: { kind: 'fixed', ms: 5, rate: 0 } }, 3, 500), (d) => d.action !== 'pass' || d.delayMs > 0)).toBe(0);
    expect(count(schedule({ stall: { rate: 1 } }, 3, 500), (d) => d.action === 'stall')).toBe(500);
  });

  it('combined rates: stalls, then errors among the rest, latency independent', () => {
    const n = 4000;
    const ds = schedule(MIXED, 11, n);
    expectRate(count(ds, (d) => d.action === 'stall'), n, 0.05);
    expectRate(count(ds, isError), n, 0.95 * 0.2);
    expectRate(count(ds, (d) => d.action !== 'stall' && d.delayMs > 0), n, 0.95 * 0.5);
  });

  it('no rule: every call passes at once', () => {
    expect(decideFault(undefined, seededRandom(1))).toEqual({ action: 'pass', delayMs: 0 });
  });
});

describe('decideFault: the failure it describes', () => {
  it('uses the default message, or the configured one', () => {
    const [d] = schedule({ error: { codes: 'DATA_LOSS' } }, 1, 1);
    expect(d).toEqual({ action: 'error', delayMs: 0, code: 15, message: 'injected fault: DATA_LOSS' });
    expect(schedule({ error: { message: 'over capacity' } }, 1, 1)[0]).toMatchObject({ message: 'over capacity' });
  });

  it('attaches pushback and RetryInfo only to RESOURCE_EXHAUSTED and UNAVAILABLE', () => {
    const ds = schedule({ error: { codes: ['RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL'], pushbackMs: 250, retryInfoMs: 300 } }, 5, 300);
    for (const d of ds) {
      if (d.action !== 'error') throw new Error('expected errors only');
      if (d.code === 13) expect(d).not.toHaveProperty('pushbackMs');
      else expect(d).toMatchObject({ pushbackMs: 250, retryInfoMs: 300 });
    }
    expect(new Set(ds.map((d) => (d.action === 'error' ? d.code : 0)))).toEqual(new Set([8, 13, 14]));
  });

  it('a stall excludes errors and latency', () => {
    const ds = schedule({ stall: { rate: 1, durationMs: 50 }, error: { rate: 1 }, latency: 10 }, 9, 20);
    expect(ds.every((d) => d.action === 'stall' && d.durationMs === 50)).toBe(true);
  });

  it('latency applies to failing calls too (a slow failure)', () => {
    expect(schedule({ error: {}, latency: 40 }, 1, 1)[0]).toMatchObject({ action: 'error', delayMs: 40 });
  });
});

describe('latency distributions', () => {
  const delays = (latency: FaultRule['latency'], n = 4000, seed = 21) =>
    schedule({ latency }, seed, n).map((d) => (d.action === 'pass' ? d.delayMs : NaN));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

  it('fixed', () => {
    expect(new Set(delays(75, 100))).toEqual(new Set([75]));
    expect(new Set(delays({ kind: 'fixed', ms: 75, maxMs: 30 }, 100))).toEqual(new Set([30]));
  });

  it('uniform stays in range with the right mean', () => {
    const xs = delays({ kind: 'uniform', minMs: 10, maxMs: 30 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThan(30);
    expect(mean(xs)).toBeCloseTo(20, 0);
  });

  it('exponential has the configured mean and respects maxMs', () => {
    const xs = delays({ kind: 'exponential', meanMs: 50 });
    // sd of the mean = 50 / sqrt(4000) ≈ 0.8
    expect(Math.abs(mean(xs) - 50)).toBeLessThan(4);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays({ kind: 'exponential', meanMs: 50, maxMs: 60 }))).toBeLessThanOrEqual(60);
  });

  it('normal has the configured mean and spread, clamped at 0', () => {
    const xs = delays({ kind: 'normal', meanMs: 100, stdDevMs: 15 });
    expect(Math.abs(mean(xs) - 100)).toBeLessThan(2);
    expect(Math.abs(sd(xs) - 15)).toBeLessThan(2);
    expect(Math.min(...delays({ kind: 'normal', meanMs: 0, stdDevMs: 10 }))).toBe(0);
  });

  it('custom gets the call’s random stream; non-finite or negative samples count as 0', () => {
    const xs = delays({ kind: 'custom', sample: (random) => 1000 * random() }, 200);
    expect(delays({ kind: 'custom', sample: (random) => 1000 * random() }, 200)).toEqual(xs);
    expect(new Set(xs).size).toBe(200);
    expect(new Set(delays({ kind: 'custom', sample: () => NaN }, 10))).toEqual(new Set([0]));
    expect(new Set(delays({ kind: 'custom', sample: () => -5 }, 10))).toEqual(new Set([0]));
    expect(new Set(delays({ kind: 'custom', sample: () => 1e12, maxMs: 500 }, 10))).toEqual(new Set([500]));
  });

  it('a throwing custom sampler counts as 0 and warns once', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const throwing = () => {
        throw new Error('boom');
      };
      expect(new Set(delays({ kind: 'custom', sample: throwing }, 5))).toEqual(new Set([0]));
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.includes('custom latency sampler threw'))).toHaveLength(1);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
