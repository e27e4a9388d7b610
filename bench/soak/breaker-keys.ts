import * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child-rpc';
import { clientPiece, clientPieceExport } from '../lib/pieces';
import { PAYLOAD } from '../lib/service';
import { FakeChannel } from '../micro/fake-channel';

/**
 * Memory per breaker key: calls through the breaker interceptor (over the fake channel, so only
 * the registry grows) to many distinct methods, heap measured after full GCs.
 */

export interface BreakerKeysResult {
  readonly skipped?: string;
  readonly exportName?: string;
  readonly steps?: readonly { keys: number; heapDelta: number; rssDelta: number; timersDelta: number }[];
}

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

async function callMethods(client: grpc.Client, from: number, count: number): Promise<void> {
  const BATCH = 500;
  for (let start = from; start < from + count; start += BATCH) {
    const n = Math.min(BATCH, from + count - start);
    await new Promise<void>((resolve) => {
      let left = n;
      for (let i = 0; i < n; i++) {
        client.makeUnaryRequest(`/bench.keys.v1.Keys/Method${start + i}`, identity, identity, PAYLOAD, () => {
          if (--left === 0) resolve();
        });
      }
    });
  }
}

async function measure(keys: number): Promise<BreakerKeysResult> {
  const exportName = clientPieceExport('breaker');
  if (!exportName) return { skipped: 'no breaker client interceptor exported from src/index.ts yet' };
  if (!gc) return { skipped: 'run with --expose-gc' };
  const client = new grpc.Client('fake.bench.local:443', grpc.credentials.createInsecure(), {
    channelOverride: new FakeChannel(),
    interceptors: [clientPiece('breaker')],
  });
  // Warm the code paths (and one key) so the baseline holds the interceptor's fixed cost.
  await callMethods(client, -1, 1);
  const base = await settle();
  const steps: { keys: number; heapDelta: number; rssDelta: number; timersDelta: number }[] = [];
  let done = 0;
  for (const target of [keys, keys * 2]) {
    await callMethods(client, done, target - done);
    done = target;
    const now = await settle();
    steps.push({ keys: target, heapDelta: now.heap - base.heap, rssDelta: now.rss - base.rss, timersDelta: now.timers - base.timers });
  }
  client.close();
  return { exportName, steps };
}

serveParent({ run: (m) => measure(m.keys as number) });
