import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { classifyStatus, createStatusTable, statusName } from '../../src/status';

const expected: Record<number, [string, boolean, boolean, boolean, string?]> = {
  // code: [retry, breakerFailure, clientFault, exposable, retryOnlyWith]
  [status.OK]: ['never', false, false, true],
  [status.CANCELLED]: ['never', false, false, false],
  [status.UNKNOWN]: ['never', true, false, false],
  [status.INVALID_ARGUMENT]: ['never', false, true, true],
  [status.DEADLINE_EXCEEDED]: ['idempotent', true, false, false, 'attempt-timeout'],
  [status.NOT_FOUND]: ['never', false, true, true],
  [status.ALREADY_EXISTS]: ['never', false, true, true],
  [status.PERMISSION_DENIED]: ['never', false, true, true],
  [status.RESOURCE_EXHAUSTED]: ['always', true, false, true, 'pushback'],
  [status.FAILED_PRECONDITION]: ['never', false, true, true],
  [status.ABORTED]: ['idempotent', false, false, true],
  [status.OUT_OF_RANGE]: ['never', false, true, true],
  [status.UNIMPLEMENTED]: ['never', false, true, true],
  [status.INTERNAL]: ['never', true, false, false],
  [status.UNAVAILABLE]: ['always', true, false, true],
  [status.DATA_LOSS]: ['never', true, false, false],
  [status.UNAUTHENTICATED]: ['never', false, true, true],
};

describe('classifyStatus (default table)', () => {
  for (let code = 0; code <= 16; code++) {
    it(`${statusName(code)} (${code})`, () => {
      const [retry, breakerFailure, clientFault, exposable, retryOnlyWith] = expected[code];
      const c = classifyStatus(code);
      expect(c).toEqual({ retry, breakerFailure, clientFault, exposable, ...(retryOnlyWith ? { retryOnlyWith } : {}) });
      expect(Object.isFrozen(c)).toBe(true);
    });
  }

  it.each([17, -1, 99, 1.5, Number.NaN, 2 ** 40])('an unknown code %s is a server fault, never retried or exposed', (code) => {
    expect(classifyStatus(code)).toEqual({ retry: 'never', breakerFailure: true, clientFault: false, exposable: false });
    expect(statusName(code)).toBe(`CODE_${String(code)}`);
  });
});

describe('createStatusTable overrides', () => {
  const table = createStatusTable({
    overrides: { ABORTED: { retry: 'always' }, 13: { breakerFailure: false } },
    methods: {
      'pkg.Svc': { NOT_FOUND: { breakerFailure: true } },
      '/pkg.Svc/Get': { UNAVAILABLE: { retry: 'never' } },
      '/other.Svc/*': { INTERNAL: { retry: 'idempotent' } }, // the per-service opt-in
    },
  });

  it('global overrides apply to every method', () => {
    expect(table.classify(status.ABORTED).retry).toBe('always');
    expect(table.classify(status.INTERNAL, '/x.Y/Z').breakerFailure).toBe(false);
    expect(table.classify(status.UNAVAILABLE, '/x.Y/Z').retry).toBe('always');
  });

  it('service entries apply to the service, method entries on top of them', () => {
    expect(table.classify(status.NOT_FOUND, '/pkg.Svc/List').breakerFailure).toBe(true);
    expect(table.classify(status.UNAVAILABLE, '/pkg.Svc/List').retry).toBe('always');
    const get = table.classify(status.UNAVAILABLE, '/pkg.Svc/Get');
    expect(get.retry).toBe('never');
    expect(table.classify(status.NOT_FOUND, '/pkg.Svc/Get').breakerFailure).toBe(true);
    expect(table.classify(status.INTERNAL, '/other.Svc/Do').retry).toBe('idempotent');
    expect(table.classify(status.INTERNAL, '/pkg.Svc/Get').retry).toBe('never');
    expect(table.classify(status.INTERNAL, '/other.Svc/Do').breakerFailure).toBe(false);
  });

  it('classifyStatus takes the table and method from its context', () => {
    expect(classifyStatus(status.UNAVAILABLE, { table, method: '/pkg.Svc/Get' }).retry).toBe('never');
    expect(classifyStatus(status.UNAVAILABLE, { method: '/pkg.Svc/Get' }).retry).toBe('always');
  });

  it('an explicit undefined condition removes it', () => {
    const t = createStatusTable({ overrides: { RESOURCE_EXHAUSTED: { retryOnlyWith: undefined } } });
    expect(t.classify(status.RESOURCE_EXHAUSTED)).not.toHaveProperty('retryOnlyWith');
  });

  it.each([
    [{ overrides: { BOGUS: { retry: 'never' } } }, /"BOGUS" is not a gRPC status code/],
    [{ overrides: { 17: { retry: 'never' } } }, /"17" is not a gRPC status code/],
    [{ overrides: { UNAVAILABLE: { retry: 'sometimes' } } }, /statusTable\.overrides\["UNAVAILABLE"\]\.retry must be one of 'always', 'idempotent', 'never'; got "sometimes"/],
    [{ overrides: { UNAVAILABLE: { breakerFailure: 'yes' } } }, /statusTable\.overrides\["UNAVAILABLE"\]\.breakerFailure must be true or false; got "yes"/],
    [{ overrides: { UNAVAILABLE: { retries: 3 } } }, /statusTable\.overrides\["UNAVAILABLE"\]: unknown option "retries"; allowed: retry, retryOnlyWith/],
    [{ overrides: { UNAVAILABLE: { retryOnlyWith: 'never' } } }, /retryOnlyWith must be one of 'pushback', 'attempt-timeout'/],
    [{ overrides: [] }, /statusTable\.overrides must be an object keyed by status code/],
    [{ override: {} }, /statusTable: unknown option "override"; allowed: overrides, methods, service/],
    [null, /statusTable must be an object; got null/],
    [{ methods: { 'a/b/c/': {} } }, /neither a method path/],
  ])('rejects bad input with a message that says what to fix (%#)', (options, message) => {
    expect(() => createStatusTable(options as never)).toThrow(message);
  });
});

describe('local failure marker', () => {
  it('is recognised on statuses the stack made, never on a look-alike from the network', async () => {
    const { Metadata } = await import('@grpc/grpc-js');
    const { LOCAL_FAILURE_KEY, localFailureKind, localFailureStatus } = await import('../../src/status');
    const local = localFailureStatus(status.UNAVAILABLE, 'open', 'breaker-open', 100);
    expect(localFailureKind(local.metadata)).toBe('breaker-open');
    expect(local.metadata.get(LOCAL_FAILURE_KEY)).toEqual(['breaker-open']);
    const spoofed = new Metadata();
    spoofed.set(LOCAL_FAILURE_KEY, 'breaker-open');
    expect(localFailureKind(spoofed)).toBeUndefined();
    expect(localFailureKind(local.metadata.clone())).toBeUndefined();
  });
});
