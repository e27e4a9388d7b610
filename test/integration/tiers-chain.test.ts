import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyStatus,
  clientInterceptors,
  createCallContext,
  currentCallContext,
  decodeErrorDetails,
  describeServiceError,
  PublicError,
  runWithCallContext,
  serverInterceptors,
  wrapService,
  type ClientStack,
} from '../../src';
import { durationToMs } from '../../src/details/codec';
import { createRetryBudget, type RetryBudget } from '../../src/retry/budget';
import { PUSHBACK_KEY } from '../../src/retry/pushback';
import type { ResilienceEvent } from '../../src/telemetry/events';
import {
  closeAll,
  echoClient,
  startEchoServer,
  unary,
  type CallResult,
  type EchoClient,
  type EchoMessage,
  type TestServer,
} from '../helpers';
import { figure } from '../helpers/chaos';

// client → A → B → C → D, every tier a real grpc-js server on 127.0.0.1 with the default server
// stack, every outgoing call through the default client stack. What a request does is named by its
// text: D fails it (`unavailable`, `bad`), B has a bug for it (`bug`), B fails it once (`flaky-b`).
// The Write method is served by C itself: it never needs D.

type Tier = 'A' | 'B' | 'C' | 'D';
type Caller = 'client' | 'A' | 'B' | 'C';
const CALLERS: readonly Caller[] = ['client', 'A', 'B', 'C'];
const DEADLINE_MS = 5_000;
/** What D asks for when it is unavailable. */
const D_RETRY_MS = 20;
/** The default breaker reset timeout: the longest a breaker's hint may be. */
const RESET_TIMEOUT_MS = 10_000;

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;

interface Chain {
  readonly client: EchoClient;
  /** Handler runs per trace id (one client request), per tier. */
  runs(traceId: string): Record<Tier, number>;
  /** Events of each caller's client stack. */
  readonly events: Record<Caller, ResilienceEvent[]>;
  /** The retry budget of each caller's client stack (the default budget, held to read it). */
  readonly budgets: Record<Caller, RetryBudget>;
  close(): Promise<void>;
}

function callNext(client: EchoClient, method: 'unary' | 'write', request: EchoMessage): Promise<EchoMessage> {
  return new Promise((resolve, reject) =>
    client[method](request, (error: grpc.ServiceError | null, response?: EchoMessage) => (error ? reject(error) : resolve(response!))),
  );
}

async function startChain(): Promise<Chain> {
  const runs = new Map<string, Record<Tier, number>>();
  const count = (tier: Tier) => {
    const traceId = currentCallContext()!.traceId;
    const row = runs.get(traceId) ?? { A: 0, B: 0, C: 0, D: 0 };
    row[tier]++;
    runs.set(traceId, row);
  };
  const events = { client: [], A: [], B: [], C: [] } as Record<Caller, ResilienceEvent[]>;
  const budgets = Object.fromEntries(CALLERS.map((caller) => [caller, createRetryBudget()])) as Record<Caller, RetryBudget>;
  const stacks: ClientStack[] = [];
  const clients: EchoClient[] = [];
  const servers: TestServer[] = [];
  const connect = (caller: Caller, address: string) => {
    const stack = clientInterceptors({ retry: { budget: budgets[caller] }, onEvent: (e) => events[caller].push(e) });
    const client = echoClient(address, { interceptors: stack });
    stacks.push(stack);
    clients.push(client);
    return client;
  };
  const serve = async (impl: grpc.UntypedServiceImplementation) => {
    const server = await startEchoServer(wrapService(impl), { interceptors: serverInterceptors({ errors: { logger: false } }) });
    servers.push(server);
    return server;
  };

  const d = await serve({
    unary: (call: Unary) => {
      count('D');
      const text = call.request.text;
      if (text === 'unavailable') throw new PublicError(grpc.status.UNAVAILABLE, 'D is overloaded', { retryDelayMs: D_RETRY_MS });
      if (text === 'bad') throw new PublicError(grpc.status.INVALID_ARGUMENT, 'no such item');
      return { ...call.request, servedBy: 'D' };
    },
  });

  const failedOnce = new Set<string>();
  /** A, B and C: count the run, fail where the test asks, else forward to the next tier. */
  const forwarding = (tier: Tier, next: EchoClient) => async (call: Unary) => {
    count(tier);
    const text = call.request.text;
    if (tier === 'B' && text === 'bug') throw new Error('B: cannot read property of undefined');
    if (tier === 'B' && text === 'flaky-b' && !failedOnce.has(call.request.id!)) {
      failedOnce.add(call.request.id!);
      throw new PublicError(grpc.status.UNAVAILABLE, 'B is restarting');
    }
    try {
      return await callNext(next, 'unary', call.request);
    } catch (error) {
      // The caller's own fault, found further down, is passed on as such (by default it would be ours: INTERNAL).
      const code = (error as grpc.ServiceError).code;
      if (classifyStatus(code).clientFault) throw new PublicError(code, 'the request was rejected', undefined, { cause: error });
      throw error;
    }
  };
  const c = await serve({
    unary: forwarding('C', connect('C', d.address)),
    write: (call: Unary) => {
      count('C');
      return { ...call.request, servedBy: 'C' };
    },
  });
  const unrelated = (next: EchoClient) => (call: Unary) => callNext(next, 'write', call.request);
  const bToC = connect('B', c.address);
  const b = await serve({ unary: forwarding('B', bToC), write: unrelated(bToC) });
  const aToB = connect('A', b.address);
  const a = await serve({ unary: forwarding('A', aToB), write: unrelated(aToB) });
  const client = connect('client', a.address);

  return {
    client,
    runs: (traceId) => runs.get(traceId) ?? { A: 0, B: 0, C: 0, D: 0 },
    events,
    budgets,
    close: () => closeAll(...clients, ...stacks, ...servers.reverse()),
  };
}

interface Request {
  readonly traceId: string;
  readonly result: CallResult;
  readonly elapsedMs: number;
}

/** One client request with a 5 s deadline, in a fresh trace so the tiers' runs can be counted. */
async function send(chain: Chain, request: EchoMessage, method: 'unary' | 'write' = 'unary'): Promise<Request> {
  const context = createCallContext({ timeoutMs: DEADLINE_MS });
  const started = performance.now();
  const result = await runWithCallContext(context, () => unary(chain.client, request, { method }));
  return { traceId: context.traceId, result, elapsedMs: performance.now() - started };
}

const retryHintMs = (result: CallResult) => durationToMs(decodeErrorDetails(result.status).retryInfo?.retryDelay);
const stateChanges = (events: ResilienceEvent[]) => events.filter((e) => e.type === 'breaker-state');
const ofType = (events: ResilienceEvent[], type: ResilienceEvent['type']) => events.filter((e) => e.type === type);

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

describe('client → A → B → C → D, default stacks everywhere (real servers)', () => {
  it('D unavailable: only C retries D (≤ 3 runs a request); client gets UNAVAILABLE with a hint, then C’s breaker answers', async () => {
    chain = await startChain();
    const c = chain;
    const breakerOpened = (caller: Caller) => stateChanges(c.events[caller]).some((e) => e.type === 'breaker-state' && e.to === 'open');
    const requests: Request[] = [];
    // Until C's breaker for D opens (20 failed attempts), then one request more.
    for (let n = 0; n < 30 && !breakerOpened('C'); n++) requests.push(await send(c, { id: `u${n}`, text: 'unavailable' }));
    expect(breakerOpened('C')).toBe(true);
    requests.push(await send(c, { id: 'after-open', text: 'unavailable' }));

    const dRuns = requests.map((r) => c.runs(r.traceId).D);
    figure('tiers-d-unavailable', {
      requests: requests.length,
      dRunsPerRequest: dRuns.join(' '),
      codes: [...new Set(requests.map((r) => grpc.status[r.result.status.code]))].join(' '),
      hintsMs: requests.map((r) => retryHintMs(r.result)).join(' '),
      slowestMs: Math.round(Math.max(...requests.map((r) => r.elapsedMs))),
    });
    expect(dRuns[0]).toBe(3); // C's three attempts, nobody else's
    for (const [n, r] of requests.entries()) {
      const { code, details } = r.result.status;
      const seen = `request ${n}: ${JSON.stringify({ runs: c.runs(r.traceId), code, details })}`;
      expect(c.runs(r.traceId).D, seen).toBeLessThanOrEqual(3);
      // Every tier above C ran once: nobody retried on top of C.
      expect(c.runs(r.traceId), seen).toMatchObject({ A: 1, B: 1, C: 1 });
      // The outage, not a timeout: 5 s of deadline were left.
      expect(r.result.status.code, seen).toBe(grpc.status.UNAVAILABLE);
      expect(r.elapsedMs, seen).toBeLessThan(DEADLINE_MS / 2);
      // With the hint (D's own, or C's breaker's time to the probe), and the word not to retry.
      const hint = retryHintMs(r.result);
      expect(hint, seen).toBeGreaterThanOrEqual(0);
      expect(hint, seen).toBeLessThanOrEqual(RESET_TIMEOUT_MS);
      expect(r.result.status.metadata.get(PUSHBACK_KEY), seen).toEqual(['-1']);
    }
    // While D was reached, the hint was D's own; for the application too, this failure is not one to retry now.
    expect(retryHintMs(requests[0].result)).toBe(D_RETRY_MS);
    expect(describeServiceError(requests[0].result.error)).toMatchObject({
      code: grpc.status.UNAVAILABLE,
      retryable: false,
      retryDelayMs: D_RETRY_MS,
    });
    // Once C's breaker is open, D is not called and the hint is the time to C's probe.
    const last = requests[requests.length - 1];
    expect(c.runs(last.traceId).D).toBe(0);
    expect(retryHintMs(last.result)).toBeGreaterThan(RESET_TIMEOUT_MS / 2);
    // Only C retried.
    expect(ofType(c.events.C, 'retry').length).toBeGreaterThan(0);
    for (const caller of ['client', 'A', 'B'] as const) {
      expect(ofType(c.events[caller], 'retry'), caller).toEqual([]);
      expect(
        ofType(c.events[caller], 'give-up').every((e) => e.type === 'give-up' && e.reason === 'pushback-stop'),
        caller,
      ).toBe(true);
      expect(breakerOpened(caller), caller).toBe(false);
    }

    // A hint advises its own request only: an unrelated request goes through at once.
    const other = await send(c, { id: 'write' }, 'write');
    expect(other.result.status.code).toBe(grpc.status.OK);
    expect(other.result.response).toMatchObject({ servedBy: 'C' });
    expect(other.elapsedMs).toBeLessThan(DEADLINE_MS / 5);
  });

  it('a deterministic bug (INTERNAL) in B: B’s handler runs once per request, nobody retries, A’s retry budget is untouched', async () => {
    chain = await startChain();
    const c = chain;
    const requests: Request[] = [];
    for (let n = 0; n < 10; n++) requests.push(await send(c, { id: `bug${n}`, text: 'bug' }));
    figure('tiers-bug-in-b', {
      requests: requests.length,
      bRunsPerRequest: requests.map((r) => c.runs(r.traceId).B).join(' '),
      codes: [...new Set(requests.map((r) => grpc.status[r.result.status.code]))].join(' '),
      aBudgetTokens: c.budgets.A.snapshot().tokens,
    });
    for (const r of requests) {
      expect(r.result.status.code).toBe(grpc.status.INTERNAL);
      expect(c.runs(r.traceId)).toEqual({ A: 1, B: 1, C: 0, D: 0 });
    }
    for (const caller of CALLERS) expect(ofType(c.events[caller], 'retry'), caller).toEqual([]);
    expect(c.budgets.A.snapshot()).toMatchObject({ tokens: 10, retries: 0 });

    // So the next genuinely transient failure of B still gets A's retry.
    const flaky = await send(c, { id: 'flaky', text: 'flaky-b' });
    expect(flaky.result.status.code).toBe(grpc.status.OK);
    expect(c.runs(flaky.traceId)).toEqual({ A: 1, B: 2, C: 1, D: 1 });
  });

  it('client faults (D rejects the request): nothing retries, no breaker opens at any tier', async () => {
    chain = await startChain();
    const c = chain;
    const requests: Request[] = [];
    // Twice the breakers' volume threshold: were client faults counted, every breaker would open.
    for (let n = 0; n < 40; n++) requests.push(await send(c, { id: `bad${n}`, text: 'bad' }));
    for (const r of requests) {
      expect(r.result.status.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(c.runs(r.traceId)).toEqual({ A: 1, B: 1, C: 1, D: 1 });
      expect(r.result.status.metadata.get(PUSHBACK_KEY)).toEqual([]); // the code says it all
    }
    for (const caller of CALLERS) {
      expect(stateChanges(c.events[caller]), caller).toEqual([]);
      expect(ofType(c.events[caller], 'retry'), caller).toEqual([]);
    }
    // The chain still serves.
    expect((await send(c, { id: 'fine', text: 'ok' })).result.response).toMatchObject({ servedBy: 'D' });
  });
});
