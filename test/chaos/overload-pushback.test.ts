import * as grpc from '@grpc/grpc-js';
import { afterAll, expect, it } from 'vitest';
import { clientInterceptors, PublicError, serverInterceptors, wrapService } from '../../src';
import { faultInjector, seededRandom, type FaultInjector } from '../../src/testing';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { closeAll, ECHO_PATHS, echoClient, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { figure, spread, watchLoopLag } from '../helpers/chaos';

// Scenario 6: an overloaded server sheds half its calls with RESOURCE_EXHAUSTED and says how long
// to wait, in the two ways the stack reads: Unary is shed by a rate limiter in front of the server
// stack (the fault injector) with the `grpc-retry-pushback-ms` trailer; Write by its handler,
// throwing a PublicError with a google.rpc.RetryInfo detail (the error translator also mirrors it
// into the trailer). The server records when each attempt of each call arrives; the gap between two
// attempts of a call must be at least what the server asked for, and not much more.
const PUSHBACK_MS = { unary: 100, write: 150 } as const;
const CALLS = 160;
const CONCURRENCY = 10;
/** Typical time above the pushback: the status travelling back, the timer, the retry travelling out. */
const TYPICAL_EXCESS_MS = 25;
/**
 * Worst time above the pushback on a busy shared host: each of those three steps can meet its own
 * event-loop stall (measured up to ~100 ms here while other test processes run).
 */
const WORST_EXCESS_MS = 250;

let server: TestServer | undefined;
let faults: FaultInjector | undefined;
let client: EchoClient | undefined;
let stack: ReturnType<typeof clientInterceptors> | undefined;

afterAll(() => closeAll(client, stack, faults, server));

/** Records when each attempt of each call (by its `x-call-id` header) reaches the server. */
function arrivalRecorder(arrivals: Map<string, number[]>): grpc.ServerInterceptor {
  return (_descriptor, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMd) => {
            const id = String(metadata.get('x-call-id')[0]);
            arrivals.set(id, [...(arrivals.get(id) ?? []), performance.now()]);
            nextMd(metadata);
          },
        }),
    });
}

it('overload: RESOURCE_EXHAUSTED with pushback makes clients wait as told, measured between attempts at the server', async () => {
  const arrivals = new Map<string, number[]>();
  faults = faultInjector({
    seed: 6,
    rules: { [ECHO_PATHS.unary]: { error: { rate: 0.5, codes: 'RESOURCE_EXHAUSTED', pushbackMs: PUSHBACK_MS.unary } } },
  });
  const random = seededRandom(6);
  type Call = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;
  server = await startEchoServer(
    wrapService({
      unary: (call: Call) => call.request,
      write: (call: Call) => {
        if (random() < 0.5) throw new PublicError('RESOURCE_EXHAUSTED', 'over quota, retry later', { retryDelayMs: PUSHBACK_MS.write });
        return call.request;
      },
    }),
    { interceptors: [arrivalRecorder(arrivals), faults.interceptor, ...serverInterceptors({ errors: { logger: false } })] },
  );
  const events: ResilienceEvent[] = [];
  // Every retry is measured here: the budget (scenario 3) and the breaker (scenario 2) would stop
  // retrying at this 50 % failure rate, which is their job but would leave few waits to measure.
  stack = clientInterceptors({ retry: { maxAttempts: 4, budget: false }, breaker: false, onEvent: (e) => events.push(e) });
  client = echoClient(server.address, { interceptors: stack });

  const lag = watchLoopLag();
  const codes: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CALLS) {
        const i = next++;
        const method = i % 2 === 0 ? 'unary' : 'write';
        const metadata = new grpc.Metadata();
        metadata.set('x-call-id', `${method}-${i}`);
        const r = await unary(client!, { id: String(i) }, { method, metadata, callOptions: { deadline: Date.now() + 2_000 } });
        codes[grpc.status[r.status.code]] = (codes[grpc.status[r.status.code]] ?? 0) + 1;
      }
    }),
  );
  const loop = lag.stop();

  const excess: Record<'unary' | 'write', number[]> = { unary: [], write: [] };
  for (const [id, times] of arrivals) {
    const method = id.startsWith('unary') ? 'unary' : 'write';
    for (let k = 1; k < times.length; k++) excess[method].push(times[k] - times[k - 1] - PUSHBACK_MS[method]);
  }
  const retries = events.filter((e) => e.type === 'retry');
  const all = [...excess.unary, ...excess.write];
  figure('overload-pushback', {
    calls: CALLS,
    codes,
    retries: retries.length,
    trailerPushbackMs: PUSHBACK_MS.unary,
    gapMinusPushbackTrailerMs: spread(excess.unary),
    retryInfoMs: PUSHBACK_MS.write,
    gapMinusRetryInfoMs: spread(excess.write),
    gapMinusPushbackMs: { min: Math.round(Math.min(...all) * 10) / 10, ...spread(all) },
    loopLagMs: loop,
  });

  expect(excess.unary.length).toBeGreaterThan(20);
  expect(excess.write.length).toBeGreaterThan(20);
  // The client waited exactly what it was told (the events), and no attempt came back sooner.
  expect(retries.every((e) => e.type === 'retry' && e.pushback && e.delayMs === PUSHBACK_MS[e.method === ECHO_PATHS.unary ? 'unary' : 'write'])).toBe(true);
  expect(Math.min(...all)).toBeGreaterThanOrEqual(-1); // timers may round down by up to 1 ms
  // And not much longer.
  expect(spread(all).p50).toBeLessThanOrEqual(TYPICAL_EXCESS_MS);
  expect(Math.max(...all)).toBeLessThanOrEqual(WORST_EXCESS_MS);
  // Calls that ran out of attempts end with the server's RESOURCE_EXHAUSTED; none is lost.
  expect(Object.keys(codes).sort()).toEqual(expect.arrayContaining(['OK']));
  expect((codes.OK ?? 0) + (codes.RESOURCE_EXHAUSTED ?? 0)).toBe(CALLS);
});
