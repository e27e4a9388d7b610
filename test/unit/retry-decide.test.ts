import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { encodeRichStatus, retryInfoDetail, STATUS_DETAILS_KEY } from '../../src/details/codec';
import { decideRetry, type FailedAttempt } from '../../src/retry/decide';
import { PUSHBACK_KEY, readPushback } from '../../src/retry/pushback';
import { localFailureStatus } from '../../src/status/local-failure';
import { seededRandom } from '../../src/testing/random';
import { createStatusTable, defaultStatusTable } from '../../src/status/table';
import { failedAttempt, metadataOf, retryContext } from '../helpers/retry-decisions';

const md = metadataOf;
const retryInfo = (ms: number) => md({ [STATUS_DETAILS_KEY]: encodeRichStatus(status.UNAVAILABLE, 'x', [retryInfoDetail(ms)]) });

describe('readPushback', () => {
  it('reads grpc-retry-pushback-ms: a non-negative integer is an exact wait', () => {
    expect(readPushback(md({ [PUSHBACK_KEY]: '200' }))).toEqual({ kind: 'wait', delayMs: 200 });
    expect(readPushback(md({ [PUSHBACK_KEY]: '0' }))).toEqual({ kind: 'wait', delayMs: 0 });
  });

  it('negative or malformed pushback means stop (gRFC A6)', () => {
    for (const value of ['-1', '-100', 'abc', '1.5', '', '12ms', '0x10']) {
      expect(readPushback(md({ [PUSHBACK_KEY]: value })), value).toEqual({ kind: 'stop' });
    }
  });

  it('falls back to a google.rpc.RetryInfo detail', () => {
    expect(readPushback(retryInfo(1_500))).toEqual({ kind: 'wait', delayMs: 1_500 });
  });

  it('the trailer wins over RetryInfo', () => {
    const m = retryInfo(1_500);
    m.set(PUSHBACK_KEY, '20');
    expect(readPushback(m)).toEqual({ kind: 'wait', delayMs: 20 });
  });

  it('nothing (or undecodable details) means none', () => {
    expect(readPushback(md())).toEqual({ kind: 'none' });
    expect(readPushback(undefined)).toEqual({ kind: 'none' });
    expect(readPushback(md({ [STATUS_DETAILS_KEY]: Buffer.from([0xff, 0xff, 0xff]) }))).toEqual({ kind: 'none' });
  });
});

const attempt = failedAttempt;
const METHOD = '/test.v1.EchoService/Unary';
const ctx = retryContext;

describe('decideRetry', () => {
  it('UNAVAILABLE sent by the server is retried even for non-idempotent methods', () => {
    expect(decideRetry(attempt(status.UNAVAILABLE), ctx())).toEqual({ retry: true, delayMs: 40, pushback: false });
  });

  it('UNAVAILABLE from a connection lost after sending is retried only for idempotent methods', () => {
    const dropped = attempt(status.UNAVAILABLE, { metadata: md(), sent: true });
    expect(decideRetry(dropped, ctx())).toEqual({ retry: false, reason: 'not-idempotent' });
    expect(decideRetry(dropped, ctx({ idempotent: true }))).toMatchObject({ retry: true });
    // Never reached a connection: nothing can have been processed.
    expect(decideRetry(attempt(status.UNAVAILABLE, { metadata: md(), sent: false }), ctx())).toMatchObject({ retry: true });
    // The server asked for a retry.
    expect(decideRetry(attempt(status.UNAVAILABLE, { metadata: md({ [PUSHBACK_KEY]: '5' }), sent: true }), ctx())).toMatchObject({
      retry: true,
      delayMs: 5,
    });
  });

  it('ABORTED only for idempotent methods', () => {
    expect(decideRetry(attempt(status.ABORTED), ctx())).toEqual({ retry: false, reason: 'not-idempotent' });
    expect(decideRetry(attempt(status.ABORTED), ctx({ idempotent: true }))).toMatchObject({ retry: true });
  });

  it('INTERNAL and UNKNOWN (a bug) never by default, even for idempotent methods; a method can opt in', () => {
    const optIn = createStatusTable({ methods: { [METHOD]: { INTERNAL: { retry: 'idempotent' }, UNKNOWN: { retry: 'idempotent' } } } });
    for (const code of [status.INTERNAL, status.UNKNOWN]) {
      expect(decideRetry(attempt(code), ctx({ idempotent: true }))).toEqual({ retry: false, reason: 'not-retryable' });
      expect(decideRetry(attempt(code), ctx({ idempotent: true, table: optIn }))).toMatchObject({ retry: true });
      expect(decideRetry(attempt(code), ctx({ table: optIn }))).toEqual({ retry: false, reason: 'not-idempotent' });
    }
  });

  it('client faults, CANCELLED and DATA_LOSS are never retried', () => {
    for (const code of [
      status.INVALID_ARGUMENT,
      status.NOT_FOUND,
      status.ALREADY_EXISTS,
      status.PERMISSION_DENIED,
      status.FAILED_PRECONDITION,
      status.OUT_OF_RANGE,
      status.UNIMPLEMENTED,
      status.UNAUTHENTICATED,
      status.CANCELLED,
      status.DATA_LOSS,
      99,
    ]) {
      expect(decideRetry(attempt(code), ctx({ idempotent: true })), String(code)).toEqual({ retry: false, reason: 'not-retryable' });
    }
  });

  it('RESOURCE_EXHAUSTED only with pushback, and then after exactly the pushback', () => {
    expect(decideRetry(attempt(status.RESOURCE_EXHAUSTED), ctx())).toEqual({ retry: false, reason: 'not-retryable' });
    const withPushback = attempt(status.RESOURCE_EXHAUSTED, { metadata: md({ [PUSHBACK_KEY]: '250' }) });
    expect(decideRetry(withPushback, ctx())).toEqual({ retry: true, delayMs: 250, pushback: true });
    const withRetryInfo = attempt(status.RESOURCE_EXHAUSTED, { metadata: retryInfo(300) });
    expect(decideRetry(withRetryInfo, ctx())).toEqual({ retry: true, delayMs: 300, pushback: true });
  });

  it('a negative pushback stops; a pushback longer than maxPushbackMs stops too', () => {
    expect(decideRetry(attempt(status.UNAVAILABLE, { metadata: md({ [PUSHBACK_KEY]: '-1' }) }), ctx())).toEqual({
      retry: false,
      reason: 'pushback-stop',
    });
    expect(decideRetry(attempt(status.UNAVAILABLE, { metadata: md({ [PUSHBACK_KEY]: '60000' }) }), ctx())).toEqual({
      retry: false,
      reason: 'pushback-stop',
    });
  });

  it('DEADLINE_EXCEEDED only after a per-attempt timeout, for idempotent methods', () => {
    expect(decideRetry(attempt(status.DEADLINE_EXCEEDED), ctx({ idempotent: true }))).toEqual({ retry: false, reason: 'deadline' });
    expect(decideRetry(attempt(status.DEADLINE_EXCEEDED, { attemptTimedOut: true }), ctx({ idempotent: true }))).toMatchObject({
      retry: true,
    });
    expect(decideRetry(attempt(status.DEADLINE_EXCEEDED, { attemptTimedOut: true }), ctx())).toEqual({
      retry: false,
      reason: 'not-idempotent',
    });
  });

  it('maxAttempts counts the first attempt', () => {
    expect(decideRetry(attempt(status.UNAVAILABLE, { attempts: 2 }), ctx())).toMatchObject({ retry: true });
    expect(decideRetry(attempt(status.UNAVAILABLE, { attempts: 3 }), ctx())).toEqual({ retry: false, reason: 'max-attempts' });
    expect(decideRetry(attempt(status.UNAVAILABLE), ctx({ maxAttempts: 1 }))).toEqual({ retry: false, reason: 'max-attempts' });
  });

  it('a committed call is never retried', () => {
    expect(decideRetry(attempt(status.UNAVAILABLE, { committed: true }), ctx())).toEqual({ retry: false, reason: 'committed' });
  });

  it('local failures: an open breaker is not retried now; a local deadline failure never', () => {
    const open = localFailureStatus(status.UNAVAILABLE, 'breaker open', 'breaker-open', 5_000);
    expect(decideRetry(attempt(open.code, { metadata: open.metadata }), ctx())).toEqual({ retry: false, reason: 'breaker-open' });
    const late = localFailureStatus(status.DEADLINE_EXCEEDED, 'no time', 'deadline');
    expect(decideRetry(attempt(late.code, { metadata: late.metadata, attemptTimedOut: true }), ctx({ idempotent: true }))).toEqual({
      retry: false,
      reason: 'deadline',
    });
  });

  it('never starts a wait that ends at or after the deadline', () => {
    expect(decideRetry(attempt(status.UNAVAILABLE), ctx({ deadline: 1_041 }))).toMatchObject({ retry: true, delayMs: 40 });
    expect(decideRetry(attempt(status.UNAVAILABLE), ctx({ deadline: 1_040 }))).toEqual({ retry: false, reason: 'deadline' });
    // Pushback is clamped the same way: longer than the time left → no wait.
    const pushback = attempt(status.UNAVAILABLE, { metadata: md({ [PUSHBACK_KEY]: '1000' }) });
    expect(decideRetry(pushback, ctx({ deadline: 1_100 }))).toMatchObject({ retry: false, reason: 'deadline' });
  });

  it('does not compute a backoff (nor parse trailers twice) when the decision is no', () => {
    let calls = 0;
    const backoffMs = () => (calls++, 10);
    decideRetry(attempt(status.NOT_FOUND), ctx({ backoffMs }));
    decideRetry(attempt(status.UNAVAILABLE, { attempts: 3 }), ctx({ backoffMs }));
    decideRetry(attempt(status.UNAVAILABLE, { metadata: md({ [PUSHBACK_KEY]: '5' }) }), ctx({ backoffMs }));
    expect(calls).toBe(0);
  });

  it('follows per-method overrides of the status table', () => {
    const table = createStatusTable({ methods: { '/test.v1.EchoService/Unary': { NOT_FOUND: { retry: 'always' } } } });
    expect(decideRetry(attempt(status.NOT_FOUND), ctx({ table }))).toMatchObject({ retry: true });
    expect(decideRetry(attempt(status.NOT_FOUND), ctx({ table, method: '/test.v1.EchoService/Write' }))).toMatchObject({
      retry: false,
    });
  });
});

describe('decideRetry: "do not retry" from a tier below (retry at one tier)', () => {
  it('stops the retry, whatever hint comes with it', () => {
    const metadata = retryInfo(10);
    metadata.set(PUSHBACK_KEY, '-1');
    metadata.set('content-type', 'application/grpc');
    const decision = decideRetry(attempt(status.UNAVAILABLE, { metadata }), ctx({ idempotent: true }));
    expect(decision).toEqual({ retry: false, reason: 'pushback-stop' });
  });

  it('a server can never use it to make a client retry more: for every code and call, it only turns retries off', () => {
    const random = seededRandom(17);
    const stops = ['-1', '-0', '-', ' -1', '-999999999999999', '-1.5', 'abc'];
    const tables = [
      defaultStatusTable,
      createStatusTable({ overrides: { INTERNAL: { retry: 'always' }, NOT_FOUND: { retry: 'always' } } }),
    ];
    let turnedOff = 0;
    for (let code = 0; code <= 17; code++) {
      for (let n = 0; n < 40; n++) {
        const plain = random() < 0.3 ? retryInfo(Math.floor(random() * 100)) : md();
        if (random() < 0.5) plain.set('content-type', 'application/grpc');
        const signalled = plain.clone();
        signalled.set(PUSHBACK_KEY, stops[n % stops.length]);
        const over: Partial<FailedAttempt> = {
          attempts: 1 + Math.floor(random() * 3),
          committed: random() < 0.1,
          sent: random() < 0.8,
          attemptTimedOut: random() < 0.3,
        };
        const context = ctx({ idempotent: random() < 0.5, table: tables[n % 2], deadline: random() < 0.2 ? 1_030 : Infinity });
        expect(decideRetry(attempt(code, { ...over, metadata: signalled }), context).retry, `code ${code}, case ${n}`).toBe(false);
        if (decideRetry(attempt(code, { ...over, metadata: plain }), context).retry) turnedOff++;
      }
    }
    expect(turnedOff).toBeGreaterThan(30); // the cases cover calls that would have been retried
  });
});
