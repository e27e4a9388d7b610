import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ServerCallState } from '../../src/context';
import { STATUS_DETAILS_KEY, encodeRichStatus, retryInfoDetail } from '../../src/details';
import { PublicError, decodeErrorDetails } from '../../src/errors';
import { resolveErrorTranslationOptions } from '../../src/errors/options';
import { translateFailure, type TranslationScope } from '../../src/errors/translate';
import { DO_NOT_RETRY, isRetryableByCaller } from '../../src/retry/one-tier';
import { PUSHBACK_KEY } from '../../src/retry/pushback';
import { createStatusTable, defaultStatusTable, localFailureStatus } from '../../src/status';

const NOW = 1_700_000_000_000;
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const METHOD = '/shop.v1.Orders/Place';

function scope(retriedOutgoing: boolean, options: object = {}): TranslationScope {
  return {
    method: METHOD,
    traceId: TRACE,
    incoming: { deadline: NOW + 5_000, cancelled: false, now: NOW },
    retriedOutgoing,
    config: resolveErrorTranslationOptions({ logger: false, ...options }),
  };
}

/** A status received from an outgoing call, as a handler sees it. */
function downstream(code: number, trailers: (md: grpc.Metadata) => void = () => {}): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  trailers(metadata);
  return Object.assign(new Error(`${code}: dependency failed`), { code, details: 'dependency failed', metadata });
}

const withRetryInfo = (ms: number) => (md: grpc.Metadata) =>
  md.set(STATUS_DETAILS_KEY, encodeRichStatus(grpc.status.UNAVAILABLE, 'busy', [retryInfoDetail(ms)]));

function thrown(error: unknown, s: TranslationScope) {
  return translateFailure({ record: { error, origin: 'thrown' }, status: { code: grpc.status.INTERNAL } }, s).status;
}

const pushbackOf = (status: { metadata: grpc.Metadata }) => status.metadata.get(PUSHBACK_KEY);

describe('retry at one tier: what a server tells its caller', () => {
  it('an outgoing failure already retried here: UNAVAILABLE with "do not retry" and the dependency’s RetryInfo', () => {
    const sent = thrown(downstream(grpc.status.UNAVAILABLE, withRetryInfo(250)), scope(true));
    expect(sent.code).toBe(grpc.status.UNAVAILABLE);
    expect(pushbackOf(sent)).toEqual([DO_NOT_RETRY]);
    // The hint stays for whoever decides later (the application at the top of the chain).
    expect(decodeErrorDetails(sent).retryInfo).toEqual({ retryDelay: { seconds: 0, nanos: 250_000_000 } });
  });

  it('not retried here (no retry interceptor, nothing refused): the dependency’s delay is a plain pushback', () => {
    const sent = thrown(downstream(grpc.status.UNAVAILABLE, withRetryInfo(250)), scope(false));
    expect(pushbackOf(sent)).toEqual(['250']);
    expect(pushbackOf(thrown(downstream(grpc.status.UNAVAILABLE), scope(false)))).toEqual([]);
  });

  it('a dependency that said "do not retry" is passed on, even by a tier without retries (any number of tiers)', () => {
    let failure: unknown = downstream(grpc.status.UNAVAILABLE, (md) => {
      withRetryInfo(80)(md);
      md.set(PUSHBACK_KEY, DO_NOT_RETRY);
    });
    for (let tier = 0; tier < 5; tier++) {
      const sent = thrown(failure, scope(false));
      expect(sent.code).toBe(grpc.status.UNAVAILABLE);
      expect(pushbackOf(sent)).toEqual([DO_NOT_RETRY]);
      expect(decodeErrorDetails(sent).retryInfo).toEqual({ retryDelay: { seconds: 0, nanos: 80_000_000 } });
      failure = Object.assign(new Error('next tier'), { code: sent.code, details: sent.details, metadata: sent.metadata });
    }
  });

  it('our breaker refused the outgoing call: "do not retry", with the time until the probe', () => {
    const open = localFailureStatus(grpc.status.UNAVAILABLE, 'breaker open', 'breaker-open', 4_000);
    const sent = thrown(Object.assign(new Error('refused'), open), scope(false));
    expect(sent.code).toBe(grpc.status.UNAVAILABLE);
    expect(pushbackOf(sent)).toEqual([DO_NOT_RETRY]);
    expect(decodeErrorDetails(sent).retryInfo).toEqual({ retryDelay: { seconds: 4, nanos: 0 } });
  });

  it('applies to whatever server fault the handler ends with, never to client faults or cancellations', () => {
    expect(pushbackOf(thrown(new Error('a bug after the dependency failed'), scope(true)))).toEqual([DO_NOT_RETRY]);
    const unavailable = new PublicError(grpc.status.UNAVAILABLE, 'try later');
    expect(pushbackOf(thrown(unavailable, scope(true)))).toEqual([DO_NOT_RETRY]);
    expect(pushbackOf(thrown(unavailable, scope(false)))).toEqual([]);
    for (const code of [grpc.status.NOT_FOUND, grpc.status.INVALID_ARGUMENT, grpc.status.PERMISSION_DENIED]) {
      expect(pushbackOf(thrown(new PublicError(code, 'no'), scope(true)))).toEqual([]);
    }
    const cancelled = translateFailure(
      {
        record: { error: downstream(grpc.status.CANCELLED, (md) => md.set(PUSHBACK_KEY, DO_NOT_RETRY)), origin: 'thrown' },
        status: { code: 2 },
      },
      { ...scope(true), incoming: { deadline: NOW + 5_000, cancelled: true, now: NOW } },
    ).status;
    expect(cancelled.code).toBe(grpc.status.CANCELLED);
    expect(pushbackOf(cancelled)).toEqual([]);
  });

  it('client faults follow the server’s status table', () => {
    const table = createStatusTable({ overrides: { NOT_FOUND: { clientFault: false } } });
    expect(isRetryableByCaller(grpc.status.NOT_FOUND, defaultStatusTable)).toBe(false);
    expect(isRetryableByCaller(grpc.status.NOT_FOUND, table)).toBe(true);
    expect(pushbackOf(thrown(new PublicError(grpc.status.NOT_FOUND, 'no'), scope(true, { statusTable: table })))).toEqual([DO_NOT_RETRY]);
    for (const code of [grpc.status.OK, grpc.status.CANCELLED]) expect(isRetryableByCaller(code, defaultStatusTable)).toBe(false);
    for (const code of [grpc.status.UNAVAILABLE, grpc.status.INTERNAL, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, 99]) {
      expect(isRetryableByCaller(code, defaultStatusTable)).toBe(true);
    }
  });

  it('the call context records it per call; a fresh call starts clean', () => {
    const first = new ServerCallState(TRACE, 0, METHOD, Infinity);
    expect(first.retriedOutgoingFailure).toBe(false);
    first.noteRetriedOutgoingFailure();
    expect(first.retriedOutgoingFailure).toBe(true);
    expect(new ServerCallState(TRACE, 0, METHOD, Infinity).retriedOutgoingFailure).toBe(false);
  });
});
