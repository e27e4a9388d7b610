import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { breakerClientInterceptor, type BreakerInterceptor } from '../../src/breaker';
import { createCallContext, runWithCallContext, ServerCallState } from '../../src/context';
import { deadlineClientInterceptor } from '../../src/deadline';
import { retryClientInterceptor } from '../../src/retry/interceptor';
import { attemptsOf } from '../../src/retry/wire';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { traceClientInterceptor } from '../../src/trace/client-interceptor';
import { closeAll, echoClient, sleep, unary, type EchoClient } from '../helpers';
import { startFlakyServer, type FlakyServer } from '../helpers/flaky-server';
import { activeChannelCalls } from '../helpers/scripted-server';

const { OK, UNAVAILABLE, CANCELLED } = grpc.status;

let server: FlakyServer | undefined;
let client: EchoClient | undefined;
let breaker: BreakerInterceptor | undefined;

afterEach(async () => {
  await closeAll(client, breaker, server);
  client = breaker = server = undefined;
});

/** The documented order: trace → deadline → retry → breaker. */
async function stack(answers: Parameters<typeof startFlakyServer>[0], retry: Parameters<typeof retryClientInterceptor>[0] = {}) {
  const events: ResilienceEvent[] = [];
  const onEvent = (e: ResilienceEvent) => events.push(e);
  server = await startFlakyServer(answers);
  breaker = breakerClientInterceptor({ volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 60_000, onEvent });
  client = echoClient(server.address, {
    interceptors: [
      traceClientInterceptor(),
      deadlineClientInterceptor({ onEvent }),
      retryClientInterceptor({ initialBackoffMs: 5, jitter: 'none', onEvent, ...retry }),
      breaker,
    ],
  });
  return { server, client, events };
}

describe('retry inside the full client stack', () => {
  it('retries through the breaker (which counts every attempt) and returns OK', async () => {
    const { server, client } = await stack([{ code: UNAVAILABLE }, { code: OK }]);
    const result = await unary(client, { id: 'a' });
    expect(result.status.code).toBe(OK);
    expect(attemptsOf(result.status)).toBe(2);
    expect(server.seen).toHaveLength(2);
  });

  it('the deadline inherited from the call context bounds the retries', async () => {
    const { server, client, events } = await stack([{ code: UNAVAILABLE }], { initialBackoffMs: 1_000, maxBackoffMs: 1_000 });
    const started = performance.now();
    // 500 ms: room for the first attempt on a loaded machine, none for the 1 s backoff.
    const result = await runWithCallContext(createCallContext({ timeoutMs: 500 }), () => unary(client, { id: 'd' }));
    // The wait does not fit: the call ends at once with the attempt's own status, not a timeout.
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(performance.now() - started).toBeLessThan(500);
    expect(server.seen).toHaveLength(1);
    expect(events.find((e) => e.type === 'give-up')).toMatchObject({ reason: 'deadline' });
  });

  it('once the breaker opens, its local rejection is not retried and nothing more is sent', async () => {
    const { server, client, events } = await stack([{ code: UNAVAILABLE }], { maxAttempts: 5, budget: false });
    const result = await unary(client, { id: 'b' });
    // Three attempts fail and open the breaker (volume 3, 50 %); the fourth is rejected locally.
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(server.seen).toHaveLength(3);
    expect(attemptsOf(result.status)).toBe(4);
    expect(events.find((e) => e.type === 'give-up')).toMatchObject({ reason: 'breaker-open', attempts: 4 });
    expect(events.some((e) => e.type === 'breaker-reject')).toBe(true);
    await sleep(10);
    expect(activeChannelCalls(client)).toBe(0);
  });

  it('cancelling the incoming call during a backoff cancels the logical call and its timer', async () => {
    const { server, client, events } = await stack([{ code: UNAVAILABLE }], { initialBackoffMs: 500, maxBackoffMs: 500 });
    const incoming = new ServerCallState('0af7651916cd43dd8448eb211c80319c', 1, '/test.v1.Upstream/Call', Date.now() + 5_000);
    const started = performance.now();
    const pending = runWithCallContext(incoming, () => unary(client, { id: 'c' }));
    while (!events.some((e) => e.type === 'retry')) await sleep(2);
    incoming.cancel('cancelled');
    const result = await pending;
    expect(result.status.code).toBe(CANCELLED);
    expect(performance.now() - started).toBeLessThan(400);
    await sleep(600);
    expect(server.seen).toHaveLength(1);
  });
});
