import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echoClient, sleep, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from './index';
import { startRestartableEchoServer } from './restartable-server';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/** `unary` echoes; `write` answers after `count` ms (a call that is in flight for a while). */
const impl: grpc.UntypedServiceImplementation = {
  unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => cb(null, call.request),
  write: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
    const timer = setTimeout(() => cb(null, { text: 'written' }), call.request.count ?? 0);
    call.on('cancelled', () => clearTimeout(timer));
  },
};

let target: TestServer;
let proxy: TcpProxy;
const clients: EchoClient[] = [];

/** A client through the proxy; closed after each test so every test starts on a fresh connection. */
function client(): EchoClient {
  const c = echoClient(proxy.address);
  clients.push(c);
  return c;
}

const within = (ms: number) => ({ callOptions: { deadline: Date.now() + ms } });

/** Waits for the channel to be ready (riding out the reconnect backoff) instead of failing fast. */
const ready = (ms: number) => ({ ...within(ms), metadata: new grpc.Metadata({ waitForReady: true }) });

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

beforeAll(async () => {
  target = await startEchoServer(impl);
  proxy = await startTcpProxy(target.port);
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  proxy.heal();
});

afterAll(async () => {
  await proxy.close();
  await target.close();
});

describe('tcp proxy', () => {
  it('passes gRPC traffic through and counts it', async () => {
    const before = proxy.stats();
    const c = client();
    const { response } = await unary(c, { text: 'through the proxy' }, within(3000));
    expect(response).toEqual({ text: 'through the proxy' });
    const after = proxy.stats();
    expect(after.connections).toBe(before.connections + 1);
    expect(after.active).toBeGreaterThanOrEqual(1);
    expect(after.bytesUp).toBeGreaterThan(before.bytesUp);
    expect(after.bytesDown).toBeGreaterThan(before.bytesDown);
  });

  it('keeps large messages intact under latency and backpressure', async () => {
    const c = client();
    proxy.setLatency({ upMs: 5, downMs: 5 });
    const text = 'x'.repeat(1_500_000);
    const { response, error } = await unary(c, { text }, within(10_000));
    expect(error).toBeUndefined();
    expect(response?.text).toBe(text);
  });

  it('adds latency per direction, measurably, and removes it again', async () => {
    const c = client();
    await unary(c, {}, within(3000)); // connect first: measure calls, not the handshake
    const base = await timed(() => unary(c, {}, within(3000)));
    proxy.setLatency({ upMs: 100, downMs: 100 });
    const slow = await timed(() => unary(c, { text: 'slow' }, within(5000)));
    expect(slow.value.response).toEqual({ text: 'slow' });
    // A unary call needs the request to go up and the response to come down.
    expect(slow.ms).toBeGreaterThanOrEqual(195);
    proxy.setLatency({ upMs: 0 });
    const half = await timed(() => unary(c, {}, within(5000)));
    expect(half.ms).toBeGreaterThanOrEqual(95);
    expect(half.ms).toBeLessThan(slow.ms);
    proxy.setLatency(0);
    const fast = await timed(() => unary(c, {}, within(3000)));
    expect(fast.ms).toBeLessThan(95);
    expect(base.ms).toBeLessThan(95);
    expect(() => proxy.setLatency(-1)).toThrow(/latency must be a finite number ≥ 0/);
  });

  it('resetAll() fails in-flight calls with UNAVAILABLE; the client reconnects', async () => {
    const c = client();
    await unary(c, {}, within(3000));
    const inFlight = unary(c, { count: 2000 }, { method: 'write', ...within(5000) });
    await sleep(100);
    const resetsBefore = proxy.stats().resets;
    expect(proxy.resetAll()).toBeGreaterThanOrEqual(1);
    const { value, ms } = await timed(() => inFlight);
    expect(value.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(ms).toBeLessThan(1000);
    expect(proxy.stats().resets).toBeGreaterThan(resetsBefore);
    // A new call reconnects through the proxy (waitForReady rides out the reconnect backoff).
    const again = await unary(c, { text: 'again' }, ready(5000));
    expect(again.response).toEqual({ text: 'again' });
  });

  it('blackhole(true) makes calls on an open connection hit their deadline; off restores them', async () => {
    const c = client();
    await unary(c, {}, within(3000));
    proxy.blackhole(true);
    const { value, ms } = await timed(() => unary(c, {}, within(300)));
    expect(value.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(ms).toBeGreaterThanOrEqual(280);
    proxy.blackhole(false);
    expect((await unary(c, { text: 'healed' }, within(3000))).response).toEqual({ text: 'healed' });
  });

  it('blackhole(true) also swallows new connections; heal() lets them through', async () => {
    proxy.blackhole(true);
    const c = client();
    const stuck = await unary(c, {}, within(300));
    expect(stuck.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    proxy.heal();
    expect((await unary(c, { text: 'late' }, ready(5000))).response).toEqual({ text: 'late' });
  });

  it('refuse(true) closes new connections at once (UNAVAILABLE); refuse(false) accepts again', async () => {
    const before = proxy.stats();
    proxy.refuse(true);
    const c = client();
    const { value, ms } = await timed(() => unary(c, {}, within(3000)));
    expect(value.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(ms).toBeLessThan(2000);
    expect(proxy.stats().refused).toBeGreaterThan(before.refused);
    proxy.refuse(false);
    expect((await unary(c, { text: 'open' }, ready(5000))).response).toEqual({ text: 'open' });
  });

  it('close() ends open connections and leaves nothing behind', async () => {
    const own = await startTcpProxy(target.port);
    const c = echoClient(own.address);
    try {
      await unary(c, {}, within(3000));
      const inFlight = unary(c, { count: 2000 }, { method: 'write', ...within(5000) });
      await sleep(50);
      own.setLatency(10_000); // a pending latency timer must not survive close()
      await own.close();
      expect((await inFlight).error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(own.stats().active).toBe(0);
    } finally {
      c.close();
    }
  });
});

describe('restartable server', () => {
  it('stop() fails in-flight calls with UNAVAILABLE; start() serves again on the same port', async () => {
    const server = await startRestartableEchoServer(impl);
    const c = echoClient(server.address);
    try {
      expect((await unary(c, { text: 'one' }, within(3000))).response).toEqual({ text: 'one' });
      const port = server.port;
      const inFlight = unary(c, { count: 2000 }, { method: 'write', ...within(5000) });
      await sleep(100);
      await server.stop();
      expect(server.running).toBe(false);
      expect((await inFlight).error?.code).toBe(grpc.status.UNAVAILABLE);
      await server.start();
      expect(server.port).toBe(port);
      expect((await unary(c, { text: 'two' }, ready(5000))).response).toEqual({ text: 'two' });
      await server.restart(50);
      expect((await unary(c, { text: 'three' }, ready(5000))).response).toEqual({ text: 'three' });
    } finally {
      c.close();
      await server.close();
    }
  });
});
