import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';
import { clientInterceptors, localFailureKind, withResilience, type ClientStack } from '../../src';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { closeAll, echoClient, startEchoServer, unary, type EchoClient, type TestServer } from '../helpers';

let server: TestServer | undefined;
let client: EchoClient | undefined;
let stack: ClientStack | undefined;

afterEach(async () => {
  await closeAll(client, stack, server);
  server = client = stack = undefined;
});

/**
 * A backend that accepts 1 call in `every` (of each criticality it is told to ration; others always)
 * and rejects the rest with RESOURCE_EXHAUSTED; counts what reaches it.
 */
async function rationingServer(every: number, rationed: (criticality: string | undefined) => boolean = () => true) {
  const counts = { arrived: 0, accepted: 0 };
  let n = 0;
  server = await startEchoServer({
    unary: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      counts.arrived++;
      const criticality = call.metadata.get('x-resilience-criticality')[0] as string | undefined;
      if (!rationed(criticality) || n++ % every === 0) {
        counts.accepted++;
        cb(null, {});
      } else {
        cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'over capacity' });
      }
    },
  });
  return counts;
}

/**
 * A backend of fixed capacity: it earns 1/`overload` of a call per call the client makes (sent or
 * not: the test ticks it), so the load offered is `overload` × what it can serve, on any machine.
 */
async function capacityServer(overload: number) {
  const counts = { arrived: 0, accepted: 0, credit: 0 };
  server = await startEchoServer({
    unary: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
      counts.arrived++;
      if (counts.credit < 1) return cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'over capacity' });
      counts.credit -= 1;
      counts.accepted++;
      cb(null, {});
    },
  });
  return { counts, tick: () => (counts.credit = Math.min(1, counts.credit + 1 / overload)) };
}

it('sends an overloaded backend about K requests per accept; the rest fail locally, marked, counted, never retried', async () => {
  const { counts, tick } = await capacityServer(5);
  const events: ResilienceEvent[] = [];
  // No breaker: it would open on these rejections and refuse calls itself.
  // maxProbability 1: the pure SRE rule (the default 0.9 lets 1 in 10 through however bad, to probe).
  let now = 0; // 5 ms per call: the probability is reported every tenth of the 10 s window
  stack = clientInterceptors({
    throttle: { ratio: 2, maxProbability: 1, clock: () => now },
    breaker: false,
    onEvent: (e) => events.push(e),
  });
  client = echoClient(server!.address, { interceptors: stack });
  const codes = new Map<number, number>();
  let throttled = 0;
  let before = { arrived: 0, accepted: 0 };
  for (let i = 0; i < 600; i++) {
    if (i === 300) before = { ...counts }; // the throttle has learnt by then: measure the second half
    tick();
    now += 5;
    const { status } = await unary(client, {});
    codes.set(status.code, (codes.get(status.code) ?? 0) + 1);
    if (localFailureKind(status.metadata) === 'throttled') {
      throttled++;
      expect(status.code).toBe(grpc.status.UNAVAILABLE);
      expect(status.metadata.get('x-resilience-local')).toEqual(['throttled']);
    }
  }
  expect(throttled).toBeGreaterThan(200);
  const accepted = counts.accepted - before.accepted;
  const rejectedByBackend = counts.arrived - before.arrived - accepted;
  // Without throttling the backend would reject several per accept; with K = 2, about 1.
  expect(rejectedByBackend / accepted).toBeLessThan(1.6);
  // One attempt per call: neither RESOURCE_EXHAUSTED without pushback nor a throttled call is retried.
  expect(counts.arrived + throttled).toBe(600);
  expect(events.filter((e) => e.type === 'throttle-reject')).toHaveLength(throttled);
  const report = events.filter((e) => e.type === 'throttle-probability').at(-1);
  expect(report).toMatchObject({ criticality: 'default', target: expect.stringContaining('127.0.0.1') });
  expect(report?.type === 'throttle-probability' && report.probability).toBeGreaterThan(0.3);
  expect(events.some((e) => e.type === 'give-up' && e.reason === 'throttled')).toBe(true);
});

it('throttles criticalities apart: rejected sheddable calls do not throttle critical ones', async () => {
  const counts = await rationingServer(10, (criticality) => criticality === 'sheddable');
  stack = clientInterceptors({ throttle: {}, retry: false });
  client = echoClient(server!.address, { interceptors: stack });
  const sheddable = withResilience({}, { criticality: 'sheddable' });
  const critical = withResilience({}, { criticality: 'critical' });
  let criticalFailed = 0;
  let sheddableThrottled = 0;
  for (let i = 0; i < 300; i++) {
    const s = await unary(client, {}, { callOptions: sheddable });
    if (localFailureKind(s.status.metadata) === 'throttled') sheddableThrottled++;
    const c = await unary(client, {}, { callOptions: critical });
    if (c.status.code !== grpc.status.OK) criticalFailed++;
  }
  expect(sheddableThrottled).toBeGreaterThan(100);
  expect(criticalFailed).toBe(0);
  expect(counts.accepted).toBeGreaterThanOrEqual(300);
});

it('stops throttling once the backend accepts again', async () => {
  let healthy = false;
  let n = 0;
  server = await startEchoServer({
    unary: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
      healthy || n++ % 10 === 0 ? cb(null, {}) : cb({ code: grpc.status.UNAVAILABLE, details: 'down' }),
  });
  let now = 0;
  stack = clientInterceptors({ throttle: { windowMs: 1000, clock: () => now }, retry: false });
  client = echoClient(server.address, { interceptors: stack });
  for (let i = 0; i < 200; i++) await unary(client, {});
  const throttled = async () => {
    let count = 0;
    for (let i = 0; i < 100; i++) if (localFailureKind((await unary(client!, {})).status.metadata) === 'throttled') count++;
    return count;
  };
  expect(await throttled()).toBeGreaterThan(30);
  healthy = true;
  now += 1100; // the window has slid past the failures
  expect(await throttled()).toBe(0);
});
