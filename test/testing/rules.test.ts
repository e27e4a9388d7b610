import { describe, expect, it } from 'vitest';
import { compileOutage, compileRules, ruleFor } from '../../src/testing/rules';

describe('compileRules', () => {
  it('picks the most specific rule: path, then service, then *', () => {
    const rules = compileRules({
      '*': { latency: 1 },
      'pkg.Svc': { latency: 2 },
      '/pkg.Svc/Exact': { latency: 3 },
    });
    const delay = (path: string) => ruleFor(rules, path)?.latency?.sample(() => 0);
    expect(delay('/pkg.Svc/Exact')).toBe(3);
    expect(delay('/pkg.Svc/Other')).toBe(2);
    expect(delay('/other.Svc/Exact')).toBe(1);
    expect(ruleFor(compileRules({ 'pkg.Svc': {} }), '/other.Svc/M')).toBeUndefined();
  });

  it('defaults: error rate 1 with UNAVAILABLE, stall rate 1 held forever', () => {
    const plan = ruleFor(compileRules({ '*': { error: {}, stall: {} } }), '/a.B/C');
    expect(plan?.error).toMatchObject({ rate: 1, codes: [14], message: undefined });
    expect(plan?.stall).toEqual({ rate: 1, durationMs: undefined });
  });

  it('accepts codes by name or number, singly or as a list', () => {
    const plan = ruleFor(compileRules({ '*': { error: { codes: ['RESOURCE_EXHAUSTED', 13, 'unavailable'] } } }), '/a.B/C');
    expect(plan?.error?.codes).toEqual([8, 13, 14]);
    expect(ruleFor(compileRules({ '*': { error: { codes: 'INTERNAL' } } }), '/a.B/C')?.error?.codes).toEqual([13]);
  });

  it.each([
    [{ '/a.B/C': { error: { rate: 1.5 } } }, /rules\["\/a\.B\/C"\]\.error\.rate must be between 0 and 1; got 1\.5/],
    [{ '*': { error: { codes: 'NOPE' } } }, /rules\["\*"\]\.error\.codes must be a non-OK status code .*got "NOPE"/],
    [{ '*': { error: { codes: 0 } } }, /error\.codes must be a non-OK status code/],
    [{ '*': { error: { codes: [] } } }, /error\.codes must name at least one status code/],
    [{ '*': { error: { codes: 'INTERNAL', pushbackMs: 100 } } }, /pushbackMs and retryInfoMs apply to RESOURCE_EXHAUSTED and UNAVAILABLE only; got INTERNAL/],
    [{ '*': { error: { pushbackMs: 1.5 } } }, /error\.pushbackMs must be a whole number/],
    [{ '*': { error: { retryInfoMs: -1 } } }, /error\.retryInfoMs must be between 0/],
    [{ '*': { error: { rat: 1 } } }, /rules\["\*"\]\.error: unknown option "rat"; allowed: rate, codes/],
    [{ '*': { latency: -5 } }, /latency must be between 0 and/],
    [{ '*': { latency: { kind: 'gamma' } } }, /latency must be a number of ms or an object whose kind is one of 'fixed'/],
    [{ '*': { latency: { kind: 'uniform', minMs: 10, maxMs: 5 } } }, /latency\.maxMs must be ≥ .*latency\.minMs/],
    [{ '*': { latency: { kind: 'normal', meanMs: 10 } } }, /latency\.stdDevMs is required for kind 'normal'/],
    [{ '*': { latency: { kind: 'custom' } } }, /latency\.sample is required/],
    [{ '*': { latency: { kind: 'fixed', ms: 1, extra: 1 } } }, /unknown option "extra"/],
    [{ '*': { stall: { durationMs: -1 } } }, /stall\.durationMs must be between 0/],
    [{ '*': { slow: true } }, /unknown option "slow"; allowed: error, latency, stall/],
    [{ 'a/b/c': {} }, /rules: "a\/b\/c" is neither a method path \('\/pkg\.Service\/Method'\), a service .* nor '\*'/],
    [{ '*': null }, /rules\["\*"\] must be an object; got null/],
  ])('rejects %j', (rules, message) => {
    expect(() => compileRules(rules)).toThrow(message);
  });

  it('rejects rules that are not an object', () => {
    expect(() => compileRules([])).toThrow(/rules must be an object keyed by method path/);
    expect(() => compileRules('*')).toThrow(/rules must be an object/);
    expect(compileRules(undefined).any).toBeUndefined();
  });
});

describe('compileOutage', () => {
  it('defaults to UNAVAILABLE and validates like an error rule', () => {
    expect(compileOutage('down(fault)', undefined)).toMatchObject({ codes: [14] });
    expect(compileOutage('down(fault)', { code: 'RESOURCE_EXHAUSTED', pushbackMs: 50 })).toMatchObject({ codes: [8], pushbackMs: 50 });
    expect(() => compileOutage('down(fault)', { code: 'NOT_FOUND', retryInfoMs: 5 })).toThrow(/down\(fault\): pushbackMs and retryInfoMs apply/);
    expect(() => compileOutage('down(fault)', { codes: [14] })).toThrow(/unknown option "codes"/);
  });
});
