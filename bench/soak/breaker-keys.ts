import * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child-rpc';
import { clientPieceExport, stackModule } from '../lib/pieces';
import { PAYLOAD } from '../lib/service';
import { FakeChannel } from '../micro/fake-channel';

/**
 * Memory per breaker key: calls through the breaker interceptor alone, over the fake channel (so
 * only its registry grows), each to a distinct method; heap measured after full GCs against a
 * warmed-up baseline. Once with the bound raised above the key count (cost per key), once with
 * default options (the bound holds), then `dispose()` (memory and timers come back).
 */

export interface BreakerKeysStep {
  readonly setup: string;
  readonly keys: number;
  /** Breakers the registry holds, when it exposes `registry.size`. */
  readonly kept?: number;
  readonly heapDelta: number;
  readonly rssDelta: number;
  readonly timersDelta: number;
}

export interface BreakerKeysResult {
  readonly skipped?: string;
  readonly exportName?: string;
  readonly steps?: readonly BreakerKeysStep[];
  readonly notes?: readonly string[];
}

type BreakerFactory = (options?: object) => grpc.Interceptor & { dispose?: () => void; registry?: { size?: number } };

const gc = (globalThis as { gc?: () => void }).gc;
const identity = (b: Buffer) => b;

async function settle(): Promise<{ heap: number; rss: number; timers: number }> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc?.();
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss, timers: process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length };
}

let methodCounter = 0;

/** Calls `count` methods never called before, 500 at a time. */
async function callNewMethods(client: grpc.Client, count: number): Promise<void> {
  for (let done = 0; done < count; done += 500) {
    const n = Math.min(500, count - done);
    await new Promise<void>((resolve) => {
      let left = n;
      for (let i = 0; i < n; i++) {
        client.makeUnaryRequest(`/bench.keys.v1.Keys/Method${methodCounter++}`, identity, identity, PAYLOAD, () => {
          if (--left === 0) resolve();
        });
      }
    });
  }
}

async function series(factory: BreakerFactory, options: object | undefined, setup: string, counts: readonly number[]): Promise<BreakerKeysStep[]> {
  const interceptor = factory(options);
  const client = new grpc.Client('fake.bench.local:443', grpc.credentials.createInsecure(), {
    channelOverride: new FakeChannel(),
    interceptors: [interceptor],
  });
  await callNewMethods(client, 1); // code paths warm, fixed costs in the baseline
  const base = await settle();
  const steps: BreakerKeysStep[] = [];
  const step = async (label: string, keys: number) => {
    const now = await settle();
    steps.push({
      setup: label,
      keys,
      kept: typeof interceptor.registry?.size === 'number' ? Math.max(0, interceptor.registry.size - 1) : undefined,
      heapDelta: now.heap - base.heap,
      rssDelta: now.rss - base.rss,
      timersDelta: now.timers - base.timers,
    });
  };
  let called = 0;
  for (const count of counts) {
    await callNewMethods(client, count - called);
    called = count;
    await step(setup, count);
  }
  if (typeof interceptor.dispose === 'function') {
    interceptor.dispose();
    await step(`${setup}, after dispose()`, called);
  }
  client.close();
  return steps;
}

async function measure(keys: number): Promise<BreakerKeysResult> {
  const exportName = clientPieceExport('breaker');
  if (!exportName) return { skipped: 'no breaker client interceptor exported from src/index.ts yet' };
  if (!gc) return { skipped: 'run with --expose-gc' };
  const factory = stackModule[exportName] as BreakerFactory;
  const notes: string[] = [];
  const steps: BreakerKeysStep[] = [];
  const raised = { maxBreakers: keys * 2 + 10 }; // + the warm-up key
  let canRaise = true;
  try {
    factory(raised).dispose?.();
  } catch (e) {
    canRaise = false;
    notes.push(`the bound could not be raised with ${JSON.stringify(raised)} (${(e as Error).message}); only default options measured`);
  }
  if (canRaise) steps.push(...(await series(factory, raised, `maxBreakers ${raised.maxBreakers}`, [keys, keys * 2])));
  steps.push(...(await series(factory, undefined, 'default options', [keys * 2])));
  return { exportName, steps, notes };
}

serveParent({ run: (m) => measure(m.keys as number) });
