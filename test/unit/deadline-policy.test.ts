import { describe, expect, it } from 'vitest';
import { DEFAULT_DEADLINE_POLICY, MAX_TIMEOUT_MS, effectiveDeadline, type DeadlinePolicy } from '../../src/deadline';
import { DeadlinePolicies } from '../../src/deadline/policy';
import { deadlineMs, deadlineOrInfinity } from '../../src/internal/time';
import { RESILIENCE_CALL_OPTIONS, resilienceCallOptions, withResilience } from '../../src/options/call-options';

const T = 1_700_000_000_000;
const policy = (p: Partial<DeadlinePolicy> = {}): DeadlinePolicy => ({ ...DEFAULT_DEADLINE_POLICY, ...p });

describe('effectiveDeadline', () => {
  it('keeps no deadline when there is none and no default', () => {
    expect(effectiveDeadline(policy(), undefined, Infinity, T)).toBe(Infinity);
  });

  it("uses the caller's deadline as is", () => {
    expect(effectiveDeadline(policy({ defaultTimeoutMs: 50 }), T + 300, Infinity, T)).toBe(T + 300);
  });

  it('inherits the context deadline minus the margin', () => {
    expect(effectiveDeadline(policy({ marginMs: 10 }), undefined, T + 300, T)).toBe(T + 290);
  });

  it('takes the earliest of caller and inherited', () => {
    expect(effectiveDeadline(policy({ marginMs: 10 }), T + 100, T + 300, T)).toBe(T + 100);
    expect(effectiveDeadline(policy({ marginMs: 10 }), T + 295, T + 300, T)).toBe(T + 290);
  });

  it('applies the default only when neither caller nor context has a deadline', () => {
    const p = policy({ defaultTimeoutMs: 2000 });
    expect(effectiveDeadline(p, undefined, Infinity, T)).toBe(T + 2000);
    expect(effectiveDeadline(p, undefined, T + 5000, T)).toBe(T + 4990);
    expect(effectiveDeadline(p, T + 9000, Infinity, T)).toBe(T + 9000);
  });

  it("treats the caller's explicit Infinity as 'no deadline' (no default)", () => {
    expect(effectiveDeadline(policy({ defaultTimeoutMs: 2000 }), Infinity, Infinity, T)).toBe(Infinity);
  });

  it('clamps to maxTimeoutMs (24 days by default, under the grpc-js server 2^31 ms limit)', () => {
    expect(MAX_TIMEOUT_MS).toBeLessThan(2 ** 31);
    expect(effectiveDeadline(policy(), T + 30 * 86_400_000, Infinity, T)).toBe(T + MAX_TIMEOUT_MS);
    expect(effectiveDeadline(policy({ maxTimeoutMs: 1000 }), T + 5000, Infinity, T)).toBe(T + 1000);
    expect(effectiveDeadline(policy({ maxTimeoutMs: 1000 }), undefined, T + 5000, T)).toBe(T + 1000);
  });

  it('ignores the context when propagation is off in the caller (the inherited value passed is Infinity)', () => {
    expect(effectiveDeadline(policy({ defaultTimeoutMs: 700 }), undefined, Infinity, T)).toBe(T + 700);
  });

  it('can be in the past (the interceptor then fails the call locally)', () => {
    expect(effectiveDeadline(policy({ marginMs: 10 }), undefined, T + 5, T) - T).toBe(-5);
  });
});

describe('DeadlinePolicies', () => {
  it('layers method over service over global', () => {
    const p = DeadlinePolicies.compile('deadline', { defaultTimeoutMs: 2000, marginMs: 5 }, {
      'pkg.Svc': { defaultTimeoutMs: 4000, minBudgetMs: 7 },
      '/pkg.Svc/Slow': { defaultTimeoutMs: 10_000 },
      '/other.Svc/*': { marginMs: 1 },
    });
    expect(p.forMethod('/pkg.Svc/Slow')).toMatchObject({ defaultTimeoutMs: 10_000, minBudgetMs: 7, marginMs: 5 });
    expect(p.forMethod('/pkg.Svc/Fast')).toMatchObject({ defaultTimeoutMs: 4000, minBudgetMs: 7, marginMs: 5 });
    expect(p.forMethod('/other.Svc/X')).toMatchObject({ defaultTimeoutMs: 2000, marginMs: 1 });
    expect(p.forMethod('/third.Svc/X')).toEqual({ ...DEFAULT_DEADLINE_POLICY, defaultTimeoutMs: 2000, marginMs: 5 });
  });

  it('rejects bad options naming them', () => {
    expect(() => DeadlinePolicies.compile('deadline', { marginMs: -1 }, undefined)).toThrow(/deadline\.marginMs/);
    expect(() => DeadlinePolicies.compile('deadline', { defaultTimeoutMs: 0 }, undefined)).toThrow(
      /deadline\.defaultTimeoutMs must be milliseconds between 1 and .* or Infinity/,
    );
    expect(() => DeadlinePolicies.compile('deadline', { maxTimeoutMs: 30 * 86_400_000 }, undefined)).toThrow(/deadline\.maxTimeoutMs/);
    expect(() => DeadlinePolicies.compile('deadline', { propagateDeadline: 'no' as never }, undefined)).toThrow(
      /deadline\.propagateDeadline must be true or false/,
    );
    expect(() => DeadlinePolicies.compile('deadline', {}, { '/a.B/C': { timeout: 5 } })).toThrow(
      /deadline\.methods\["\/a\.B\/C"\]: unknown option "timeout"/,
    );
    expect(() => DeadlinePolicies.compile('deadline', {}, [])).toThrow(/deadline\.methods must be an object/);
  });

  it('accepts Infinity as "no default deadline"', () => {
    const p = DeadlinePolicies.compile('deadline', { defaultTimeoutMs: 1000 }, { 'pkg.Stream': { defaultTimeoutMs: Infinity } });
    expect(p.forMethod('/pkg.Stream/Watch').defaultTimeoutMs).toBe(Infinity);
  });
});

describe('deadlineMs', () => {
  it('reads Date and number deadlines; NaN is no deadline', () => {
    expect(deadlineMs(new Date(T))).toBe(T);
    expect(deadlineMs(T)).toBe(T);
    expect(deadlineMs(undefined)).toBeUndefined();
    expect(deadlineMs(new Date(Number.NaN))).toBeUndefined();
  });

  it('deadlineOrInfinity: a finite time as is; none, NaN and grpc-js\'s Infinity (no deadline) as Infinity', () => {
    expect(deadlineOrInfinity(new Date(T))).toBe(T);
    expect(deadlineOrInfinity(T)).toBe(T);
    expect(deadlineOrInfinity(undefined)).toBe(Infinity);
    expect(deadlineOrInfinity(Infinity)).toBe(Infinity);
    expect(deadlineOrInfinity(new Date(Number.NaN))).toBe(Infinity);
  });
});

describe('withResilience (per-call settings)', () => {
  it('returns a copy with the settings under a registered symbol, keeping other options', () => {
    const base = { deadline: T + 5 };
    const opts = withResilience(base, { deadline: { marginMs: 3 } });
    expect(opts).not.toBe(base);
    expect(opts.deadline).toBe(T + 5);
    expect(RESILIENCE_CALL_OPTIONS).toBe(Symbol.for('grpc-resilience.call-options'));
    expect(resilienceCallOptions(opts)).toEqual({ deadline: { marginMs: 3 } });
    expect(resilienceCallOptions(base)).toBeUndefined();
  });

  it('merges field by field over earlier settings', () => {
    const once = withResilience(undefined, { deadline: { marginMs: 3, minBudgetMs: 1 } });
    const twice = withResilience(once, { deadline: { minBudgetMs: 9 } });
    expect(resilienceCallOptions(twice)).toEqual({ deadline: { marginMs: 3, minBudgetMs: 9 } });
    expect(resilienceCallOptions(once)).toEqual({ deadline: { marginMs: 3, minBudgetMs: 1 } });
  });

  it('validates the settings', () => {
    expect(() => withResilience({}, { deadline: { marginMs: Number.NaN } })).toThrow(/withResilience: deadline\.marginMs/);
    expect(() => withResilience({}, { nope: {} } as never)).toThrow(/withResilience: unknown option "nope"/);
  });

  it('survives the copies grpc-js and interceptors make (Object.assign, spread)', () => {
    const opts = withResilience({}, { deadline: { propagateDeadline: false } });
    const copied = { ...Object.assign({}, opts, { method_definition: {} }) };
    expect(resilienceCallOptions(copied)?.deadline?.propagateDeadline).toBe(false);
  });
});
