import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { STATUS_DETAILS_KEY, encodeRichStatus, retryInfoDetail } from '../../src/details';
import { PublicError, decodeErrorDetails, describeServiceError } from '../../src/errors';
import { resolveErrorTranslationOptions } from '../../src/errors/options';
import { findDownstreamStatus } from '../../src/errors/downstream';
import { standaloneStatus } from '../../src/errors/standalone-status';
import { translateFailure, type TranslationScope } from '../../src/errors/translate';
import { localFailureStatus } from '../../src/status';

const NOW = 1_700_000_000_000;
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const METHOD = '/shop.v1.Orders/Place';

function scope(options: object = {}, incoming: Partial<TranslationScope['incoming']> = {}): TranslationScope {
  return {
    method: METHOD,
    traceId: TRACE,
    incoming: { deadline: Infinity, cancelled: false, now: NOW, ...incoming },
    config: resolveErrorTranslationOptions({ logger: false, ...options }),
  };
}

/** A status received from an outgoing call, carrying secrets in every field. */
function downstreamError(code: number, extra?: (md: grpc.Metadata) => void): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set('x-backend-host', 'payments-7.internal:8443');
  extra?.(metadata);
  return Object.assign(new Error(`${code} ${grpc.status[code]}: payments db at 10.1.2.3 failed`), {
    code,
    details: 'payments db at 10.1.2.3 failed',
    metadata,
  });
}

function thrown(error: unknown, s = scope()) {
  return translateFailure({ record: { error, origin: 'thrown' }, status: { code: grpc.status.INTERNAL } }, s);
}

function expectNoSecrets(status: { details: string; metadata: grpc.Metadata }): void {
  const visible = status.details + JSON.stringify(decodeErrorDetails(status)) + JSON.stringify(status.metadata.getMap());
  expect(visible).not.toMatch(/10\.1\.2\.3|payments|internal:8443/);
}

describe('downstream propagation table (defaults)', () => {
  const expected: Record<number, number> = {
    [grpc.status.UNAVAILABLE]: grpc.status.UNAVAILABLE,
    [grpc.status.RESOURCE_EXHAUSTED]: grpc.status.UNAVAILABLE,
    [grpc.status.DEADLINE_EXCEEDED]: grpc.status.UNAVAILABLE, // the incoming call has time left
    [grpc.status.CANCELLED]: grpc.status.INTERNAL, // our own call was not cancelled
  };
  for (let code = 1; code <= 16; code++) {
    const want = expected[code] ?? grpc.status.INTERNAL;
    it(`${grpc.status[code]} → ${grpc.status[want]}, nothing of the dependency exposed`, () => {
      const t = thrown(downstreamError(code));
      expect(t.kind).toBe('downstream');
      expect(t.fromCode).toBe(code);
      expect(t.status.code).toBe(want);
      const text = want === grpc.status.UNAVAILABLE ? 'A dependency is unavailable' : 'Internal error';
      expect(t.status.details).toBe(`${text} (trace id ${TRACE})`);
      const decoded = decodeErrorDetails(t.status);
      expect(decoded.errorInfo).toEqual({ reason: grpc.status[want], domain: 'shop.v1.Orders', metadata: {} });
      expect(decoded.requestInfo?.requestId).toBe(TRACE);
      expectNoSecrets(t.status);
    });
  }

  it('an unknown downstream code (99) → INTERNAL', () => {
    expect(thrown(downstreamError(99)).status.code).toBe(grpc.status.INTERNAL);
  });

  it('DEADLINE_EXCEEDED stays DEADLINE_EXCEEDED when the incoming deadline is within the margin or past', () => {
    const err = downstreamError(grpc.status.DEADLINE_EXCEEDED);
    expect(thrown(err, scope({}, { deadline: NOW + 50 })).status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(thrown(err, scope({}, { deadline: NOW - 5 })).status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(thrown(err, scope({}, { deadline: NOW + 51 })).status.code).toBe(grpc.status.UNAVAILABLE);
    expect(thrown(err, scope({ downstream: { deadlineMarginMs: 200 } }, { deadline: NOW + 150 })).status.code).toBe(
      grpc.status.DEADLINE_EXCEEDED,
    );
    expect(thrown(err, scope({}, { deadline: NOW + 10 })).status.details).toBe(`Deadline exceeded (trace id ${TRACE})`);
  });

  it('CANCELLED stays CANCELLED when our own incoming call was cancelled', () => {
    const t = thrown(downstreamError(grpc.status.CANCELLED), scope({}, { cancelled: true }));
    expect(t.status.code).toBe(grpc.status.CANCELLED);
  });

  describe('a handler that stopped on an abort once its own call was over', () => {
    // What awaiting `currentCallContext().signal` rejects with: Node's AbortError, its cause the signal's reason.
    const abortAtDeadline = () => {
      const reason = Object.assign(new Error('the call deadline passed'), { name: 'DeadlineExceededError' });
      return Object.assign(new Error('The operation was aborted', { cause: reason }), { name: 'AbortError' });
    };

    it('deadline within the margin or past → DEADLINE_EXCEEDED (kind call-ended), never INTERNAL', () => {
      const t = thrown(abortAtDeadline(), scope({}, { deadline: NOW - 1 }));
      expect(t.status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(t.kind).toBe('call-ended');
      expect(t.status.details).toBe(`Deadline exceeded (trace id ${TRACE})`);
      expect(thrown(abortAtDeadline(), scope({}, { deadline: NOW + 50 })).status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      // The signal's own reason, rethrown as it is (fetch does that), and an abort further down a cause chain.
      const reason = Object.assign(new Error('the call deadline passed'), { name: 'DeadlineExceededError' });
      expect(thrown(reason, scope({}, { deadline: NOW })).status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(thrown(new Error('query failed', { cause: abortAtDeadline() }), scope({}, { deadline: NOW })).status.code).toBe(
        grpc.status.DEADLINE_EXCEEDED,
      );
    });

    it('client cancelled → CANCELLED', () => {
      const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      const t = thrown(abort, scope({}, { cancelled: true }));
      expect(t.status.code).toBe(grpc.status.CANCELLED);
      expect(t.kind).toBe('call-ended');
    });

    it('an abort while the call is live, or another error after it ended, stays INTERNAL', () => {
      const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      expect(thrown(abort, scope({}, { deadline: NOW + 51 })).status.code).toBe(grpc.status.INTERNAL);
      expect(thrown(new Error('boom'), scope({}, { deadline: NOW - 1 })).status.code).toBe(grpc.status.INTERNAL);
      expect(thrown(new Error('boom'), scope({}, { cancelled: true })).status.code).toBe(grpc.status.INTERNAL);
    });
  });

  it('UNAVAILABLE / RESOURCE_EXHAUSTED carry the dependency’s RetryInfo or pushback delay', () => {
    const withRetryInfo = downstreamError(grpc.status.RESOURCE_EXHAUSTED, (md) =>
      md.set(STATUS_DETAILS_KEY, encodeRichStatus(8, 'quota', [retryInfoDetail(2000)])),
    );
    const t1 = thrown(withRetryInfo);
    expect(t1.status.code).toBe(grpc.status.UNAVAILABLE);
    expect(decodeErrorDetails(t1.status).retryInfo).toEqual({ retryDelay: { seconds: 2, nanos: 0 } });
    expect(t1.status.metadata.get('grpc-retry-pushback-ms')).toEqual(['2000']);

    const t2 = thrown(downstreamError(grpc.status.UNAVAILABLE, (md) => md.set('grpc-retry-pushback-ms', '300')));
    expect(decodeErrorDetails(t2.status).retryInfo).toEqual({ retryDelay: { seconds: 0, nanos: 300_000_000 } });

    // "Do not retry" pushback and no delay at all: no RetryInfo.
    expect(decodeErrorDetails(thrown(downstreamError(14, (md) => md.set('grpc-retry-pushback-ms', '-1'))).status).retryInfo).toBeUndefined();
    expect(decodeErrorDetails(thrown(downstreamError(14)).status).retryInfo).toBeUndefined();
    // A delay never travels with codes that are not UNAVAILABLE.
    const internal = downstreamError(grpc.status.INTERNAL, (md) => md.set('grpc-retry-pushback-ms', '300'));
    expect(decodeErrorDetails(thrown(internal).status).retryInfo).toBeUndefined();
  });

  it('our breaker open (local failure) → UNAVAILABLE with RetryInfo = time until the probe', () => {
    const local = localFailureStatus(grpc.status.UNAVAILABLE, 'circuit breaker open for payments', 'breaker-open', 1234);
    const err = Object.assign(new Error(local.details), local);
    const t = thrown(err);
    expect(t.status.code).toBe(grpc.status.UNAVAILABLE);
    expect(decodeErrorDetails(t.status).retryInfo).toEqual({ retryDelay: { seconds: 1, nanos: 234_000_000 } });
    expect(t.status.details).not.toContain('breaker');
  });

  it('our local deadline fail-fast → DEADLINE_EXCEEDED when the incoming deadline is spent, else UNAVAILABLE', () => {
    const local = localFailureStatus(grpc.status.DEADLINE_EXCEEDED, 'no time left to call payments', 'deadline');
    const err = Object.assign(new Error(local.details), local);
    expect(thrown(err, scope({}, { deadline: NOW + 3 })).status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(thrown(err, scope({}, { deadline: NOW + 5000 })).status.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('finds the downstream status in the cause chain (bounded, cycle-safe)', () => {
    const inner = downstreamError(grpc.status.UNAVAILABLE);
    const wrapped = new Error('loading the cart failed', { cause: new Error('payments call failed', { cause: inner }) });
    expect(findDownstreamStatus(wrapped)).toBe(inner);
    expect(thrown(wrapped).status.code).toBe(grpc.status.UNAVAILABLE);
    const a: { cause?: unknown } = {};
    const b = { cause: a };
    a.cause = b;
    expect(findDownstreamStatus(a)).toBeUndefined();
    let deep: unknown = inner;
    for (let i = 0; i < 40; i++) deep = { cause: deep };
    expect(findDownstreamStatus(deep)).toBeUndefined();
  });

  it('overrides: a code passed through on purpose, a rule replaced', () => {
    const s = scope({ downstream: { codes: { NOT_FOUND: 'NOT_FOUND', [grpc.status.DEADLINE_EXCEEDED]: grpc.status.UNAVAILABLE } } }, { deadline: NOW });
    const nf = thrown(downstreamError(grpc.status.NOT_FOUND), s);
    expect(nf.status.code).toBe(grpc.status.NOT_FOUND);
    expect(nf.status.details).toBe(`Not found (trace id ${TRACE})`);
    expectNoSecrets(nf.status);
    expect(thrown(downstreamError(grpc.status.DEADLINE_EXCEEDED), s).status.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('a PublicError or a mapping wins over a downstream status in its cause', () => {
    const inner = downstreamError(grpc.status.NOT_FOUND);
    const pub = new PublicError('NOT_FOUND', 'order not found', undefined, { cause: inner });
    expect(thrown(pub).status.details).toBe('order not found');
    const mapped = thrown(inner, scope({ mapError: () => new PublicError('FAILED_PRECONDITION', 'pay first') }));
    expect(mapped).toMatchObject({ kind: 'mapped', status: { code: grpc.status.FAILED_PRECONDITION, details: 'pay first' } });
  });
});

describe('translation edge cases', () => {
  it('a mapper that throws or returns a non-PublicError leaves the error unmapped', () => {
    expect(thrown(new Error('x'), scope({ mapError: () => ({ code: 5 }) as never })).kind).toBe('internal');
    expect(thrown(new Error('x'), scope({ mapError: () => { throw new Error('mapper bug'); } })).kind).toBe('internal');
  });

  it('a domain option sets ErrorInfo.domain everywhere, and a PublicError’s own domain is kept', () => {
    const s = scope({ domain: 'orders.example.com' });
    expect(decodeErrorDetails(thrown(new Error('x'), s).status).errorInfo?.domain).toBe('orders.example.com');
    const own = new PublicError(5, 'nf', { reason: 'ORDER_NOT_FOUND', domain: 'billing.example.com' });
    expect(decodeErrorDetails(thrown(own, s).status).errorInfo?.domain).toBe('billing.example.com');
  });

  it('status table overrides decide which grpc-js-style codes are kept', () => {
    const s = scope({ statusTable: { overrides: { NOT_FOUND: { exposable: false }, DATA_LOSS: { exposable: true } } } });
    const viaCallback = (code: number) =>
      translateFailure({ record: undefined, status: { code, details: 'app text', metadata: new grpc.Metadata() } }, s).status.code;
    expect(viaCallback(grpc.status.NOT_FOUND)).toBe(grpc.status.INTERNAL);
    expect(viaCallback(grpc.status.DATA_LOSS)).toBe(grpc.status.DATA_LOSS);
  });

  it('the fallback wrapService sends never throws, even for hostile errors', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        has() {
          throw new Error('trap');
        },
      },
    );
    const call = { cancelled: false, getPath: () => METHOD, getDeadline: () => Infinity };
    const status = standaloneStatus(call, { error: hostile, origin: 'thrown' });
    expect(status.code).toBe(grpc.status.INTERNAL);
    expect(status.details).toMatch(/^Internal error/);
  });
});

describe('describeServiceError', () => {
  function failed(code: number, extra?: (md: grpc.Metadata) => void): grpc.ServiceError {
    const metadata = new grpc.Metadata();
    extra?.(metadata);
    return Object.assign(new Error(`${code}`), { code, details: `message ${code}`, metadata });
  }

  it('describes code, message, trace id, service and method, reason and details', () => {
    const err = failed(grpc.status.NOT_FOUND, (md) => {
      md.set('x-trace-id', TRACE);
      md.set(
        STATUS_DETAILS_KEY,
        encodeRichStatus(5, 'm', [{ type: 'ErrorInfo', value: { reason: 'ORDER_NOT_FOUND', domain: 'orders.example.com', metadata: {} } }]),
      );
    });
    expect(describeServiceError(err, { method: METHOD })).toEqual({
      code: 5,
      codeName: 'NOT_FOUND',
      message: 'message 5',
      retryable: false,
      traceId: TRACE,
      service: 'shop.v1.Orders',
      method: 'Place',
      reason: 'ORDER_NOT_FOUND',
      domain: 'orders.example.com',
      details: [{ type: 'ErrorInfo', value: { reason: 'ORDER_NOT_FOUND', domain: 'orders.example.com', metadata: {} } }],
    });
  });

  it('retryable follows the status table and the server’s delay', () => {
    expect(describeServiceError(failed(14)).retryable).toBe(true);
    expect(describeServiceError(failed(8)).retryable).toBe(false);
    const withDelay = describeServiceError(failed(8, (md) => md.set(STATUS_DETAILS_KEY, encodeRichStatus(8, 'q', [retryInfoDetail(1500)]))));
    expect(withDelay).toMatchObject({ retryable: true, retryDelayMs: 1500 });
    expect(describeServiceError(failed(8, (md) => md.set('grpc-retry-pushback-ms', '250')))).toMatchObject({ retryable: true, retryDelayMs: 250 });
    expect(describeServiceError(failed(14, (md) => md.set('grpc-retry-pushback-ms', '-1'))).retryable).toBe(false);
    // Retried below already: not retryable, and the RetryInfo still says when the service expects to be back.
    const retriedBelow = failed(14, (md) => {
      md.set(STATUS_DETAILS_KEY, encodeRichStatus(14, 'busy', [retryInfoDetail(300)]));
      md.set('grpc-retry-pushback-ms', '-1');
    });
    expect(describeServiceError(retriedBelow)).toMatchObject({ retryable: false, retryDelayMs: 300 });
    expect(describeServiceError(failed(13)).retryable).toBe(false);
    expect(describeServiceError(failed(13), { idempotent: true }).retryable).toBe(false); // a bug is not transient
    const optIn = { idempotent: true, statusTable: { overrides: { INTERNAL: { retry: 'idempotent' as const } } } };
    expect(describeServiceError(failed(13), optIn).retryable).toBe(true);
    expect(describeServiceError(failed(4), { idempotent: true }).retryable).toBe(false);
    expect(describeServiceError(failed(5), { idempotent: true }).retryable).toBe(false);
    expect(describeServiceError(failed(5), { statusTable: { overrides: { NOT_FOUND: { retry: 'always' } } } }).retryable).toBe(true);
  });

  it('takes the trace id from RequestInfo when the trailer is missing', () => {
    const err = failed(13, (md) =>
      md.set(STATUS_DETAILS_KEY, encodeRichStatus(13, 'm', [{ type: 'RequestInfo', value: { requestId: TRACE, servingData: '' } }])),
    );
    expect(describeServiceError(err).traceId).toBe(TRACE);
  });

  it('returns undefined for values that are not gRPC status errors', () => {
    for (const value of [undefined, null, 'x', new Error('plain'), { code: 'ECONNRESET' }]) {
      expect(describeServiceError(value)).toBeUndefined();
    }
  });

  it('describes a rogue status (unparsable or out-of-range code) without throwing', () => {
    expect(describeServiceError(failed(NaN))).toMatchObject({ code: 2, codeName: 'UNKNOWN', retryable: false });
    expect(describeServiceError({ code: undefined, details: 'x', metadata: new grpc.Metadata() })?.codeName).toBe('UNKNOWN');
    expect(describeServiceError(failed(1000))).toMatchObject({ code: 1000, codeName: 'CODE_1000', retryable: false });
    expect(describeServiceError(failed(-1))).toMatchObject({ code: -1, retryable: false });
  });
});
