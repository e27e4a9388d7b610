import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { breakerClientInterceptor } from '../../src/breaker';
import { echoClient, type EchoClient } from '../helpers';
import { measureHeap, trackTimers } from '../helpers/heap';
import { activeChannelCalls, startScriptedServer } from '../helpers/scripted-server';

const serialize = (value: object) => Buffer.from(JSON.stringify(value));
const deserialize = (bytes: Buffer) => JSON.parse(bytes.toString() || '{}') as object;

/** One unary call to an arbitrary method path; settles with the status code. */
function callPath(client: EchoClient, path: string): Promise<number> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, serialize, deserialize, {}, new grpc.Metadata(), {}, (err) => resolve(err ? err.code : grpc.status.OK));
  });
}

/** `count` calls to distinct method paths, `concurrency` at a time; returns the largest registry size seen. */
async function callDistinct(
  client: EchoClient,
  count: number,
  tick: () => void,
  size: () => number,
  prefix = 'load',
): Promise<{ largest: number; codes: Set<number> }> {
  let largest = 0;
  const codes = new Set<number>();
  for (let start = 0; start < count; start += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, count - start) }, (_, i) => {
        tick();
        return callPath(client, `/${prefix}.v1.Service${Math.floor((start + i) / 100)}/Method${start + i}`);
      }),
    );
    for (const code of batch) codes.add(code);
    largest = Math.max(largest, size());
  }
  return { largest, codes };
}

describe('breaker registry under many distinct method keys (real calls)', () => {
  it('10,000 keys against a target that is down: bounded, timers of evicted breakers cleared, heap back to baseline', async () => {
    // A port nothing listens on: every call fails UNAVAILABLE (connection refused) and every breaker opens.
    const probe = await startScriptedServer();
    const address = probe.address;
    await probe.close();

    const timers = trackTimers('opossum');
    let now = 0; // the registry's clock: 1 ms per call, so idleness is exact
    const bound = 2000;
    const breaker = breakerClientInterceptor({ maxBreakers: bound, idleEvictionMs: 60_000, volumeThreshold: 1, resetTimeoutMs: 60_000, clock: () => now });
    const client = echoClient(address, { interceptors: [breaker] });
    // Warm up (grpc-js's buffers, compiled code, caches) with other keys, then evict them.
    await callDistinct(client, 1000, () => now++, () => 0, 'warmup');
    now += 60_000;
    breaker.registry.evictIdle();
    expect(await timers.pending()).toBe(0);
    const baseline = measureHeap();

    const { largest, codes } = await callDistinct(client, 10_000, () => now++, () => breaker.registry.size);
    expect([...codes]).toEqual([grpc.status.UNAVAILABLE]);
    expect(largest).toBe(bound);
    expect(breaker.registry.snapshot().every((s) => s.state === 'open')).toBe(true);
    expect(await timers.pending()).toBe(bound); // one reset timer per live open breaker; 9,500 were cleared
    const atBound = measureHeap();

    now += 60_000;
    expect(breaker.registry.evictIdle()).toBe(bound);
    expect(await timers.pending()).toBe(0);
    const after = measureHeap();
    const perKey = (atBound - baseline) / bound;
    console.info(
      `breaker keys: ${Math.round(perKey)} bytes per open breaker key; heap ${kib(baseline)} → ${kib(atBound)} at ${bound} keys → ${kib(after)} after eviction`,
    );
    expect(perKey).toBeGreaterThan(500); // the measurement does see the breakers
    expect(after - baseline).toBeLessThan(Math.max(256 * 1024, 0.1 * (atBound - baseline)));
    expect(activeChannelCalls(client)).toBe(0);
    client.close();
    breaker.dispose();
    timers.stop();
  });

  it('2,000 keys against a healthy server: closed breakers hold no timer at all', async () => {
    const server = await startScriptedServer();
    const timers = trackTimers('opossum');
    let now = 0;
    const breaker = breakerClientInterceptor({ maxBreakers: 300, clock: () => now });
    const client = echoClient(server.address, { interceptors: [breaker] });
    const { largest, codes } = await callDistinct(client, 2_000, () => now++, () => breaker.registry.size);
    expect([...codes]).toEqual([grpc.status.UNIMPLEMENTED]); // a client fault: counted as an answer
    expect(largest).toBe(300);
    expect(breaker.registry.snapshot().every((s) => s.state === 'closed' && s.calls === 1 && s.failures === 0)).toBe(true);
    expect(await timers.pending()).toBe(0);
    client.close();
    breaker.dispose();
    timers.stop();
    await server.close();
  });
});

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
