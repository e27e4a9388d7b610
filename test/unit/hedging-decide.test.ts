import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { afterFailedAttempt, nextHedge, type HedgeState } from '../../src/hedging/decide';
import type { RetryContext } from '../../src/retry/decide';
import { PUSHBACK_KEY } from '../../src/retry/pushback';
import { localFailureStatus } from '../../src/status/local-failure';
import { failedAttempt, metadataOf, retryContext } from '../helpers/retry-decisions';

const state = (over: Partial<HedgeState> = {}): HedgeState => ({
  attempts: 1,
  maxAttempts: 3,
  stopped: undefined,
  now: 1_000,
  deadline: Infinity,
  ...over,
});

describe('nextHedge', () => {
  it('a hedge follows after the delay while the count is below maxAttempts', () => {
    expect(nextHedge(state(), 20)).toEqual({ afterMs: 20 });
    expect(nextHedge(state({ attempts: 2 }), 20)).toEqual({ afterMs: 20 });
    expect(nextHedge(state({ attempts: 3 }), 20)).toEqual({ stop: 'max-attempts' });
  });

  it('the count is shared: attempts made by retries leave fewer hedges', () => {
    expect(nextHedge(state({ attempts: 2, maxAttempts: 2 }), 20)).toEqual({ stop: 'max-attempts' });
  });

  it('once stopped (pushback, an open breaker, the budget), no hedge follows', () => {
    expect(nextHedge(state({ stopped: 'pushback' }), 20)).toEqual({ stop: 'pushback' });
    expect(nextHedge(state({ stopped: 'breaker-open' }), 20)).toEqual({ stop: 'breaker-open' });
    expect(nextHedge(state({ stopped: 'budget' }), 20)).toEqual({ stop: 'budget' });
  });

  it('no hedge due at or after the deadline, and none for an infinite delay', () => {
    expect(nextHedge(state({ deadline: 1_021 }), 20)).toEqual({ afterMs: 20 });
    expect(nextHedge(state({ deadline: 1_020 }), 20)).toEqual({ stop: 'deadline' });
    expect(nextHedge(state({ deadline: 900 }), 0)).toEqual({ stop: 'deadline' });
    expect(nextHedge(state(), Infinity)).toEqual({ stop: 'deadline' });
  });
});

const md = (entries: Record<string, string> = {}) => metadataOf({ 'content-type': 'application/grpc', ...entries });
const failed = failedAttempt;
const ctx = (over: Partial<RetryContext> = {}) => retryContext({ idempotent: true, ...over });

describe('afterFailedAttempt', () => {
  it('a fatal status ends the whole call at once, other attempts in flight or not', () => {
    for (const code of [status.INVALID_ARGUMENT, status.NOT_FOUND, status.PERMISSION_DENIED, status.DATA_LOSS, status.CANCELLED]) {
      expect(afterFailedAttempt(failed(code), ctx(), 1), String(code)).toEqual({ action: 'end', reason: 'not-retryable' });
      expect(afterFailedAttempt(failed(code), ctx(), 0), String(code)).toEqual({ action: 'end', reason: 'not-retryable' });
    }
    // RESOURCE_EXHAUSTED without pushback is not retryable either.
    expect(afterFailedAttempt(failed(status.RESOURCE_EXHAUSTED), ctx(), 1)).toEqual({ action: 'end', reason: 'not-retryable' });
  });

  it('a non-fatal failure waits for the attempts still in flight', () => {
    expect(afterFailedAttempt(failed(status.UNAVAILABLE), ctx(), 1)).toEqual({ action: 'wait', stop: undefined });
  });

  it('with nothing in flight, a non-fatal failure is retried by the retry rules (backoff)', () => {
    expect(afterFailedAttempt(failed(status.UNAVAILABLE), ctx(), 0)).toEqual({
      action: 'retry',
      delayMs: 40,
      pushback: false,
      stop: undefined,
    });
  });

  it('one attempt count: the retry ceiling applies to every attempt made, hedges included', () => {
    expect(afterFailedAttempt(failed(status.UNAVAILABLE, { attempts: 3 }), ctx(), 0)).toEqual({ action: 'end', reason: 'max-attempts' });
    expect(afterFailedAttempt(failed(status.UNAVAILABLE, { attempts: 3 }), ctx(), 1)).toEqual({ action: 'wait', stop: undefined });
    // Retries off (a ceiling of 1): a failure with nothing in flight ends the call.
    expect(afterFailedAttempt(failed(status.UNAVAILABLE, { attempts: 2 }), ctx({ maxAttempts: 1 }), 0)).toEqual({
      action: 'end',
      reason: 'max-attempts',
    });
  });

  it('pushback from any attempt stops further hedges', () => {
    const wait = failed(status.UNAVAILABLE, { metadata: md({ [PUSHBACK_KEY]: '300' }) });
    expect(afterFailedAttempt(wait, ctx(), 1)).toEqual({ action: 'wait', stop: 'pushback' });
    expect(afterFailedAttempt(wait, ctx(), 0)).toEqual({ action: 'retry', delayMs: 300, pushback: true, stop: 'pushback' });
    const stop = failed(status.UNAVAILABLE, { metadata: md({ [PUSHBACK_KEY]: '-1' }) });
    expect(afterFailedAttempt(stop, ctx(), 1)).toEqual({ action: 'wait', stop: 'pushback' });
    expect(afterFailedAttempt(stop, ctx(), 0)).toEqual({ action: 'end', reason: 'pushback-stop' });
    // RESOURCE_EXHAUSTED with pushback: retryable, and hedging stops.
    const overloaded = failed(status.RESOURCE_EXHAUSTED, { metadata: md({ [PUSHBACK_KEY]: '100' }) });
    expect(afterFailedAttempt(overloaded, ctx(), 1)).toEqual({ action: 'wait', stop: 'pushback' });
  });

  it('an attempt refused by an open breaker stops further hedges and lets the others run', () => {
    const open = localFailureStatus(status.UNAVAILABLE, 'open', 'breaker-open', 1_000);
    expect(afterFailedAttempt(failed(open.code, { metadata: open.metadata }), ctx(), 1)).toEqual({ action: 'wait', stop: 'breaker-open' });
    expect(afterFailedAttempt(failed(open.code, { metadata: open.metadata }), ctx(), 0)).toEqual({ action: 'end', reason: 'breaker-open' });
  });

  it('a retry wait that would not fit the deadline ends the call once nothing is in flight', () => {
    expect(afterFailedAttempt(failed(status.UNAVAILABLE), ctx({ deadline: 1_030 }), 1)).toEqual({ action: 'wait', stop: undefined });
    expect(afterFailedAttempt(failed(status.UNAVAILABLE), ctx({ deadline: 1_030 }), 0)).toMatchObject({ action: 'end', reason: 'deadline' });
  });
});
