import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { callContextServerInterceptor, currentCallContext } from '../../src/context';
import { readRetryInfoMs } from '../../src/details';
import { decideFault } from '../../src/testing/decide';
import { callRandom, hashString } from '../../src/testing/random';
import { compileRules, ruleFor } from '../../src/testing/rules';
import { faultInjector, type FaultEvent, type FaultInjector } from '../../src/testing';
import {
  collectStream,
  ECHO_PATHS,
  echoClient,
  sleep,
  startEchoServer,
  unary,
  type EchoClient,
  type EchoMessage,
  type TestServer,
} from '../helpers';

/** Handler executions per method: an injected failure must leave these untouched. */
const ran = { unary: 0, write: 0, serverStream: 0, clientStream: 0, bidi: 0 };

const impl: grpc.UntypedServiceImplementation = {
  unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
    ran.unary++;
    cb(null, { text: call.request.text });
  },
  write: (_call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
    ran.write++;
    cb(null, {});
  },
  serverStream: (call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) => {
    ran.serverStream++;
    call.write({ count: 1 });
    call.end();
  },
  clientStream: (call: grpc.ServerReadableStream<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
    ran.clientStream++;
    let n = 0;
    call.on('data', () => n++);
    call.on('end', () => cb(null, { count: n }));
  },
  bidi: (call: grpc.ServerDuplexStream<EchoMessage, EchoMessage>) => {
    ran.bidi++;
    call.on('data', (m: EchoMessage) => call.write(m));
    call.on('end', () => call.end());
  },
};

const events: FaultEvent[] = [];
const injector: FaultInjector = faultInjector({ seed: 1234, onFault: (e) => events.push(e) });
let server: TestServer;
let client: EchoClient;

beforeAll(async () => {
  server = await startEchoServer(impl, { interceptors: [injector.interceptor] });
  client = echoClient(server.address);
});

afterAll(async () => {
  client.close();
  injector.dispose();
  await server.close();
});

beforeEach(() => {
  injector.up();
  injector.setRules({});
  injector.reset({ seed: 1234 });
  events.length = 0;
  for (const key of Object.keys(ran) as Array<keyof typeof ran>) ran[key] = 0;
});

const within = (ms: number) => ({ callOptions: { deadline: Date.now() + ms } });

/** Polls until `check` holds (or fails after `timeoutMs`). */
async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('injected errors', () => {
  it('fail the call before the handler runs', async () => {
    injector.setRules({ [ECHO_PATHS.unary]: { error: { codes: 'INTERNAL', message: 'synthetic' } } });
    const result = await unary(client, { text: 'hi' }, within(2000));
    expect(result.error?.code).toBe(grpc.status.INTERNAL);
    expect(result.error?.details).toBe('synthetic');
    expect(ran.unary).toBe(0);
    // Other methods are untouched.
    expect((await unary(client, {}, { method: 'write' })).error).toBeUndefined();
    expect(ran.write).toBe(1);
  });

  it('carry grpc-retry-pushback-ms and a RetryInfo detail that a real client can read', async () => {
    injector.setRules({ 'test.v1.EchoService': { error: { codes: 'RESOURCE_EXHAUSTED', pushbackMs: 250, retryInfoMs: 300 } } });
    const { error } = await unary(client, {}, within(2000));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error?.metadata.get('grpc-retry-pushback-ms')).toEqual(['250']);
    expect(readRetryInfoMs(error?.metadata)).toBe(300);
  });

  it('a negative pushback ("do not retry") reaches the client as sent', async () => {
    injector.setRules({ '*': { error: { pushbackMs: -1 } } });
    const { error } = await unary(client, {}, within(2000));
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(error?.metadata.get('grpc-retry-pushback-ms')).toEqual(['-1']);
  });

  it('server-streaming: the handler never starts', async () => {
    injector.setRules({ [ECHO_PATHS.serverStream]: { error: { codes: 'UNAVAILABLE' } } });
    const result = await collectStream(client.serverStream({}, new grpc.Metadata(), { deadline: Date.now() + 2000 }));
    expect(result.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(result.messages).toEqual([]);
    expect(ran.serverStream).toBe(0);
  });

  it('client-streaming: decided at metadata, the handler never starts', async () => {
    injector.setRules({ [ECHO_PATHS.clientStream]: { error: { codes: 'ABORTED' } } });
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.clientStream(new grpc.Metadata(), { deadline: Date.now() + 2000 }, (err: grpc.ServiceError | null) => resolve(err));
      call.write({ text: 'a' });
      call.end();
    });
    expect(error?.code).toBe(grpc.status.ABORTED);
    expect(ran.clientStream).toBe(0);
  });

  it('bidi: decided at metadata, the handler never starts', async () => {
    injector.setRules({ [ECHO_PATHS.bidi]: { error: { codes: 'UNAVAILABLE' } } });
    const call = client.bidi(new grpc.Metadata(), { deadline: Date.now() + 2000 });
    const done = collectStream(call);
    call.write({ text: 'a' });
    call.end();
    const result = await done;
    expect(result.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(ran.bidi).toBe(0);
  });
});

describe('latency and stalls', () => {
  it('fixed latency delays the handler by at least that long', async () => {
    injector.setRules({ [ECHO_PATHS.unary]: { latency: 150 } });
    const started = performance.now();
    const result = await unary(client, { text: 'slow' }, within(5000));
    const elapsed = performance.now() - started;
    expect(result.response).toEqual({ text: 'slow' });
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(ran.unary).toBe(1);
    expect(injector.stats().methods[ECHO_PATHS.unary]).toMatchObject({ calls: 1, delayed: 1, faulted: 1, errors: 0 });
  });

  it('latency on a streaming call delays the handler start', async () => {
    injector.setRules({ [ECHO_PATHS.bidi]: { latency: 120 } });
    const started = performance.now();
    const call = client.bidi(new grpc.Metadata(), { deadline: Date.now() + 5000 });
    const done = collectStream(call);
    call.write({ text: 'x' });
    call.end();
    const result = await done;
    expect(result.messages).toEqual([{ text: 'x' }]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('a stall without a duration ends at the deadline and the handler never runs', async () => {
    injector.setRules({ [ECHO_PATHS.unary]: { stall: {} } });
    const started = performance.now();
    const result = await unary(client, {}, within(300));
    const elapsed = performance.now() - started;
    expect(result.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2000);
    expect(ran.unary).toBe(0);
    // The server-side end of the call releases the hold.
    await eventually(() => injector.heldCalls === 0);
  });

  it('a stall with a duration lets the call through afterwards', async () => {
    injector.setRules({ [ECHO_PATHS.unary]: { stall: { durationMs: 120 } } });
    const started = performance.now();
    const result = await unary(client, { text: 'late' }, within(5000));
    expect(result.response).toEqual({ text: 'late' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(injector.stats().total).toMatchObject({ stalls: 1, faulted: 1 });
  });

  it('a client cancel releases a held call', async () => {
    injector.setRules({ [ECHO_PATHS.unary]: { stall: {} } });
    const call = client.unary({}, new grpc.Metadata(), {}, () => undefined);
    await eventually(() => injector.heldCalls === 1);
    call.cancel();
    await eventually(() => injector.heldCalls === 0);
    expect(ran.unary).toBe(0);
  });
});

describe('outages', () => {
  it('down(ms) fails every call, then comes back up by itself', async () => {
    injector.setRules({ '*': { latency: 0 } });
    injector.down(300);
    expect(injector.isDown).toBe(true);
    const during = await unary(client, {}, within(2000));
    expect(during.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(during.error?.details).toBe('injected outage');
    expect(ran.unary).toBe(0);
    await eventually(() => !injector.isDown);
    expect((await unary(client, { text: 'back' }, within(2000))).response).toEqual({ text: 'back' });
    expect(injector.stats().total).toMatchObject({ calls: 2, outage: 1, errors: 1, byCode: { UNAVAILABLE: 1 } });
    // The outage call did not use a sequence number: the call after it is call 0.
    expect(events.map((e) => [e.outage, e.sequence])).toEqual([[true, undefined]]);
  });

  it('down() with a status and up() by hand', async () => {
    injector.down(undefined, { code: 'RESOURCE_EXHAUSTED', message: 'shed', pushbackMs: 40 });
    const { error } = await unary(client, {}, within(2000));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error?.details).toBe('shed');
    expect(error?.metadata.get('grpc-retry-pushback-ms')).toEqual(['40']);
    injector.up();
    expect((await unary(client, {}, within(2000))).error).toBeUndefined();
  });

  it("down(ms, 'stall') holds calls until their deadline", async () => {
    injector.down(5000, 'stall');
    const result = await unary(client, {}, within(250));
    expect(result.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(ran.unary).toBe(0);
    injector.up();
    await eventually(() => injector.heldCalls === 0);
  });

  it('validates its arguments', () => {
    expect(() => injector.down(-1)).toThrow(/down\(forMs\) must be between 0/);
    expect(() => injector.down(10, { code: 'OK' as never })).toThrow(/down\(fault\)\.code must be a non-OK status code/);
    expect(injector.isDown).toBe(false);
  });
});

describe('seeded runs through a real server', () => {
  const RULE = { [ECHO_PATHS.unary]: { error: { rate: 0.4, codes: ['UNAVAILABLE', 'INTERNAL'] as const } } };
  const N = 60;

  async function run(): Promise<number[]> {
    const codes: number[] = [];
    for (let i = 0; i < N; i++) codes.push((await unary(client, {}, within(2000))).status.code);
    return codes;
  }

  it('the same seed replays the same faults, a different seed gives different ones', async () => {
    injector.setRules(RULE);
    const first = await run();
    injector.reset(); // same seed, sequence back to 0
    const second = await run();
    injector.reset({ seed: 4321 });
    const other = await run();
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    // And it is exactly the schedule the decision function predicts for seed 1234.
    const plan = ruleFor(compileRules(RULE), ECHO_PATHS.unary);
    const predicted = Array.from({ length: N }, (_, i) => {
      const d = decideFault(plan, callRandom(1234, hashString(ECHO_PATHS.unary), i));
      return d.action === 'error' ? d.code : grpc.status.OK;
    });
    expect(first).toEqual(predicted);
    expect(injector.seed).toBe(4321);
  });

  it('an error rate holds over 300 concurrent calls, and the counters agree with what clients saw', async () => {
    injector.setRules({ [ECHO_PATHS.unary]: { error: { rate: 0.3 } } });
    const n = 300;
    const results = await Promise.all(Array.from({ length: n }, () => unary(client, {}, within(5000))));
    const failed = results.filter((r) => r.error?.code === grpc.status.UNAVAILABLE).length;
    // Binomial(300, 0.3): sd ≈ 7.9; allow 5 sd.
    expect(Math.abs(failed - 90)).toBeLessThan(40);
    expect(ran.unary).toBe(n - failed);
    expect(injector.stats().methods[ECHO_PATHS.unary]).toEqual({
      calls: n,
      faulted: failed,
      errors: failed,
      outage: 0,
      stalls: 0,
      delayed: 0,
      byCode: { UNAVAILABLE: failed },
    });
    expect(events).toHaveLength(failed);
  });
});

describe('runtime control and options', () => {
  it('setRules switches faults on and off at runtime; a bad rule keeps the old ones', async () => {
    injector.setRules({ '*': { error: { codes: 'UNAVAILABLE' } } });
    expect((await unary(client, {}, within(2000))).error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(() => injector.setRules({ '*': { error: { rate: 2 } } })).toThrow(/rules\["\*"\]\.error\.rate/);
    expect((await unary(client, {}, within(2000))).error?.code).toBe(grpc.status.UNAVAILABLE);
    injector.setRules({});
    expect((await unary(client, {}, within(2000))).error).toBeUndefined();
  });

  it('a throwing onFault handler does not change the fault', async () => {
    const local = faultInjector({ rules: { '*': { error: { codes: 'NOT_FOUND' } } }, onFault: () => { throw new Error('observer'); } });
    const s = await startEchoServer(impl, { interceptors: [local.interceptor] });
    const c = echoClient(s.address);
    try {
      expect((await unary(c, {}, within(2000))).error?.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      c.close();
      local.dispose();
      await s.close();
    }
  });

  it('onFault runs inside the call: behind the context interceptor it sees the trace id', async () => {
    const seen: Array<string | undefined> = [];
    const local = faultInjector({ rules: { '*': { error: {} } }, onFault: () => seen.push(currentCallContext()?.traceId) });
    const s = await startEchoServer(impl, { interceptors: [callContextServerInterceptor(), local.interceptor] });
    const c = echoClient(s.address);
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const metadata = new grpc.Metadata();
      metadata.set('traceparent', `00-${traceId}-b7ad6b7169203331-01`);
      expect((await unary(c, {}, { metadata, ...within(2000) })).error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(seen).toEqual([traceId]);
    } finally {
      c.close();
      local.dispose();
      await s.close();
    }
  });

  it.each([
    [{ seed: -1 }, /faultInjector\.seed must be between 0 and 4294967295; got -1/],
    [{ seed: 1.5 }, /faultInjector\.seed must be a whole number/],
    [{ sede: 1 }, /faultInjector: unknown option "sede"; allowed: seed, rules, onFault/],
    [{ onFault: 'log' }, /faultInjector\.onFault must be a function/],
    [{ rules: { '*': { error: { rate: -0.1 } } } }, /faultInjector\.rules\["\*"\]\.error\.rate/],
  ])('rejects options %j', (options, message) => {
    expect(() => faultInjector(options as never)).toThrow(message);
  });

  it('picks and reports a random seed when none is given', () => {
    const a = faultInjector();
    expect(Number.isInteger(a.seed)).toBe(true);
    expect(a.seed).toBeGreaterThanOrEqual(0);
    a.dispose();
  });
});

describe('dispose', () => {
  it('ends held calls with UNAVAILABLE, clears their timers and becomes a pass-through', async () => {
    const local = faultInjector({ rules: { [ECHO_PATHS.unary]: { latency: 60_000 }, [ECHO_PATHS.write]: { stall: {} } } });
    const s = await startEchoServer(impl, { interceptors: [local.interceptor] });
    const c = echoClient(s.address);
    try {
      await unary(c, {}, { method: 'write', ...within(200) }); // warm the connection up
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      await eventually(() => local.heldCalls === 0);
      const baseline = timers();
      const delayed = unary(c, {});
      const stalled = unary(c, {}, { method: 'write' });
      await eventually(() => local.heldCalls === 2);
      expect(timers()).toBe(baseline + 1); // the latency hold; the endless stall needs none
      local.dispose();
      expect(local.heldCalls).toBe(0);
      for (const r of await Promise.all([delayed, stalled])) {
        expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
        expect(r.error?.details).toBe('fault injector disposed');
      }
      expect(timers()).toBe(baseline);
      expect(() => local.down(100)).toThrow(/after dispose/);
      // After dispose every call passes, even with the rules still set.
      expect((await unary(c, { text: 'ok' })).response).toEqual({ text: 'ok' });
    } finally {
      c.close();
      await s.close();
    }
  });

  it('clears the outage timer', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const local = faultInjector();
      local.down(5000);
      expect(vi.getTimerCount()).toBe(1);
      local.down(2000); // replacing the outage replaces its timer
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(2000);
      expect(local.isDown).toBe(false);
      local.down(5000);
      local.dispose();
      expect(vi.getTimerCount()).toBe(0);
      expect(local.isDown).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
