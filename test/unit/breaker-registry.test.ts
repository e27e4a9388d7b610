import { afterEach, describe, expect, it, vi } from 'vitest';
import { BreakerRegistry, createBreakerRegistry } from '../../src/breaker';
import { REJECTED } from '../../src/breaker/circuit';
import { FAILURE, SUCCESS } from '../../src/breaker/outcome';
import { measureHeap, trackTimers } from '../helpers/heap';

afterEach(() => {
  vi.useRealTimers();
});

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('BreakerRegistry', () => {
  it('creates breakers lazily, one per key, and reuses them', () => {
    const registry = createBreakerRegistry();
    expect(registry.size).toBe(0);
    const a = registry.acquire('t/S/A', 't', 0);
    expect(registry.acquire('t/S/A', 't', 1)).toBe(a);
    expect(registry.acquire('t/S/B', 't', 2)).not.toBe(a);
    expect(registry.size).toBe(2);
    registry.dispose();
  });

  it('stays within maxBreakers, shutting down the least recently used', () => {
    vi.useFakeTimers();
    const registry = new BreakerRegistry({ maxBreakers: 100 });
    const hot = registry.acquire('hot', 't', 0)!;
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      registry.acquire(`k${i}`, 't', i);
      if (i % 50 === 0) registry.acquire('hot', 't', i); // used now and then: never the least recent
      largest = Math.max(largest, registry.size);
    }
    expect(largest).toBe(100);
    expect(registry.size).toBe(100);
    expect(registry.acquire('hot', 't', 10_000)).toBe(hot);
    const evicted = registry.snapshot().map((s) => s.key);
    expect(evicted).not.toContain('k0');
    expect(evicted).toContain('k9999');
    registry.dispose();
  });

  it('evicts idle breakers lazily, on a later call, without any timer', () => {
    vi.useFakeTimers();
    const registry = new BreakerRegistry({ idleEvictionMs: 1000 });
    for (let i = 0; i < 50; i++) registry.acquire(`old${i}`, 't', 0);
    registry.acquire('recent', 't', 500);
    expect(vi.getTimerCount()).toBe(0);
    registry.acquire('new', 't', 999);
    expect(registry.size).toBe(52); // nothing idle for 1000 ms yet
    registry.acquire('new', 't', 1000);
    expect(registry.snapshot().map((s) => s.key)).toEqual(['recent', 'new']);
    expect(registry.evictIdle(2000)).toBe(2);
    expect(registry.size).toBe(0);
    registry.dispose();
  });

  it('keeps a breaker with a call in flight (a long stream) however idle', () => {
    const registry = new BreakerRegistry({ idleEvictionMs: 1000 });
    const streaming = registry.acquire('stream', 't', 0)!;
    const ticket = streaming.admit();
    registry.acquire('other', 't', 0);
    expect(registry.evictIdle(5000)).toBe(1);
    expect(registry.snapshot().map((s) => s.key)).toEqual(['stream']);
    streaming.settle(ticket, SUCCESS, 5000);
    expect(registry.evictIdle(6001)).toBe(1);
    expect(streaming.isShutdown).toBe(true);
    registry.dispose();
  });

  it('dispose() shuts every breaker down and clears their timers; later calls are not protected', async () => {
    vi.useFakeTimers();
    const registry = new BreakerRegistry({ volumeThreshold: 1 });
    for (let i = 0; i < 20; i++) {
      const c = registry.acquire(`k${i}`, 't', Date.now())!;
      c.settle(c.admit(), FAILURE, Date.now());
    }
    await flush();
    expect(vi.getTimerCount()).toBe(20); // one reset timer per open breaker
    registry.dispose();
    expect(vi.getTimerCount()).toBe(0);
    expect(registry.size).toBe(0);
    expect(registry.acquire('k0', 't', Date.now())).toBeUndefined();
    registry.dispose(); // idempotent
  });

  it('validates its options, naming the option', () => {
    expect(() => new BreakerRegistry({ maxBreakers: 0 })).toThrow(/breaker\.maxBreakers must be between 1 and/);
    expect(() => new BreakerRegistry({ errorThresholdPercentage: 120 })).toThrow(/breaker\.errorThresholdPercentage/);
    expect(() => new BreakerRegistry({ volumeThreshold: 2.5 })).toThrow(/breaker\.volumeThreshold must be a whole number/);
    expect(() => new BreakerRegistry({ resetTimeoutMs: 2 ** 31 })).toThrow(/breaker\.resetTimeoutMs/);
    expect(() => new BreakerRegistry({ rollingWindowMs: 5, rollingBuckets: 10 })).toThrow(/rollingBuckets must not exceed/);
    expect(() => new BreakerRegistry({ onEvent: 'log' as never })).toThrow(/breaker\.onEvent must be a function/);
    expect(() => new BreakerRegistry({ timeout: 5 } as never)).toThrow(/breaker: unknown option "timeout"; allowed: /);
  });

  it('10,000 distinct keys: stays at its bound, frees every timer, and the heap returns to its baseline', async () => {
    const timers = trackTimers();
    const baseline = measureHeap();
    const bound = 1000;
    // The registry's clock is the `now` it is given (1 ms per key here); opossum's reset timers are real.
    const registry = new BreakerRegistry({ maxBreakers: bound, idleEvictionMs: 60_000, volumeThreshold: 1, resetTimeoutMs: 60_000 });
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      const now = i;
      const c = registry.acquire(`dns:backend-${i % 7}:50051/pkg.v1.Service/Method${i}`, `dns:backend-${i % 7}:50051`, now)!;
      // Every breaker opens (one reset timer each) after a few counted calls.
      for (let j = 0; j < 3; j++) c.settle(c.admit(), SUCCESS, now);
      c.settle(c.admit(), FAILURE, now);
      c.settle(c.admit(), FAILURE, now);
      c.settle(c.admit(), FAILURE, now);
      c.settle(c.admit(), FAILURE, now);
      largest = Math.max(largest, registry.size);
      if (i % 1000 === 999) await flush();
    }
    await flush();
    expect(largest).toBe(bound);
    expect(registry.snapshot().every((s) => s.state === 'open')).toBe(true);
    expect(await timers.pending()).toBe(bound); // the evicted breakers' timers were cleared
    const atBound = measureHeap();
    const perBreaker = (atBound - baseline) / bound;

    const survivor = registry.acquire('dns:backend-0:50051/pkg.v1.Service/Last', 'dns:backend-0:50051', 10_000 + 60_000)!;
    expect(registry.size).toBe(1); // everything idle was evicted by this one call
    expect(survivor.admit()).not.toBe(REJECTED);
    registry.dispose();
    expect(await timers.pending()).toBe(0);
    timers.stop();
    const after = measureHeap();

    console.info(
      `breaker registry: ${Math.round(perBreaker)} bytes per live breaker key; ` +
        `heap ${kb(baseline)} → ${kb(atBound)} at ${bound} breakers → ${kb(after)} after eviction`,
    );
    expect(perBreaker).toBeGreaterThan(500); // the measurement sees the breakers at all
    expect(after - baseline).toBeLessThan(Math.max(256 * 1024, 0.1 * (atBound - baseline)));
  });
});

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
