import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { breakerClientInterceptor, createBreakerRegistry, type BreakerInterceptor, type BreakerOptions } from '../../src/breaker';
import { readRetryInfoMs } from '../../src/details';
import { localFailureKind } from '../../src/status';
import type { ResilienceEvent } from '../../src/telemetry';
import { callKind } from '../helpers/call-kinds';
import { closeAll, collectStream, echoClient, ECHO_PATHS, sleep, startEchoServer, unary, type EchoClient } from '../helpers';
import { activeChannelCalls, startScriptedServer, type Script, type ScriptedServer } from '../helpers/scripted-server';

const { OK, UNAVAILABLE, NOT_FOUND, DEADLINE_EXCEEDED, INVALID_ARGUMENT, CANCELLED } = grpc.status;

let server: ScriptedServer | undefined;
let client: EchoClient | undefined;
let breaker: BreakerInterceptor | undefined;

afterEach(async () => {
  await closeAll(client, breaker, server);
  client = breaker = server = undefined;
});

async function setup(options: BreakerOptions, script: Script = { code: OK }) {
  const events: ResilienceEvent[] = [];
  server = await startScriptedServer(script);
  breaker = breakerClientInterceptor({ onEvent: (e) => events.push(e), ...options });
  client = echoClient(server.address, { interceptors: [breaker] });
  return { server, client, breaker, events };
}

/** Lets opossum's promise-based accounting settle. */
const settle = () => sleep(5);

describe('breakerClientInterceptor with a real server', () => {
  it('opens after the threshold, sends nothing while open, lets exactly one probe through, and closes on recovery', async () => {
    const { server, client, breaker, events } = await setup(
      { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 300 },
      { code: UNAVAILABLE },
    );
    for (let i = 0; i < 4; i++) expect((await unary(client, { id: `f${i}` })).status.code).toBe(UNAVAILABLE);
    await settle();
    expect(server.calls.unary).toBe(4);
    const key = `dns:${server.address}${ECHO_PATHS.unary}`;
    expect(breaker.registry.get(key)?.state).toBe('open');

    // Open: failed locally, nothing sent, RetryInfo says when the probe comes.
    const rejected = await Promise.all(Array.from({ length: 10 }, () => unary(client!, { id: 'x' })));
    expect(server.calls.unary).toBe(4);
    for (const r of rejected) {
      expect(r.status.code).toBe(UNAVAILABLE);
      expect(r.status.details).toContain(key);
      expect(localFailureKind(r.status.metadata)).toBe('breaker-open');
      const retryAfter = readRetryInfoMs(r.status.metadata);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(300);
    }
    expect(activeChannelCalls(client)).toBe(0); // the inner calls were released
    expect(events.filter((e) => e.type === 'breaker-reject')).toHaveLength(10);

    // After the reset timeout: a burst of calls, exactly one reaches the (recovered) server.
    server.script = { code: OK };
    await sleep(400);
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => unary(client!, { id: `b${i}` })));
    expect(server.calls.unary).toBe(5);
    expect(burst.filter((r) => r.status.code === OK)).toHaveLength(1);
    expect(burst.filter((r) => localFailureKind(r.status.metadata) === 'breaker-open')).toHaveLength(7);
    await settle();
    expect(breaker.registry.get(key)?.state).toBe('closed');

    // Closed again: calls flow.
    const after = await Promise.all(Array.from({ length: 5 }, () => unary(client!, { id: 'ok' })));
    expect(after.every((r) => r.status.code === OK)).toBe(true);
    expect(server.calls.unary).toBe(10);
    expect(events.filter((e) => e.type === 'breaker-state').map((e) => e.type === 'breaker-state' && `${e.from}>${e.to}`)).toEqual([
      'closed>open',
      'open>half-open',
      'half-open>closed',
    ]);
    for (const e of events) if (e.type === 'breaker-state') expect(e.key).toBe(key);
  });

  it('re-opens when the probe fails, for another full reset timeout', async () => {
    const { server, client, breaker, events } = await setup({ volumeThreshold: 2, resetTimeoutMs: 250 }, { code: UNAVAILABLE });
    await unary(client, {});
    await unary(client, {});
    await settle();
    await sleep(300);
    const probe = await unary(client, {});
    expect(probe.status.code).toBe(UNAVAILABLE);
    expect(localFailureKind(probe.status.metadata)).toBeUndefined(); // it went to the server
    expect(server.calls.unary).toBe(3);
    await settle();
    const snapshot = breaker.registry.snapshot()[0];
    expect(snapshot.state).toBe('open');
    expect(snapshot.retryAfterMs).toBeGreaterThan(150);
    const rejected = await unary(client, {});
    expect(localFailureKind(rejected.status.metadata)).toBe('breaker-open');
    expect(server.calls.unary).toBe(3);
    const transitions = events.flatMap((e) => (e.type === 'breaker-state' ? [`${e.from}>${e.to}`] : []));
    expect(transitions).toEqual(['closed>open', 'open>half-open', 'half-open>open']);
  });

  it('never opens on a storm of client faults (NOT_FOUND, INVALID_ARGUMENT)', async () => {
    const { server, client, breaker } = await setup({ volumeThreshold: 5, errorThresholdPercentage: 10 }, { code: NOT_FOUND });
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(Array.from({ length: 25 }, () => unary(client!, {})));
      expect(results.every((r) => r.status.code === NOT_FOUND)).toBe(true);
    }
    server.script = { code: INVALID_ARGUMENT };
    await Promise.all(Array.from({ length: 25 }, () => unary(client!, {})));
    await settle();
    expect(server.calls.unary).toBe(125);
    const [snapshot] = breaker.registry.snapshot();
    expect(snapshot.state).toBe('closed');
    expect(snapshot.failures).toBe(0);
    expect(snapshot.calls).toBe(125); // counted, as successes: the server answered
  });

  it('opens on UNAVAILABLE', async () => {
    const { client, breaker } = await setup({ volumeThreshold: 5 }, { code: UNAVAILABLE });
    await Promise.all(Array.from({ length: 5 }, () => unary(client!, {})));
    await settle();
    expect(breaker.registry.snapshot()[0].state).toBe('open');
  });

  it('opens on DEADLINE_EXCEEDED (a server slower than the deadline)', async () => {
    const { server, client, breaker } = await setup({ volumeThreshold: 5 }, { code: OK, delayMs: 200 });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => unary(client!, {}, { callOptions: { deadline: Date.now() + 30 } })),
    );
    expect(results.every((r) => r.status.code === DEADLINE_EXCEEDED)).toBe(true);
    await settle();
    expect(breaker.registry.snapshot()[0].state).toBe('open');
    expect(server.calls.unary).toBeGreaterThan(0);
  });

  it('does not count calls the caller cancelled (they neither trip nor dilute)', async () => {
    const { server, client, breaker } = await setup({ volumeThreshold: 3, errorThresholdPercentage: 50 }, { code: OK, delayMs: 2_000 });
    const statuses = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<number>((resolve) => {
            const call = client!.unary({}, new grpc.Metadata(), {}, (err: grpc.ServiceError | null) => resolve(err ? err.code : OK));
            setTimeout(() => call.cancel(), 30);
          }),
      ),
    );
    expect(statuses.every((c) => c === CANCELLED)).toBe(true);
    await settle();
    expect(breaker.registry.snapshot()[0]).toMatchObject({ state: 'closed', calls: 0, failures: 0 });
    // Three failures now open it: 3 of 3 counted calls. Had the cancellations counted as
    // successes, the rate would be 3 of 13 and it would stay closed.
    server.script = { code: UNAVAILABLE };
    for (let i = 0; i < 3; i++) await unary(client, {});
    await settle();
    expect(breaker.registry.snapshot()[0]).toMatchObject({ state: 'open' });
  });

  it('consults the breaker when a streaming call starts and counts its final status', async () => {
    const { server, client, breaker } = await setup(
      { volumeThreshold: 3, resetTimeoutMs: 5_000 },
      { code: UNAVAILABLE, messagesBeforeStatus: 2 },
    );
    // Server streams that deliver messages and then fail count as failures when they end.
    for (let i = 0; i < 3; i++) {
      const r = await callKind(client, 'serverStream', { id: `s${i}` });
      expect(r.messages).toHaveLength(2);
      expect(r.status.code).toBe(UNAVAILABLE);
    }
    await settle();
    const key = `dns:${server.address}${ECHO_PATHS.serverStream}`;
    expect(breaker.registry.get(key)?.state).toBe('open');
    // Consulted at start: refused before anything is sent.
    const refused = await callKind(client, 'serverStream', { id: 'late' });
    expect(refused.messages).toHaveLength(0);
    expect(localFailureKind(refused.status.metadata)).toBe('breaker-open');
    expect(server.calls.serverStream).toBe(3);
    // Other methods have their own breakers (scope 'method').
    server.script = { code: OK };
    expect((await callKind(client, 'bidi', { id: 'b' })).status.code).toBe(OK);
    expect((await callKind(client, 'clientStream', { id: 'c' })).status.code).toBe(OK);
    expect(activeChannelCalls(client)).toBe(0);
  });

  it('counts bidi and client-streaming calls when they end', async () => {
    const { server, client, breaker } = await setup({ volumeThreshold: 2, scope: 'service' }, { code: UNAVAILABLE });
    await callKind(client, 'bidi', {});
    await callKind(client, 'clientStream', {});
    await settle();
    // Service scope: one breaker for the whole service, now open for every method.
    expect(breaker.registry.size).toBe(1);
    expect(breaker.registry.snapshot()[0].key).toBe(`dns:${server.address}/test.v1.EchoService`);
    const refused = await unary(client, {});
    expect(localFailureKind(refused.status.metadata)).toBe('breaker-open');
    expect(server.total()).toBe(2);
  });

  it('uses the configured target name in keys and events', async () => {
    const { client, events } = await setup({ target: 'users', volumeThreshold: 1 }, { code: UNAVAILABLE });
    await unary(client, {});
    await settle();
    const rejected = await unary(client, {});
    expect(rejected.status.details).toContain(`users${ECHO_PATHS.unary}`);
    expect(events.find((e) => e.type === 'breaker-state')).toMatchObject({ key: `users${ECHO_PATHS.unary}`, target: 'users', to: 'open' });
    expect(events.find((e) => e.type === 'breaker-reject')).toMatchObject({ method: ECHO_PATHS.unary, target: 'users' });
  });

  it('keeps breakers of different targets apart when one interceptor is shared (default target: the channel target)', async () => {
    const failing = await startScriptedServer({ code: UNAVAILABLE });
    const healthy = await startScriptedServer({ code: OK });
    const shared = breakerClientInterceptor({ volumeThreshold: 2 });
    const a = echoClient(failing.address, { interceptors: [shared] });
    const b = echoClient(healthy.address, { interceptors: [shared] });
    try {
      await unary(a, {});
      await unary(a, {});
      await settle();
      expect(localFailureKind((await unary(a, {})).status.metadata)).toBe('breaker-open');
      expect((await unary(b, {})).status.code).toBe(OK);
      expect(shared.registry.snapshot().map((x) => [x.key, x.state])).toEqual([
        [`dns:${failing.address}${ECHO_PATHS.unary}`, 'open'],
        [`dns:${healthy.address}${ECHO_PATHS.unary}`, 'closed'],
      ]);
    } finally {
      a.close();
      b.close();
      shared.dispose();
      await failing.close();
      await healthy.close();
    }
  });

  it('follows the status table, per method', async () => {
    const { server, client, breaker } = await setup(
      { volumeThreshold: 2, statusTable: { methods: { [ECHO_PATHS.unary]: { NOT_FOUND: { breakerFailure: true } } } } },
      { code: NOT_FOUND },
    );
    await unary(client, {});
    await unary(client, {});
    await callKind(client, 'serverStream', {});
    await callKind(client, 'serverStream', {});
    await callKind(client, 'serverStream', {});
    await settle();
    const states = Object.fromEntries(breaker.registry.snapshot().map((x) => [x.key.slice(x.key.lastIndexOf('/') + 1), x.state]));
    expect(states).toEqual({ Unary: 'open', ServerStream: 'closed' });
    expect(server.calls.unary).toBe(2);
  });

  it('lets calls through unprotected after dispose()', async () => {
    const { server, client, breaker } = await setup({ volumeThreshold: 1 }, { code: UNAVAILABLE });
    await unary(client, {});
    await settle();
    breaker.dispose();
    expect((await unary(client, {})).status.details).toBe(`scripted ${UNAVAILABLE}`);
    expect(server.calls.unary).toBe(2);
    expect(breaker.registry.size).toBe(0);
  });

  it('validates its options, naming the option', () => {
    expect(() => breakerClientInterceptor({ scope: 'host' as never })).toThrow(/breaker\.scope must be one of 'method', 'service'/);
    expect(() => breakerClientInterceptor({ target: '' })).toThrow(/breaker\.target must be a non-empty string/);
    expect(() => breakerClientInterceptor({ resetTimeout: 5 } as never)).toThrow(/breaker: unknown option "resetTimeout"/);
    expect(() => breakerClientInterceptor({ statusTable: { overrides: { NOPE: {} } } })).toThrow(/"NOPE" is not a gRPC status code/);
    const registry = createBreakerRegistry();
    expect(() => breakerClientInterceptor({ registry, volumeThreshold: 3 })).toThrow(
      /breaker: volumeThreshold cannot be combined with breaker\.registry/,
    );
    expect(() => breakerClientInterceptor({ registry: {} as never })).toThrow(/breaker\.registry must be a BreakerRegistry/);
    const shared = breakerClientInterceptor({ registry, target: 'users' });
    expect(shared.registry).toBe(registry);
    registry.dispose();
  });

  it('lets a long-lived stream probe close the breaker as soon as the server answers', async () => {
    let mode: 'fail' | 'hold' = 'fail';
    let served = 0;
    const holding = await startEchoServer({
      serverStream: (call: grpc.ServerWritableStream<object, object>) => {
        served++;
        if (mode === 'fail') {
          call.emit('error', { code: UNAVAILABLE, details: 'down' });
          return;
        }
        call.write({ index: 0 }); // and keep the stream open until the client cancels
      },
    });
    const watchBreaker = breakerClientInterceptor({ volumeThreshold: 2, resetTimeoutMs: 200 });
    const watcher = echoClient(holding.address, { interceptors: [watchBreaker] });
    try {
      await collectStream(watcher.serverStream({}));
      await collectStream(watcher.serverStream({}));
      await settle();
      expect(watchBreaker.registry.snapshot()[0].state).toBe('open');
      mode = 'hold';
      await sleep(250);
      const probe = watcher.serverStream({});
      probe.on('error', () => {});
      await new Promise((resolve) => probe.once('data', resolve)); // the server answered
      await settle();
      expect(watchBreaker.registry.snapshot()[0].state).toBe('closed');
      const next = watcher.serverStream({});
      next.on('error', () => {});
      await new Promise((resolve) => next.once('data', resolve)); // admitted while the probe still runs
      expect(served).toBe(4);
      probe.cancel();
      next.cancel();
    } finally {
      watcher.close();
      watchBreaker.dispose();
      await holding.close();
    }
  });
});
