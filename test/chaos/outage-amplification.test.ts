import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { clientInterceptors, serverInterceptors, wrapService, type ClientStackOptions } from '../../src';
import { faultInjector, type FaultInjector } from '../../src/testing';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { echoClient, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { figure, round } from '../helpers/chaos';

// Scenario 3: the server answers UNAVAILABLE to everything (a total outage behind a healthy
// listener) while several clients with retries on keep calling. Retries must not multiply the load:
// the server counts every attempt that reaches it.
const CLIENTS = 4;
const CALLS_PER_CLIENT = 500;
const CONCURRENCY = 25;
const MAX_AMPLIFICATION = 1.1;

let server: TestServer | undefined;
let faults: FaultInjector | undefined;
const clients: EchoClient[] = [];
const stacks: Array<ReturnType<typeof clientInterceptors>> = [];

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of stacks) s.dispose();
  faults?.dispose();
  await server?.close();
});

async function outageServer(): Promise<FaultInjector> {
  if (!faults) {
    faults = faultInjector({ seed: 1 });
    server = await startEchoServer(wrapService({ unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>) => call.request }), {
      // The fault sits next to the handler: every attempt that reaches the server is counted.
      interceptors: [...serverInterceptors({ errors: { logger: false } }), faults.interceptor],
    });
  }
  faults.reset();
  faults.down(); // every call: UNAVAILABLE
  return faults;
}

/** CLIENTS clients (own channel, own stack) each send CALLS_PER_CLIENT calls; returns attempts seen by the server. */
async function run(options: ClientStackOptions) {
  const injector = await outageServer();
  const events: ResilienceEvent[] = [];
  const codes = new Map<number, number>();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const stack = clientInterceptors({ ...options, onEvent: (e) => events.push(e) });
      const client = echoClient(server!.address, { interceptors: stack });
      stacks.push(stack);
      clients.push(client);
      for (let sent = 0; sent < CALLS_PER_CLIENT; sent += CONCURRENCY) {
        const batch = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => unary(client, { id: `${sent + i}` })));
        for (const r of batch) codes.set(r.status.code, (codes.get(r.status.code) ?? 0) + 1);
      }
    }),
  );
  const calls = CLIENTS * CALLS_PER_CLIENT;
  const attempts = injector.stats().total.calls;
  const count = (type: ResilienceEvent['type']) => events.filter((e) => e.type === type).length;
  const giveUps: Record<string, number> = {};
  for (const e of events) if (e.type === 'give-up') giveUps[e.reason] = (giveUps[e.reason] ?? 0) + 1;
  return {
    calls,
    attempts,
    perCall: attempts / calls,
    codes: Object.fromEntries([...codes].map(([c, n]) => [grpc.status[c], n])),
    retries: count('retry'),
    budgetExhausted: count('budget-exhausted'),
    breakerRejects: count('breaker-reject'),
    giveUps,
  };
}

describe('total outage with retries on', () => {
  it(`retries with the default budget (breaker off): attempts ≤ ${MAX_AMPLIFICATION} × calls`, async () => {
    const r = await run({ retry: { maxAttempts: 3 }, breaker: false });
    figure('outage-retry-only', { ...r, perCall: round(r.perCall, 3) });
    expect(r.codes).toEqual({ UNAVAILABLE: r.calls });
    expect(r.attempts).toBeGreaterThanOrEqual(r.calls);
    expect(r.attempts).toBeLessThanOrEqual(MAX_AMPLIFICATION * r.calls);
    // The budget is what stopped the retries, and it said so.
    expect(r.budgetExhausted).toBeGreaterThan(r.calls / 2);
    expect(r.giveUps.budget).toBe(r.budgetExhausted);
    expect(r.retries).toBe(r.attempts - r.calls);
  });

  it(`the default stack (retry + breaker): attempts ≤ ${MAX_AMPLIFICATION} × calls, most calls never leave the client`, async () => {
    const r = await run({});
    figure('outage-default-stack', { ...r, perCall: round(r.perCall, 3) });
    expect(r.codes).toEqual({ UNAVAILABLE: r.calls });
    expect(r.attempts).toBeLessThanOrEqual(MAX_AMPLIFICATION * r.calls);
    expect(r.breakerRejects).toBeGreaterThan(r.calls / 2);
    expect(r.retries).toBe(r.attempts + r.breakerRejects - r.calls);
  });
});
