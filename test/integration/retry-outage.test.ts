import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createRetryBudget, DEFAULT_BUDGET } from '../../src/retry/budget';
import { retryClientInterceptor } from '../../src/retry/interceptor';
import type { RetryOptions } from '../../src/retry/options';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { echoClient, unary, type EchoClient } from '../helpers';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server';

const CALLS = 1_000;
const CONCURRENCY = 50;

let server: ScriptedServer | undefined;
const clients: EchoClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

/** Sends CALLS logical calls (CONCURRENCY at a time) through `client`; returns the server's attempts per call. */
async function outage(client: EchoClient, calls = CALLS): Promise<number> {
  const before = server!.calls.unary;
  for (let sent = 0; sent < calls; sent += CONCURRENCY) {
    const batch = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => unary(client, { id: String(sent + i) })));
    for (const r of batch) expect(r.status.code).toBe(grpc.status.UNAVAILABLE);
  }
  return (server!.calls.unary - before) / calls;
}

async function clientWith(options: RetryOptions): Promise<{ client: EchoClient; events: ResilienceEvent[] }> {
  server ??= await startScriptedServer({ code: grpc.status.UNAVAILABLE });
  const events: ResilienceEvent[] = [];
  const client = echoClient(server.address, {
    interceptors: [retryClientInterceptor({ initialBackoffMs: 1, maxBackoffMs: 2, jitter: 'none', onEvent: (e) => events.push(e), ...options })],
  });
  clients.push(client);
  return { client, events };
}

describe('total outage: the retry budget keeps load from multiplying', () => {
  it(`default budget: ${CALLS} logical calls cost at most 1 + ratio + a small constant attempts per call`, async () => {
    const { client, events } = await clientWith({ maxAttempts: 3 });
    const perCall = await outage(client);
    console.info(`[retry] total outage, ${CALLS} calls, maxAttempts 3, default budget: ${perCall.toFixed(3)} attempts per call`);
    // The A6 bucket (10 tokens) stops retries after 5 failures: 1 + 5/1000.
    expect(perCall).toBeLessThanOrEqual(1 + DEFAULT_BUDGET.retryRatio + 0.01);
    expect(perCall).toBeLessThanOrEqual(1.01);
    expect(events.filter((e) => e.type === 'budget-exhausted').length).toBeGreaterThan(900);
  });

  it('ratio budget alone (token bucket off): at most 1 + retryRatio + floor/calls attempts per call', async () => {
    const { client } = await clientWith({ maxAttempts: 3, budget: { maxTokens: 0 } });
    const perCall = await outage(client);
    const floor = (DEFAULT_BUDGET.minRetriesPerSecond * DEFAULT_BUDGET.windowMs) / 1000;
    console.info(`[retry] total outage, ${CALLS} calls, maxAttempts 3, ratio budget only: ${perCall.toFixed(3)} attempts per call`);
    expect(perCall).toBeLessThanOrEqual(1 + DEFAULT_BUDGET.retryRatio + floor / CALLS);
    expect(perCall).toBeGreaterThan(1.05); // the ratio budget does allow its share
  });

  it('without a budget every call makes maxAttempts attempts (what the budget prevents)', async () => {
    const { client } = await clientWith({ maxAttempts: 3, budget: false });
    expect(await outage(client, 200)).toBe(3);
  });

  it('one budget instance can be shared by the clients of a target', async () => {
    const budget = createRetryBudget();
    const a = await clientWith({ budget });
    const b = await clientWith({ budget });
    await outage(a.client, 200);
    const perCall = await outage(b.client, 200);
    expect(perCall).toBe(1); // the first client's failures already emptied the shared bucket
    expect(budget.snapshot().tokens).toBe(0);
  });
});
