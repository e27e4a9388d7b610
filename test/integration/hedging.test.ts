import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { breakerClientInterceptor } from '../../src/breaker/interceptor';
import { hedgingClientInterceptor } from '../../src/hedging/interceptor';
import type { HedgingOptions } from '../../src/hedging/options';
import { withResilience } from '../../src/options/call-options';
import { createRetryBudget } from '../../src/retry/budget';
import { retryClientInterceptor } from '../../src/retry/interceptor';
import type { RetryOptions } from '../../src/retry/options';
import { ATTEMPTS_KEY } from '../../src/retry/wire';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { clientInterceptors } from '../../src/stack';
import { closeAll, collectStream, echoClient, ECHO_PATHS, sleep, unary, type EchoClient } from '../helpers';
import { startFlakyServer, type FlakyAnswer, type FlakyServer } from '../helpers/flaky-server';
import { activeChannelCalls } from '../helpers/scripted-server';

const { OK, UNAVAILABLE, INVALID_ARGUMENT, DEADLINE_EXCEEDED } = grpc.status;
const ok: FlakyAnswer = { code: OK };
const hang: FlakyAnswer = { code: OK, hang: true };
const slow = (delayMs: number): FlakyAnswer => ({ code: OK, delayMs });
/** The echo methods: `Unary` and `ServerStream` idempotent, `Write` not. */
const idempotent = { [ECHO_PATHS.unary]: { idempotent: true }, [ECHO_PATHS.serverStream]: { idempotent: true } };

let server: FlakyServer | undefined;
let servers: FlakyServer[] = [];
let client: EchoClient | undefined;

afterEach(async () => {
  await closeAll(client, server, ...servers);
  client = server = undefined;
  servers = [];
});

/** A server answering `answers` (attempt by attempt, in arrival order) and a client with hedging above retries. */
async function setup(answers: FlakyAnswer[], hedging: HedgingOptions = {}, retry: RetryOptions = {}, below: grpc.Interceptor[] = []) {
  const events: ResilienceEvent[] = [];
  const onEvent = (e: ResilienceEvent) => events.push(e);
  server = await startFlakyServer(answers);
  const retrying = retryClientInterceptor({ initialBackoffMs: 5, jitter: 'none', methods: idempotent, onEvent, ...retry });
  const hedges = hedgingClientInterceptor({ delay: 100, retry: retrying, onEvent, ...hedging });
  client = echoClient(server.address, { interceptors: [hedges, retrying, ...below] });
  await connected(client);
  return { server, client, events };
}

const ofType = <T extends ResilienceEvent['type']>(events: ResilienceEvent[], type: T) =>
  events.filter((e): e is Extract<ResilienceEvent, { type: T }> => e.type === type);

/** Connects the client first: a hedge delay shorter than the connection setup would hedge the first call. */
function connected(c: grpc.Client): Promise<void> {
  return new Promise((resolve, reject) => c.waitForReady(Date.now() + 5_000, (err) => (err ? reject(err) : resolve())));
}

/** Waits until `check` holds (the server sees cancellations a little after the client sends them). */
async function eventually(check: () => boolean, ms = 2_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await sleep(5);
}

describe('hedging: unary calls against real servers', () => {
  it('a stalled first attempt is hedged after the delay; the hedge answers, the stalled attempt reaches the server as CANCELLED', async () => {
    const { server, client, events } = await setup([hang, ok]);
    const started = performance.now();
    const result = await unary(client, { id: 'a' });
    const elapsed = performance.now() - started;
    expect(result.status.code).toBe(OK);
    expect(result.response).toMatchObject({ id: 'a', attempt: 2 });
    expect(elapsed).toBeGreaterThanOrEqual(99);
    expect(elapsed).toBeLessThan(1_500);
    expect(server.seen.map((s) => s.previousAttempts)).toEqual([undefined, '1']);
    // Both attempts carry the caller's trace.
    expect(server.seen[1].traceparent).toBe(server.seen[0].traceparent);
    await eventually(() => server.seen[0].cancelled);
    expect(server.seen.map((s) => s.cancelled)).toEqual([true, false]);
    expect(result.status.metadata.get(ATTEMPTS_KEY)).toEqual(['2']);
    expect(ofType(events, 'hedge').map((e) => e.attempt)).toEqual([2]);
    expect(ofType(events, 'hedge')[0].delayMs).toBeGreaterThanOrEqual(99);
    expect(activeChannelCalls(client)).toBe(0);
  });

  it('a fast answer makes no hedge, and no timer or call is left behind', async () => {
    const { server, client, events } = await setup([ok], { delay: 300 });
    const result = await unary(client, { id: 'b' });
    expect(result.status.code).toBe(OK);
    await sleep(350);
    expect(server.seen).toHaveLength(1);
    expect(result.status.metadata.get(ATTEMPTS_KEY)).toEqual([]);
    expect(ofType(events, 'hedge')).toEqual([]);
  });

  it('the first answer wins even when it is the original attempt: the hedge is cancelled', async () => {
    const { server, client } = await setup([slow(250), hang]);
    const result = await unary(client, { id: 'c' });
    expect(result.response).toMatchObject({ attempt: 1 });
    await eventually(() => server.seen[1]?.cancelled === true);
    expect(server.seen.map((s) => s.cancelled)).toEqual([false, true]);
  });

  it('sends hedges at the delay, up to maxAttempts, and never more', async () => {
    const { server, client, events } = await setup([hang, hang, slow(40)], { maxAttempts: 3, delay: 20 });
    const result = await unary(client, { id: 'd' });
    expect(result.response).toMatchObject({ attempt: 3 });
    await sleep(60);
    expect(server.seen.map((s) => s.previousAttempts)).toEqual([undefined, '1', '2']);
    await eventually(() => server.seen[0].cancelled && server.seen[1].cancelled);
    expect(server.seen.map((s) => s.cancelled)).toEqual([true, true, false]);
    expect(ofType(events, 'hedge').map((e) => e.attempt)).toEqual([2, 3]);
  });

  it('a method that is not idempotent is never hedged: it runs once, however slow', async () => {
    const { server, client, events } = await setup([slow(120)]);
    const result = await unary(client, { id: 'e' }, { method: 'write' });
    expect(result.status.code).toBe(OK);
    expect(server.sideEffects.count).toBe(1);
    expect(server.seen).toHaveLength(1);
    expect(ofType(events, 'hedge')).toEqual([]);
  });

  it('a non-retryable status from any attempt ends the whole call at once; the other attempt is cancelled', async () => {
    const { server, client, events } = await setup([hang, { code: INVALID_ARGUMENT }]);
    const result = await unary(client, { id: 'f' });
    expect(result.status.code).toBe(INVALID_ARGUMENT);
    await eventually(() => server.seen[0].cancelled);
    expect(server.seen[0].cancelled).toBe(true);
    expect(ofType(events, 'give-up').map((e) => e.reason)).toEqual(['not-retryable']);
  });

  it('pushback from any attempt stops further hedges; the attempt in flight still answers', async () => {
    const pushback: FlakyAnswer = { code: UNAVAILABLE, trailers: { 'grpc-retry-pushback-ms': '1000' } };
    // The hedge at 200 ms is refused with pushback well before a second hedge would be due at 400 ms.
    const { server, client, events } = await setup([slow(800), pushback, ok], { maxAttempts: 3, delay: 200 });
    const result = await unary(client, { id: 'g' });
    expect(result.response).toMatchObject({ attempt: 1 });
    expect(server.seen).toHaveLength(2);
    expect(ofType(events, 'hedge').map((e) => e.attempt)).toEqual([2]);
  });

  it('hedges and retries share one attempt count: hedged, then retried, never more than the retry maxAttempts', async () => {
    const failing: FlakyAnswer = { code: UNAVAILABLE };
    // Attempt 1 fails after 400 ms, the hedge at 100 ms fails at once, the retry (attempt 3) answers.
    const { server, client, events } = await setup([{ code: UNAVAILABLE, delayMs: 400 }, failing, ok], { maxAttempts: 2 }, { maxAttempts: 3 });
    const result = await unary(client, { id: 'h' });
    expect(result.response).toMatchObject({ attempt: 3 });
    expect(server.seen.map((s) => s.previousAttempts)).toEqual([undefined, '1', '2']);
    expect(ofType(events, 'hedge').map((e) => e.attempt)).toEqual([2]);
    expect(ofType(events, 'retry').map((e) => e.attempt)).toEqual([3]);
    // All failing: the count stops at the retry maxAttempts (3), hedges included.
    server.seen.length = 0;
    server.answers = [{ code: UNAVAILABLE, delayMs: 400 }, failing, failing, failing, failing];
    const failed = await unary(client, { id: 'i' });
    expect(failed.status.code).toBe(UNAVAILABLE);
    expect(failed.status.metadata.get(ATTEMPTS_KEY)).toEqual(['3']);
    await sleep(50);
    expect(server.seen).toHaveLength(3);
  });

  it('with the retry budget spent, no hedge is sent', async () => {
    const budget = createRetryBudget({ retryRatio: 0, minRetriesPerSecond: 0 });
    const { server, client, events } = await setup([slow(100), ok], {}, { budget });
    const result = await unary(client, { id: 'j' });
    expect(result.response).toMatchObject({ attempt: 1 });
    expect(server.seen).toHaveLength(1);
    expect(ofType(events, 'budget-exhausted')).toHaveLength(1);
    expect(ofType(events, 'hedge')).toEqual([]);
  });

  it('an open breaker means no hedge: the hedge is refused locally and nothing more is sent', async () => {
    const breaker = breakerClientInterceptor({ errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeoutMs: 10_000 });
    try {
      const { server, client, events } = await setup([{ code: UNAVAILABLE }], { maxAttempts: 3, delay: 300 }, { maxAttempts: 1 }, [breaker]);
      // Two failures open the breaker of the method.
      await unary(client, { id: 'x' });
      await unary(client, { id: 'y' });
      expect(server.seen).toHaveLength(2);
      server.seen.length = 0;
      const refused = await unary(client, { id: 'k' });
      expect(refused.status.code).toBe(UNAVAILABLE);
      expect(server.seen).toHaveLength(0);
      expect(ofType(events, 'hedge')).toEqual([]);
    } finally {
      breaker.dispose();
    }
  });

  it('a breaker that opens while the first attempt is in flight refuses the hedge locally, and hedging stops', async () => {
    const breaker = breakerClientInterceptor({ errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeoutMs: 10_000, scope: 'service' });
    try {
      const { server, client, events } = await setup([slow(600), { code: UNAVAILABLE }], { maxAttempts: 3, delay: 300 }, { maxAttempts: 1 }, [breaker]);
      const pending = unary(client, { id: 'l' });
      await eventually(() => server.seen.length === 1);
      // Two failures of another method of the service open the breaker before the hedge is due.
      await unary(client, { id: 'm' }, { method: 'write' });
      await unary(client, { id: 'n' }, { method: 'write' });
      const result = await pending;
      expect(result.response).toMatchObject({ attempt: 1 });
      expect(server.seen.map((s) => s.method)).toEqual(['unary', 'write', 'write']);
      // The hedge went to the breaker, which refused it without sending; no second hedge followed.
      expect(ofType(events, 'hedge').map((e) => e.attempt)).toEqual([2]);
    } finally {
      breaker.dispose();
    }
  });

  it('respects the deadline: no hedge due after it, and the call ends at it', async () => {
    const { server, client, events } = await setup([hang], { maxAttempts: 5, delay: 80 });
    const started = performance.now();
    const result = await unary(client, { id: 'o' }, { callOptions: { deadline: Date.now() + 200 } });
    const elapsed = performance.now() - started;
    expect(result.status.code).toBe(DEADLINE_EXCEEDED);
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1_500);
    await sleep(100);
    // Hedges due at 80 and 160 ms (later on a loaded machine); the next would be due after the deadline.
    expect(server.seen.length).toBeGreaterThanOrEqual(2);
    expect(server.seen.length).toBeLessThanOrEqual(3);
    expect(ofType(events, 'hedge')).toHaveLength(server.seen.length - 1);
    await eventually(() => server.seen.every((s) => s.cancelled));
    // A delay longer than the time left: no hedge at all.
    server.seen.length = 0;
    const short = await unary(client, { id: 'p' }, { callOptions: { deadline: Date.now() + 60 } });
    expect(short.status.code).toBe(DEADLINE_EXCEEDED);
    await sleep(60);
    expect(server.seen).toHaveLength(1);
  });

  it('a slow replica behind round robin: its calls are hedged to the other and cancelled', async () => {
    const fast = await startFlakyServer([ok]);
    const slowReplica = await startFlakyServer([slow(1_500)]);
    servers = [fast, slowReplica];
    const retrying = retryClientInterceptor({ methods: idempotent });
    client = echoClient(`ipv4:${fast.address},${slowReplica.address}`, {
      interceptors: [hedgingClientInterceptor({ delay: 50, retry: retrying }), retrying],
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    });
    await connected(client);
    // Round robin picks a replica per attempt: wait until it has both (calls unhedged meanwhile).
    const unhedged = { callOptions: withResilience(undefined, { hedging: false }) };
    for (let i = 0; i < 50 && (fast.seen.length === 0 || slowReplica.seen.length === 0); i++) await unary(client, { id: 'warm-up' }, unhedged);
    fast.seen.length = 0;
    slowReplica.seen.length = 0;
    const durations: number[] = [];
    for (let i = 0; i < 8; i++) {
      const started = performance.now();
      const result = await unary(client, { id: `r${i}` });
      durations.push(performance.now() - started);
      expect(result.status.code).toBe(OK);
    }
    expect(slowReplica.seen.length, JSON.stringify({ durations, fast: fast.seen, slow: slowReplica.seen })).toBeGreaterThan(0);
    await eventually(() => slowReplica.seen.every((s) => s.cancelled));
    expect(slowReplica.seen.every((s) => s.cancelled), JSON.stringify({ durations, fast: fast.seen, slow: slowReplica.seen })).toBe(true);
    expect(Math.max(...durations)).toBeLessThan(1_000);
  });
});

describe('hedging: server streaming', () => {
  it('commits at the first response: the stalled attempt is cancelled, and a slow stream is not hedged again', async () => {
    const stream: FlakyAnswer = { code: OK, messages: 3, gapMs: 250 };
    const { server, client, events } = await setup([hang, stream, ok], { maxAttempts: 3, delay: 150 });
    const result = await collectStream(client.serverStream({ id: 's' }));
    expect(result.status.code).toBe(OK);
    expect(result.messages.map((m) => m.attempt)).toEqual([2, 2, 2]);
    // Hedged at 150 ms; the hedge's first message committed the call before the next hedge was due.
    expect(server.seen.map((s) => s.method)).toEqual(['serverStream', 'serverStream']);
    await eventually(() => server.seen[0].cancelled);
    expect(server.seen.map((s) => s.cancelled)).toEqual([true, false]);
    expect(ofType(events, 'hedge').map((e) => e.attempt)).toEqual([2]);
    expect(activeChannelCalls(client)).toBe(0);
  });
});

describe('hedging: settings per method and per call', () => {
  it('a call can turn hedging off, or on with its own delay', async () => {
    const { server, client } = await setup([slow(80)], { maxAttempts: 1 });
    await unary(client, { id: 't' });
    expect(server.seen).toHaveLength(1);
    server.seen.length = 0;
    server.answers = [hang, ok];
    const hedged = await unary(client, { id: 'u' }, { callOptions: withResilience(undefined, { hedging: { maxAttempts: 2, delay: 10 } }) });
    expect(hedged.response).toMatchObject({ attempt: 2 });
    server.seen.length = 0;
    server.answers = [slow(80)];
    const off = await unary(client, { id: 'v' }, { callOptions: withResilience(undefined, { hedging: false }) });
    expect(off.status.code).toBe(OK);
    expect(server.seen).toHaveLength(1);
  });

  it('per method: only the methods configured are hedged', async () => {
    const { server, client } = await setup([slow(80)], { maxAttempts: 1, methods: { [ECHO_PATHS.serverStream]: { maxAttempts: 2 } } });
    await unary(client, { id: 'w' });
    expect(server.seen).toHaveLength(1);
  });

  it('adaptive delay: no hedge until enough latencies are known, then a hedge at the percentile (not below its floor)', async () => {
    const { server, client, events } = await setup([ok], { delay: { percentile: 90, minMs: 15 } });
    server.answers = [hang, ok];
    const cold = unary(client, { id: 'cold' }, { callOptions: { deadline: Date.now() + 150 } });
    expect((await cold).status.code).toBe(DEADLINE_EXCEEDED); // not hedged: nothing known yet
    server.seen.length = 0;
    server.answers = [ok];
    for (let i = 0; i < 12; i++) await unary(client, { id: `warm${i}` });
    server.seen.length = 0;
    server.answers = [hang, ok];
    events.length = 0; // a warm-up call slower than the percentile may have been hedged: fine
    const started = performance.now();
    const warm = await unary(client, { id: 'warm' });
    expect(warm.response).toMatchObject({ attempt: 2 });
    const hedge = ofType(events, 'hedge');
    expect(hedge).toHaveLength(1);
    // Loopback answers take about a millisecond: the floor sets the delay.
    expect(hedge[0].delayMs).toBeGreaterThanOrEqual(14);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('hedging in the client stack', () => {
  it('off unless asked for; when on, idempotency comes from the retry settings and hedges are counted in call-end', async () => {
    server = await startFlakyServer([hang, ok]);
    const events: ResilienceEvent[] = [];
    const plain = clientInterceptors({ retry: { methods: idempotent } });
    const stack = clientInterceptors({ retry: { methods: idempotent }, hedging: { delay: 20 }, onEvent: (e) => events.push(e) });
    expect(stack).toHaveLength(plain.length + 3); // hedging, and the two observers
    client = echoClient(server.address, { interceptors: stack });
    await connected(client);
    const result = await unary(client, { id: 'z' });
    expect(result.response).toMatchObject({ attempt: 2 });
    const end = ofType(events, 'call-end')[0];
    expect(end).toMatchObject({ attempts: 2, hedges: 1, code: OK });
    expect(ofType(events, 'attempt-end').map((e) => [e.attempt, e.code])).toEqual(
      expect.arrayContaining([
        [1, grpc.status.CANCELLED],
        [2, OK],
      ]),
    );
    stack.dispose();
    plain.dispose();
  });

  it('with retries off in the stack, hedging still follows the proto idempotency and never retries', async () => {
    server = await startFlakyServer([hang, { code: UNAVAILABLE }]);
    const stack = clientInterceptors({ retry: false, hedging: { delay: 20 }, service: serviceWithIdempotentUnary });
    client = echoClient(server.address, { interceptors: stack });
    await connected(client);
    const result = await unary(client, { id: 'aa' }, { callOptions: { deadline: Date.now() + 200 } });
    expect(result.status.code).toBe(DEADLINE_EXCEEDED); // the hedge failed; no retry; the first attempt never answered
    expect(server.seen).toHaveLength(2);
    stack.dispose();
  });

  it('rejects bad options, naming them', () => {
    expect(() => clientInterceptors({ hedging: { delay: -5 } })).toThrow(/hedging\.delay must be between 0/);
    expect(() => clientInterceptors({ hedging: 'fast' as never })).toThrow(/hedging must be an object or false/);
    expect(() => hedgingClientInterceptor({ retry: () => undefined as never })).toThrow(/hedging\.retry must be an interceptor made by retryClientInterceptor/);
    expect(() => hedgingClientInterceptor({ methods: { 'nope/x/y': { delay: 1 } } })).toThrow(/"nope\/x\/y" is neither a method path/);
  });
});

const serviceWithIdempotentUnary = {
  unary: { path: ECHO_PATHS.unary, options: { idempotency_level: 'IDEMPOTENT' } },
  write: { path: ECHO_PATHS.write, options: {} },
};
