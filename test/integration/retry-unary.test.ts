import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callContextStorage, createCallContext, runWithCallContext } from '../../src/context';
import { LocallyFailedCall } from '../../src/internal/locally-failed-call';
import { withResilience } from '../../src/options/call-options';
import { retryClientInterceptor } from '../../src/retry/interceptor';
import type { RetryOptions } from '../../src/retry/options';
import { resetDoubleRetryWarning } from '../../src/retry/service-config';
import { ATTEMPTS_KEY, attemptsOf } from '../../src/retry/wire';
import { localFailureStatus } from '../../src/status/local-failure';
import type { GiveUpEvent, ResilienceEvent, RetryEvent } from '../../src/telemetry/events';
import { traceClientInterceptor } from '../../src/trace/client-interceptor';
import { echoClient, ECHO_PATHS, sleep, unary, type EchoClient, type EchoMessage } from '../helpers';
import { startFlakyServer, type FlakyAnswer, type FlakyServer } from '../helpers/flaky-server';
import { activeChannelCalls } from '../helpers/scripted-server';

const { OK, UNAVAILABLE, INTERNAL, ABORTED, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, CANCELLED, NOT_FOUND } = grpc.status;
const fail = (code: grpc.status, trailers?: Record<string, string>): FlakyAnswer => ({ code, trailers });
const ok: FlakyAnswer = { code: OK };

let server: FlakyServer | undefined;
let client: EchoClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
  client = server = undefined;
  vi.restoreAllMocks();
});

/** A server answering `answers` and a client with the retry interceptor (fast, deterministic backoff by default). */
async function setup(answers: FlakyAnswer[], options: RetryOptions = {}, extra: { below?: grpc.Interceptor[]; above?: grpc.Interceptor[]; client?: grpc.ClientOptions } = {}) {
  const events: ResilienceEvent[] = [];
  server = await startFlakyServer(answers);
  const retry = retryClientInterceptor({ initialBackoffMs: 5, jitter: 'none', onEvent: (e) => events.push(e), ...options });
  client = echoClient(server.address, { ...extra.client, interceptors: [...(extra.above ?? []), retry, ...(extra.below ?? [])] });
  return { server, client, events };
}

const ofType = <T extends ResilienceEvent['type']>(events: ResilienceEvent[], type: T) =>
  events.filter((e): e is Extract<ResilienceEvent, { type: T }> => e.type === type);

describe('retryClientInterceptor: unary calls against a real server', () => {
  it('UNAVAILABLE twice, then OK: 3 attempts, the caller gets OK and exactly one response', async () => {
    const { server, client, events } = await setup([fail(UNAVAILABLE), fail(UNAVAILABLE), ok]);
    const callbacks: Array<[grpc.ServiceError | null, EchoMessage | undefined]> = [];
    const statuses: grpc.StatusObject[] = [];
    await new Promise<void>((resolve) => {
      const call = client.unary({ id: 'a' }, new grpc.Metadata(), {}, (err: grpc.ServiceError | null, res?: EchoMessage) => {
        callbacks.push([err, res]);
      });
      call.on('status', (s: grpc.StatusObject) => {
        statuses.push(s);
        resolve();
      });
    });
    await sleep(20); // anything late would show up here
    expect(server.seen).toHaveLength(3);
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0][0]).toBeNull();
    expect(callbacks[0][1]).toEqual({ id: 'a', attempt: 3 });
    expect(statuses).toHaveLength(1);
    expect(statuses[0].code).toBe(OK);
    // The attempt count is visible on the final status.
    expect(statuses[0].metadata.get(ATTEMPTS_KEY)).toEqual(['3']);
    expect(attemptsOf(statuses[0])).toBe(3);
    // Wire: attempts after the first carry grpc-previous-rpc-attempts.
    expect(server.seen.map((a) => a.previousAttempts)).toEqual([undefined, '1', '2']);
    expect(ofType(events, 'retry').map((e) => [e.attempt, e.code, e.delayMs])).toEqual([
      [2, UNAVAILABLE, 5],
      [3, UNAVAILABLE, 10],
    ]);
    expect(ofType(events, 'give-up')).toEqual([]);
    expect(activeChannelCalls(client)).toBe(0);
  });

  it('a first-attempt success carries no attempts trailer and makes no extra call', async () => {
    const { server, client } = await setup([ok]);
    const result = await unary(client, { id: 'b' });
    expect(result.status.code).toBe(OK);
    expect(result.status.metadata.get(ATTEMPTS_KEY)).toEqual([]);
    expect(attemptsOf(result.status)).toBe(1);
    expect(server.seen).toHaveLength(1);
  });

  it('gives up after maxAttempts with the last status and the attempt count', async () => {
    const { server, client, events } = await setup([fail(UNAVAILABLE)], { maxAttempts: 4 });
    const result = await unary(client, { id: 'c' });
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(result.status.details).toBe('flaky UNAVAILABLE');
    expect(attemptsOf(result.error)).toBe(4);
    expect(server.seen).toHaveLength(4);
    expect(ofType(events, 'give-up')).toEqual([
      expect.objectContaining({ reason: 'max-attempts', attempts: 4, code: UNAVAILABLE, method: ECHO_PATHS.unary }),
    ]);
  });

  it('a non-idempotent method failing with ABORTED makes exactly one attempt (side effect counted once)', async () => {
    const { server, client, events } = await setup([fail(ABORTED)]);
    const result = await unary(client, { id: 'w' }, { method: 'write' });
    expect(result.status.code).toBe(ABORTED);
    expect(server.sideEffects.count).toBe(1);
    expect(server.seen).toHaveLength(1);
    expect(ofType(events, 'give-up')[0]).toMatchObject({ reason: 'not-idempotent', attempts: 1 });
  });

  it('the same method declared idempotent is retried on ABORTED', async () => {
    const { server, client } = await setup([fail(ABORTED), ok], { methods: { [ECHO_PATHS.write]: { idempotent: true } } });
    const result = await unary(client, { id: 'w' }, { method: 'write' });
    expect(result.status.code).toBe(OK);
    expect(server.sideEffects.count).toBe(2);
  });

  it('INTERNAL (a bug) is not retried, even for an idempotent method, unless the method opts in', async () => {
    const { server, client, events } = await setup([fail(INTERNAL), ok], { idempotent: true });
    expect((await unary(client, { id: 'bug' })).status.code).toBe(INTERNAL);
    expect(server.seen).toHaveLength(1);
    expect(ofType(events, 'give-up')[0]).toMatchObject({ reason: 'not-retryable', attempts: 1, code: INTERNAL });
    client.close();
    await server.close();

    const optIn = await setup([fail(INTERNAL), ok], {
      idempotent: true,
      statusTable: { methods: { [ECHO_PATHS.unary]: { INTERNAL: { retry: 'idempotent' } } } },
    });
    expect((await unary(optIn.client, { id: 'flaky' })).status.code).toBe(OK);
    expect(optIn.server.seen).toHaveLength(2);
  });

  it('client faults are not retried', async () => {
    const { server, client } = await setup([fail(NOT_FOUND)], { idempotent: true });
    expect((await unary(client, { id: 'n' })).status.code).toBe(NOT_FOUND);
    expect(server.seen).toHaveLength(1);
  });

  it('honours a 200 ms pushback: the next attempt arrives at least 200 ms later', async () => {
    const { server, client, events } = await setup([fail(UNAVAILABLE, { 'grpc-retry-pushback-ms': '200' }), ok]);
    const result = await unary(client, { id: 'p' });
    expect(result.status.code).toBe(OK);
    expect(server.seen).toHaveLength(2);
    const gap = server.seen[1].at - server.seen[0].at;
    expect(gap).toBeGreaterThanOrEqual(200);
    expect(gap).toBeLessThan(1_000);
    expect(ofType(events, 'retry')[0]).toMatchObject({ attempt: 2, delayMs: 200, pushback: true });
  });

  it('RESOURCE_EXHAUSTED is retried only with pushback', async () => {
    const { server, client } = await setup([fail(RESOURCE_EXHAUSTED), ok]);
    expect((await unary(client, { id: 'r1' })).status.code).toBe(RESOURCE_EXHAUSTED);
    expect(server.seen).toHaveLength(1);
    server.answers = [fail(RESOURCE_EXHAUSTED, { 'grpc-retry-pushback-ms': '10' }), ok];
    server.seen.length = 0;
    expect((await unary(client, { id: 'r2' })).status.code).toBe(OK);
    expect(server.seen).toHaveLength(2);
  });

  it('a negative pushback stops retrying', async () => {
    const { server, client, events } = await setup([fail(UNAVAILABLE, { 'grpc-retry-pushback-ms': '-1' }), ok]);
    const result = await unary(client, { id: 'neg' });
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(server.seen).toHaveLength(1);
    expect(ofType(events, 'give-up')[0]).toMatchObject({ reason: 'pushback-stop', attempts: 1 });
  });

  it('500 ms deadline with a 1 s backoff: no sleep past the deadline; the call ends at once with the real status', async () => {
    const { server, client, events } = await setup([fail(UNAVAILABLE)], { initialBackoffMs: 1_000, maxBackoffMs: 1_000 });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const timersBefore = timers();
    const started = performance.now();
    // 500 ms: room for the first attempt on a loaded machine, none for the 1 s backoff.
    const result = await unary(client, { id: 'd' }, { callOptions: { deadline: Date.now() + 500 } });
    const elapsed = performance.now() - started;
    // The deadline has not passed: DEADLINE_EXCEEDED would hide the outage behind a timeout.
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(result.status.details).toBe('flaky UNAVAILABLE');
    expect(elapsed).toBeLessThan(500); // before the deadline, never the 1 s backoff
    expect(server.seen).toHaveLength(1);
    expect(ofType(events, 'retry')).toEqual([]);
    expect(ofType(events, 'give-up')[0]).toMatchObject({ reason: 'deadline', code: UNAVAILABLE, attempts: 1 });
    expect(timers()).toBe(timersBefore); // no backoff timer was started
  });

  it('retries while the deadline has room, and the deadline spans all attempts', async () => {
    const { server, client } = await setup([fail(UNAVAILABLE)], { maxAttempts: 10, initialBackoffMs: 40, multiplier: 1 });
    const started = performance.now();
    const result = await unary(client, { id: 'span' }, { callOptions: { deadline: Date.now() + 150 } });
    const elapsed = performance.now() - started;
    // Attempts at ~0, 40, 80, 120 ms; a fifth would start at ~160 ms, past the deadline: the call
    // ends with the last attempt's status before the deadline.
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(server.seen.length).toBeGreaterThanOrEqual(3);
    expect(server.seen.length).toBeLessThanOrEqual(4);
    expect(elapsed).toBeLessThan(150 + 100);
  });

  it('cancelling the call during a backoff clears the timer and makes no further attempt', async () => {
    const { server, client, events } = await setup([fail(UNAVAILABLE)], { initialBackoffMs: 400, maxBackoffMs: 400 });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    let status: grpc.StatusObject | undefined;
    let timersDuringBackoff = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const call = client.unary({ id: 'x' }, (_e: unknown) => {});
      call.on('status', (s: grpc.StatusObject) => {
        status = s;
        resolve();
      });
      const waitForRetry = setInterval(() => {
        if (ofType(events, 'retry').length === 0) return;
        clearInterval(waitForRetry);
        timersDuringBackoff = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
        call.cancel();
      }, 2);
    });
    const elapsed = performance.now() - started;
    expect(status?.code).toBe(CANCELLED);
    expect(elapsed).toBeLessThan(300);
    expect(timersDuringBackoff).toBe(timersBefore + 1); // the backoff timer existed...
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timersBefore); // ...and is gone
    await sleep(500);
    expect(server.seen).toHaveLength(1);
    expect(attemptsOf(status)).toBe(1); // one attempt was made; the second never started
  });

  it('cancelling during an attempt cancels that attempt', async () => {
    const { server, client } = await setup([fail(UNAVAILABLE), { code: OK, hang: true }]);
    const result = await new Promise<grpc.StatusObject>((resolve) => {
      const call = client.unary({ id: 'y' }, (_e: unknown) => {});
      call.on('status', resolve);
      const check = setInterval(() => {
        if (server.seen.length < 2) return;
        clearInterval(check);
        call.cancel();
      }, 2);
    });
    expect(result.code).toBe(CANCELLED);
    expect(server.seen).toHaveLength(2);
    await sleep(20);
    expect(activeChannelCalls(client)).toBe(0);
  });

  it('per-call settings: retry: false disables retries; overrides replace fields for one call', async () => {
    const { server, client } = await setup([fail(UNAVAILABLE)]);
    await unary(client, { id: 'off' }, { callOptions: withResilience({}, { retry: false }) });
    expect(server.seen).toHaveLength(1);
    server.seen.length = 0;
    await unary(client, { id: 'two' }, { callOptions: withResilience({}, { retry: { maxAttempts: 2 } }) });
    expect(server.seen).toHaveLength(2);
    server.seen.length = 0;
    server.answers = [fail(ABORTED)];
    await unary(client, { id: 'idem' }, { method: 'write', callOptions: withResilience({}, { retry: { idempotent: true } }) });
    expect(server.seen).toHaveLength(3);
  });

  it('perAttemptTimeoutMs: a hung attempt times out and is retried while the overall deadline has room', async () => {
    const { server, client, events } = await setup([{ code: OK, hang: true }, ok], { perAttemptTimeoutMs: 100, idempotent: true });
    const started = performance.now();
    const result = await unary(client, { id: 't' }, { callOptions: { deadline: Date.now() + 2_000 } });
    expect(result.status.code).toBe(OK);
    expect(server.seen).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(ofType(events, 'retry')[0]).toMatchObject({ code: DEADLINE_EXCEEDED, attempt: 2 });
  });

  it('perAttemptTimeoutMs: a non-idempotent method is not retried after its attempt timed out', async () => {
    const { server, client } = await setup([{ code: OK, hang: true }, ok], { perAttemptTimeoutMs: 100 });
    const result = await unary(client, { id: 't' }, { method: 'write', callOptions: { deadline: Date.now() + 2_000 } });
    expect(result.status.code).toBe(DEADLINE_EXCEEDED);
    expect(server.seen).toHaveLength(1);
  });

  it('an open breaker below (a local failure) is not retried now', async () => {
    let created = 0;
    const openBreaker: grpc.Interceptor = () => {
      created++;
      return new grpc.InterceptingCall(new LocallyFailedCall(localFailureStatus(UNAVAILABLE, 'breaker open', 'breaker-open', 5_000)));
    };
    const { server, client, events } = await setup([ok], {}, { below: [openBreaker] });
    const result = await unary(client, { id: 'b' });
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(created).toBe(1);
    expect(server.seen).toHaveLength(0);
    expect(ofType(events, 'give-up')[0]).toMatchObject({ reason: 'breaker-open', attempts: 1 });
  });

  it('each attempt runs in the caller’s call context, also when listeners run in another call’s context', async () => {
    const seenBelow: Array<[string, string | undefined]> = [];
    const spy: grpc.Interceptor = (options, nextCall) => {
      const store = callContextStorage.getStore();
      seenBelow.push([options.method_definition.path, store?.traceId]);
      return new grpc.InterceptingCall(nextCall(options));
    };
    const { server, client } = await setup([fail(UNAVAILABLE)], { maxAttempts: 3, initialBackoffMs: 10, budget: false }, { below: [spy] });
    const a = createCallContext();
    const b = createCallContext();
    // Concurrent calls on a fresh channel: grpc-js may run both calls' listeners in one context.
    const results = await Promise.all([
      runWithCallContext(a, () => unary(client, { id: 'a' })),
      runWithCallContext(b, () => unary(client, { id: 'b' })),
      unary(client, { id: 'none' }),
    ]);
    expect(results.map((r) => r.status.code)).toEqual([UNAVAILABLE, UNAVAILABLE, UNAVAILABLE]);
    expect(server.seen).toHaveLength(9);
    const byTrace = (id: string | undefined) => seenBelow.filter(([, t]) => t === id).length;
    expect(byTrace(a.traceId)).toBe(3);
    expect(byTrace(b.traceId)).toBe(3);
    expect(byTrace(undefined)).toBe(3);
  });

  it('every attempt carries the same trace id (trace interceptor above retry)', async () => {
    const { server, client } = await setup([fail(UNAVAILABLE), ok], {}, { above: [traceClientInterceptor()] });
    const ctx = createCallContext();
    await runWithCallContext(ctx, () => unary(client, { id: 't' }));
    expect(server.seen).toHaveLength(2);
    const traceIds = server.seen.map((s) => s.traceparent?.split('-')[1]);
    expect(traceIds).toEqual([ctx.traceId, ctx.traceId]);
  });

  it('events carry target, trace id and the budget-exhausted signal', async () => {
    const { client, events } = await setup([fail(UNAVAILABLE)], { budget: { maxTokens: 2, tokenRatio: 0.1 }, maxAttempts: 5 });
    const ctx = createCallContext();
    await runWithCallContext(ctx, () => unary(client, { id: 'e' }));
    // Bucket of 2: the first failure leaves 1 (= half) → no retry.
    const giveUp = ofType(events, 'give-up')[0] as GiveUpEvent;
    expect(giveUp).toMatchObject({ reason: 'budget', attempts: 1, traceId: ctx.traceId });
    expect(giveUp.target).toBe(`dns:${server!.address}`);
    expect(ofType(events, 'budget-exhausted')).toEqual([{ type: 'budget-exhausted', method: ECHO_PATHS.unary, target: `dns:${server!.address}` }]);
  });

  it('a throwing event handler never changes the outcome', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { server, client } = await setup([fail(UNAVAILABLE), ok], {
      onEvent: () => {
        throw new Error('handler bug');
      },
    });
    expect((await unary(client, { id: 'h' })).status.code).toBe(OK);
    expect(server.seen).toHaveLength(2);
  });

  it('retry events report the jittered delays drawn from the injected random source', async () => {
    const draws = [0.5, 0.25];
    const { events, client } = await setup([fail(UNAVAILABLE), fail(UNAVAILABLE), ok], {
      jitter: 'full',
      initialBackoffMs: 40,
      random: () => draws.shift() ?? 0,
    });
    await unary(client, { id: 'j' });
    expect(ofType(events, 'retry').map((e: RetryEvent) => e.delayMs)).toEqual([20, 20]); // 0.5 × 40, 0.25 × 80
  });
});

describe('service-config retries below the interceptor', () => {
  const serviceConfig = JSON.stringify({
    methodConfig: [
      {
        name: [{ service: 'test.v1.EchoService' }],
        retryPolicy: { maxAttempts: 2, initialBackoff: '0.01s', maxBackoff: '0.01s', backoffMultiplier: 1, retryableStatusCodes: ['UNAVAILABLE'] },
      },
    ],
  });

  it('warns once at construction when given channel options with a retryPolicy', () => {
    resetDoubleRetryWarning();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    retryClientInterceptor({ channelOptions: { 'grpc.service_config': serviceConfig } });
    retryClientInterceptor({ channelOptions: { 'grpc.service_config': serviceConfig } });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain('service-config retryPolicy');
    expect(warn.mock.calls[0][1]).toMatchObject({ code: 'GRPC_RESILIENCE_DOUBLE_RETRY' });
    // Retries switched off in the channel: no warning.
    resetDoubleRetryWarning();
    retryClientInterceptor({ channelOptions: { 'grpc.service_config': serviceConfig, 'grpc.enable_retries': 0 } });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('detects the channel’s own retries at run time (grpc-previous-rpc-attempts in the response) and warns once', async () => {
    resetDoubleRetryWarning();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { server, client } = await setup([fail(UNAVAILABLE)], { maxAttempts: 2 }, { client: { 'grpc.service_config': serviceConfig } });
    await unary(client, { id: 's1' });
    await unary(client, { id: 's2' });
    // 2 interceptor attempts × 2 channel attempts, twice: the multiplication the warning is about.
    expect(server.seen).toHaveLength(8);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain('the channel retried /test.v1.EchoService/Unary itself');
  });
});
