import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientInterceptors,
  currentCallContext,
  decodeRichStatus,
  serverInterceptors,
  withResilience,
  wrapService,
  type Criticality,
} from '../../src';
import type { OverloadOptions } from '../../src/overload';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { callKind } from '../helpers/call-kinds';
import { closeAll, ECHO_PATHS, echoClient, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';

const HEADER = 'x-resilience-criticality';

/** Resolves when `condition` holds (checked every 5 ms), or fails after `ms`. */
async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function marked(criticality: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (criticality !== undefined) md.set(HEADER, criticality);
  return md;
}

/** A server whose handlers hold every call until `release()`; records the calls that reached a handler. */
async function holdingServer(overload: Omit<OverloadOptions, 'onEvent'>, events: ResilienceEvent[] = []) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const seen: { criticality: Criticality | undefined; method: string }[] = [];
  const hold = async (call: { request?: EchoMessage }) => {
    seen.push({ criticality: currentCallContext()?.criticality, method: currentCallContext()?.method ?? '' });
    await gate;
    return call.request ?? {};
  };
  const server = await startEchoServer(
    wrapService({
      unary: hold,
      write: hold,
      serverStream: async (call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) => {
        seen.push({ criticality: currentCallContext()?.criticality, method: ECHO_PATHS.serverStream });
        await gate;
        call.write({});
      },
    }),
    { interceptors: serverInterceptors({ overload, onEvent: (e) => events.push(e) }) },
  );
  return {
    server,
    seen,
    /** Lets every held call, and every later one, through. */
    release: () => open(),
  };
}

let server: TestServer | undefined;
let client: EchoClient | undefined;
let releaseAll: (() => void) | undefined;

afterEach(async () => {
  releaseAll?.();
  await closeAll(client, server);
  server = client = releaseAll = undefined;
});

describe('overload protection on a real server', () => {
  it('refuses calls over the limit before the handler runs: RESOURCE_EXHAUSTED, RetryInfo and the pushback trailer', async () => {
    const events: ResilienceEvent[] = [];
    const s = await holdingServer({ limit: 2, retryAfterMs: 200, random: () => 0.5 }, events);
    server = s.server;
    releaseAll = s.release;
    client = echoClient(server.address);
    const held = [unary(client, { id: '1' }), unary(client, { id: '2' })];
    await waitFor(() => s.seen.length === 2);

    const refused = await unary(client, { id: '3' });
    expect(refused.status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.status.details).toBe('Server overloaded: the call was not started; retry after 200 ms');
    expect(refused.status.metadata.get('grpc-retry-pushback-ms')).toEqual(['200']);
    const rich = decodeRichStatus(refused.status.metadata.get('grpc-status-details-bin')[0] as Buffer);
    expect(rich.details).toEqual([{ type: 'RetryInfo', value: { retryDelay: { seconds: 0, nanos: 200_000_000 } } }]);
    expect(refused.status.metadata.get('x-trace-id')).toHaveLength(1); // the context interceptor is outside
    expect(s.seen).toHaveLength(2);
    const reject = events.find((e) => e.type === 'overload-reject');
    expect(reject).toMatchObject({
      method: ECHO_PATHS.unary,
      criticality: 'default',
      scope: 'server',
      limit: 2,
      inFlight: 2,
      retryAfterMs: 200,
    });
    expect(reject?.type === 'overload-reject' && reject.traceId).toMatch(/^[0-9a-f]{32}$/);

    s.release();
    expect((await Promise.all(held)).map((r) => r.status.code)).toEqual([grpc.status.OK, grpc.status.OK]);
    expect((await unary(client, { id: '4' })).status.code).toBe(grpc.status.OK); // the slots came back
    expect(s.seen).toHaveLength(3);
  });

  it('jitters the wait it tells refused callers (±50 %)', async () => {
    let n = 0;
    const s = await holdingServer({ limit: 1, retryAfterMs: 100, random: () => [0, 0.999, 0.25][n++ % 3] });
    server = s.server;
    releaseAll = s.release;
    client = echoClient(server.address);
    const held = unary(client, {});
    await waitFor(() => s.seen.length === 1);
    const waits = [];
    for (let i = 0; i < 3; i++) waits.push((await unary(client, {})).status.metadata.get('grpc-retry-pushback-ms')[0]);
    expect(waits).toEqual(['50', '150', '75']);
    s.release();
    await held;
  });

  it('sheds sheddable calls first and critical calls last', async () => {
    // Limit 10: sheddable calls fill up to 5, default up to 9, critical up to 10.
    const s = await holdingServer({ limit: 10 });
    server = s.server;
    releaseAll = s.release;
    client = echoClient(server.address);
    const held: Promise<unknown>[] = [];
    const admit = async (criticality: string | undefined, count: number) => {
      for (let i = 0; i < count; i++) held.push(unary(client!, {}, { metadata: marked(criticality) }));
      await waitFor(() => s.seen.length === held.length);
    };
    const refusedNow = async (criticality: string | undefined) =>
      (await unary(client!, {}, { metadata: marked(criticality) })).status.code === grpc.status.RESOURCE_EXHAUSTED;

    await admit('sheddable', 5);
    expect(await refusedNow('sheddable')).toBe(true);
    await admit(undefined, 3);
    await admit('default', 1);
    expect(await refusedNow('default')).toBe(true);
    expect(await refusedNow(undefined)).toBe(true);
    await admit('critical', 1);
    expect(await refusedNow('critical')).toBe(true);
    expect(s.seen.map((c) => c.criticality)).toEqual([
      ...Array(5).fill('sheddable'),
      undefined,
      undefined,
      undefined,
      'default',
      'critical',
    ]);
    s.release();
    await Promise.all(held);
  });

  it('treats a hostile criticality as default and never reflects it', async () => {
    const s = await holdingServer({ limit: 2, shares: { sheddable: 0.5 } });
    server = s.server;
    releaseAll = s.release;
    client = echoClient(server.address);
    const hostile = ['CRITICAL', 'critical ', 'critical, critical', '<script>', 'x'.repeat(4000)];
    const held = unary(client, {}, { metadata: marked('sheddable') });
    await waitFor(() => s.seen.length === 1);
    const second = unary(client, {}, { metadata: marked(hostile[0]) }); // default: admitted as the 2nd of 2
    await waitFor(() => s.seen.length === 2);
    expect(s.seen[1].criticality).toBeUndefined(); // the handler's context does not carry it either
    for (const value of hostile) {
      const refused = await unary(client, {}, { metadata: marked(value) });
      expect(refused.status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(JSON.stringify(refused.status.metadata.getMap()) + refused.status.details).not.toContain(value.slice(0, 50));
    }
    s.release();
    await Promise.all([held, second]);
  });

  it('applies a method limit on top of the server limit, and a method criticality to unmarked calls', async () => {
    const s = await holdingServer({
      limit: 100,
      methods: { [ECHO_PATHS.write]: { limit: 1 }, 'test.v1.EchoService': { criticality: 'sheddable' } },
    });
    server = s.server;
    releaseAll = s.release;
    client = echoClient(server.address);
    const held = [unary(client, {}, { method: 'write' }), unary(client, {})];
    await waitFor(() => s.seen.length === 2);
    expect((await unary(client, {}, { method: 'write' })).status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((await unary(client, {}, { method: 'write', metadata: marked('critical') })).status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    s.release();
    await Promise.all(held);
  });

  it('leaves streaming calls to per-method limits: the server limit counts unary calls only', async () => {
    const s = await holdingServer({ limit: 1, methods: { [ECHO_PATHS.serverStream]: { limit: 2 } } });
    server = s.server;
    releaseAll = s.release;
    client = echoClient(server.address);
    const held = [callKind(client, 'unary', {}), callKind(client, 'serverStream', {}), callKind(client, 'serverStream', {})];
    await waitFor(() => s.seen.length === 3);
    expect((await callKind(client, 'serverStream', {})).status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((await callKind(client, 'unary', {})).status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    s.release();
    expect((await Promise.all(held)).map((r) => r.status.code)).toEqual([0, 0, 0]);
  });

  it('frees the slot of a call its client cancelled', async () => {
    const s = await holdingServer({ limit: 1 });
    server = s.server;
    releaseAll = s.release;
    client = echoClient(server.address);
    const call = client.unary({}, () => undefined);
    await waitFor(() => s.seen.length === 1);
    call.cancel();
    // The cancellation reaches the server shortly; from then on a new call is admitted.
    const later: Promise<unknown>[] = [];
    await waitFor(() => {
      if (later.length === 0 || s.seen.length < 2) later.push(unary(client!, {}));
      return s.seen.length === 2;
    });
    s.release();
    await Promise.all(later);
  });

  it('takes the mark the client stack sets per call or per method, and carries it on through the call context', async () => {
    const back = await holdingServer({ limit: 100 });
    server = back.server;
    releaseAll = back.release;
    const stack = () => ({
      interceptors: clientInterceptors({ retry: false, criticality: { methods: { [ECHO_PATHS.write]: 'critical' } } }),
    });
    // The front has no overload protection; its handler calls the back.
    const toBack = echoClient(back.server.address, stack());
    const front = await startEchoServer(wrapService({ unary: () => unary(toBack, {}).then((r) => r.response ?? {}) }), {
      interceptors: serverInterceptors(),
    });
    const toFront = echoClient(front.address, stack());
    try {
      const calls = [
        unary(toBack, {}, { method: 'write' }), // per method
        unary(toBack, {}, { method: 'write', callOptions: withResilience({}, { criticality: 'sheddable' }) }), // per call wins
        unary(toBack, {}), // unmarked: no header
        unary(toFront, {}, { callOptions: withResilience({}, { criticality: 'sheddable' }) }), // carried on by the front
        unary(toFront, {}), // unmarked all the way
      ];
      await waitFor(() => back.seen.length === 5);
      expect(back.seen.map((c) => c.criticality ?? 'none').sort()).toEqual(['critical', 'none', 'none', 'sheddable', 'sheddable']);
      back.release();
      expect((await Promise.all(calls)).map((r) => r.status.code)).toEqual([0, 0, 0, 0, 0]);
    } finally {
      await closeAll(toFront, front, toBack);
    }
  });
});
