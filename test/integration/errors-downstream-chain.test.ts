import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { breakerClientInterceptor, type BreakerInterceptor } from '../../src/breaker';
import { callContextServerInterceptor } from '../../src/context/server-interceptor';
import { deadlineClientInterceptor } from '../../src/deadline';
import { STATUS_DETAILS_KEY, encodeRichStatus, retryInfoDetail } from '../../src/details';
import { decodeErrorDetails, errorTranslationServerInterceptor, wrapService, type ErrorLogEntry } from '../../src/errors';
import { retryClientInterceptor } from '../../src/retry';
import type { ErrorTranslatedEvent, ResilienceEvent } from '../../src/telemetry';
import { echoClient, sleep, startEchoServer, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { leakedMarkers, visibleText } from '../helpers/leak-check';
import { unaryCall } from '../helpers/stream-calls';

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;

const C_MESSAGE = 'C-SECRET-MESSAGE-7f3a';
const C_TRAILER = 'C-SECRET-TRAILER-91bd';
const C_DETAIL = 'C-SECRET-DETAIL-c0de';
const C_RETRY_MS = 40;

/** C: a service without error translation (legacy, or a third party) that fails with whatever code it is asked for. */
function cImpl(): grpc.UntypedServiceImplementation {
  return {
    unary: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
      const code = Number(call.request.count);
      if (call.request.text === 'slow') {
        const timer = setTimeout(() => callback(null, { text: 'too late' }), 2000);
        call.on('cancelled', () => clearTimeout(timer));
        return;
      }
      const metadata = new grpc.Metadata();
      metadata.set('x-c-secret', C_TRAILER);
      const details = [
        { type: 'ErrorInfo' as const, value: { reason: 'C_INTERNAL_REASON', domain: 'c.internal', metadata: { secret: C_DETAIL } } },
        ...(code === grpc.status.UNAVAILABLE || code === grpc.status.RESOURCE_EXHAUSTED ? [retryInfoDetail(C_RETRY_MS)] : []),
      ];
      metadata.set(STATUS_DETAILS_KEY, encodeRichStatus(code, C_MESSAGE, details));
      callback({ code, details: `${C_MESSAGE} from ${call.getPeer()}`, metadata });
    },
  };
}

/** What A sees for each code C fails with (the propagation table). */
function expectedAtA(code: number): number {
  if (code === grpc.status.UNAVAILABLE || code === grpc.status.RESOURCE_EXHAUSTED) return grpc.status.UNAVAILABLE;
  // C picked DEADLINE_EXCEEDED while A's deadline is far away: a transient failure for A.
  if (code === grpc.status.DEADLINE_EXCEEDED) return grpc.status.UNAVAILABLE;
  return grpc.status.INTERNAL;
}

describe('A → B → C: what A sees when C fails', () => {
  let c: TestServer;
  let b: TestServer;
  let bToC: EchoClient;
  let bToCWithBreaker: EchoClient;
  let breaker: BreakerInterceptor;
  let a: EchoClient;
  let aNoRetry: EchoClient;
  let markers: string[];
  const attempts = new Map<string, number>();
  const bEvents: ErrorTranslatedEvent[] = [];
  const bLogs: ErrorLogEntry[] = [];
  const aEvents: ResilienceEvent[] = [];

  /** B's call to C; resolves with C's answer, rejects with the ServiceError. */
  const callC = (client: EchoClient, request: EchoMessage, options: grpc.CallOptions = {}) =>
    new Promise<EchoMessage>((resolve, reject) =>
      client.unary(request, new grpc.Metadata(), options, (e: grpc.ServiceError | null, r?: EchoMessage) => (e ? reject(e) : resolve(r!))),
    );

  beforeAll(async () => {
    c = await startEchoServer(cImpl());
    bToC = echoClient(c.address, { interceptors: [deadlineClientInterceptor()] });
    breaker = breakerClientInterceptor({ volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 3000 });
    bToCWithBreaker = echoClient(c.address, { interceptors: [breaker] });
    b = await startEchoServer(
      wrapService({
        // How B raises C's failure: rethrow, wrap it as a cause, or callback(err) (below).
        unary: async (call: Unary) => {
          const id = String(call.request.id);
          attempts.set(id, (attempts.get(id) ?? 0) + 1);
          const timeoutMs = Number(call.request.timeoutMs ?? 0);
          try {
            return await callC(bToC, call.request, timeoutMs ? { deadline: Date.now() + timeoutMs } : {});
          } catch (error) {
            if (call.request.how === 'cause') throw new Error('B could not load from C', { cause: error });
            throw error;
          }
        },
        write: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
          const id = String(call.request.id);
          attempts.set(id, (attempts.get(id) ?? 0) + 1);
          const client = call.request.how === 'breaker' ? bToCWithBreaker : bToC;
          client.unary(call.request, (error: grpc.ServiceError | null, response?: EchoMessage) => callback(error, response));
        },
      }),
      {
        interceptors: [
          callContextServerInterceptor(),
          errorTranslationServerInterceptor({
            domain: 'b.example.com',
            logger: (entry) => bLogs.push(entry),
            onEvent: (event) => event.type === 'error-translated' && bEvents.push(event),
          }),
        ],
      },
    );
    const retry = retryClientInterceptor({
      maxAttempts: 3,
      initialBackoffMs: 1,
      maxBackoffMs: 5,
      budget: false,
      onEvent: (event) => aEvents.push(event),
    });
    a = echoClient(b.address, { interceptors: [retry] });
    aNoRetry = echoClient(b.address);
    markers = [C_MESSAGE, C_TRAILER, C_DETAIL, 'c.internal', 'C_INTERNAL_REASON', 'x-c-secret', c.address, `:${c.port}`];
  });

  afterAll(async () => {
    a.close();
    aNoRetry.close();
    bToC.close();
    bToCWithBreaker.close();
    breaker.dispose();
    await b.close();
    await c.close();
  });

  beforeEach(() => {
    bEvents.length = 0;
    bLogs.length = 0;
    aEvents.length = 0;
  });

  let seq = 0;
  const nextId = () => `call-${++seq}`;

  for (const how of ['rethrow', 'cause', 'callback'] as const) {
    for (let code = 1; code <= 16; code++) {
      const want = expectedAtA(code);
      it(`${how}: C fails ${grpc.status[code]} → A sees ${grpc.status[want]}`, async () => {
        const id = nextId();
        const request = { id, count: code, how };
        const result = await unaryCall(a, request, undefined, { deadline: Date.now() + 10_000 }, how === 'callback' ? 'write' : 'unary');
        expect(result.status.code).toBe(want);
        expect(leakedMarkers(visibleText(result.status), markers)).toEqual([]);
        const decoded = decodeErrorDetails(result.status);
        expect(decoded.errorInfo).toEqual({ reason: grpc.status[want], domain: 'b.example.com', metadata: {} });
        expect(decoded.requestInfo?.requestId).toBe(result.status.metadata.get('x-trace-id')[0]);
        expect(result.status.details).toMatch(
          want === grpc.status.UNAVAILABLE ? /^A dependency is unavailable \(trace id [0-9a-f]{32}\)$/ : /^Internal error \(trace id/,
        );
        // RetryInfo only where C gave a delay, and only with UNAVAILABLE.
        const cGaveDelay = code === grpc.status.UNAVAILABLE || code === grpc.status.RESOURCE_EXHAUSTED;
        expect(decoded.retryInfo).toEqual(cGaveDelay ? { retryDelay: { seconds: 0, nanos: C_RETRY_MS * 1e6 } } : undefined);
        // A's retry interceptor retries the transient ones (honouring C's delay), and not the others.
        expect(attempts.get(id)).toBe(want === grpc.status.UNAVAILABLE ? 3 : 1);
        const retries = aEvents.filter((e) => e.type === 'retry');
        expect(retries).toHaveLength(want === grpc.status.UNAVAILABLE ? 2 : 0);
        if (cGaveDelay) for (const r of retries) expect(r).toMatchObject({ delayMs: C_RETRY_MS, pushback: true });
        // B's log has what A was not told: C's message and trailers.
        expect(bLogs).toHaveLength(attempts.get(id)!);
        expect(bLogs[0]).toMatchObject({ kind: 'downstream', downstream: { code, details: expect.stringContaining(C_MESSAGE) } });
        expect(JSON.stringify(bLogs[0].downstream)).toContain(C_TRAILER);
      });
    }
  }

  it('C times out under B’s own short timeout while A has time → UNAVAILABLE, retried', async () => {
    const id = nextId();
    const result = await unaryCall(a, { id, text: 'slow', timeoutMs: 30 }, undefined, { deadline: Date.now() + 10_000 });
    expect(result.status.code).toBe(grpc.status.UNAVAILABLE);
    expect(attempts.get(id)).toBe(3);
    expect(leakedMarkers(visibleText(result.status), markers)).toEqual([]);
  });

  it('C times out because A’s deadline (propagated through B) is spent → DEADLINE_EXCEEDED, not retried', async () => {
    const id = nextId();
    const result = await unaryCall(a, { id, text: 'slow' }, undefined, { deadline: Date.now() + 400 });
    expect(result.status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(attempts.get(id)).toBe(1);
    await sleep(50);
    expect(bEvents).toEqual([expect.objectContaining({ kind: 'downstream', fromCode: grpc.status.DEADLINE_EXCEEDED, toCode: grpc.status.DEADLINE_EXCEEDED })]);
  });

  it('A cancels while B waits on C → B’s call to C is cancelled, and B answers CANCELLED (logged, not as an error)', async () => {
    const call = aNoRetry.unary({ id: nextId(), text: 'slow' }, () => undefined);
    await sleep(100);
    call.cancel();
    for (let i = 0; i < 40 && bEvents.length === 0; i++) await sleep(10);
    expect(bEvents).toEqual([expect.objectContaining({ kind: 'downstream', fromCode: grpc.status.CANCELLED, toCode: grpc.status.CANCELLED })]);
    expect(bLogs[0]).toMatchObject({ level: 'info', cancelled: true });
  });

  it('B’s breaker for C opens → A sees UNAVAILABLE with RetryInfo = time until the probe', async () => {
    // Two UNAVAILABLE answers from C open B's breaker (volume 2, 50 %).
    for (let i = 0; i < 2; i++) await unaryCall(aNoRetry, { id: nextId(), count: grpc.status.UNAVAILABLE, how: 'breaker' }, undefined, {}, 'write');
    bEvents.length = 0;
    const result = await unaryCall(aNoRetry, { id: nextId(), count: grpc.status.UNAVAILABLE, how: 'breaker' }, undefined, {}, 'write');
    expect(result.status.code).toBe(grpc.status.UNAVAILABLE);
    const delay = decodeErrorDetails(result.status).retryInfo?.retryDelay;
    const ms = (delay?.seconds ?? 0) * 1000 + (delay?.nanos ?? 0) / 1e6;
    expect(ms).toBeGreaterThan(2000);
    expect(ms).toBeLessThanOrEqual(3000);
    expect(result.status.details).toMatch(/^A dependency is unavailable/);
    expect(leakedMarkers(visibleText(result.status), [...markers, 'breaker'])).toEqual([]);
    expect(bEvents[0]).toMatchObject({ kind: 'downstream', toCode: grpc.status.UNAVAILABLE });
  });
});
