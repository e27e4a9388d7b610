import * as grpc from '@grpc/grpc-js';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { clientInterceptors, currentCallContext, serverInterceptors, wrapService } from '../../src';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { closeAll, echoClient, sleep, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { figure, runLoad, watchUnhandled } from '../helpers/chaos';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

// Scenario 4: a non-idempotent method (Write: not declared idempotent, the default) under
// connection resets. Each request carries a unique id; the server counts how often each id was
// executed. A reset can hit a call before the server saw it, while the handler runs, or after the
// side effect but before the response: the client cannot tell these apart. A first, sequential
// phase makes the worst case certain (a write whose handler resets the connection right after its
// side effect, as a crash at that instant would); then resets land at random under load.
const CONCURRENCY = 12;
const LOAD_MS = 2_000;
const RESET_EVERY_MS = 250;

let server: TestServer | undefined;
let proxy: TcpProxy | undefined;
let client: EchoClient | undefined;
let stack: ReturnType<typeof clientInterceptors> | undefined;

afterAll(() => closeAll(client, stack, proxy, server));

it('non-idempotent writes under connection resets: no request id is executed twice', async () => {
  const watch = watchUnhandled();
  const executions = new Map<string, number>();
  server = await startEchoServer(
    wrapService({
      write: async (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>) => {
        const { signal } = currentCallContext()!;
        await delay(Math.random() * 2, undefined, { signal }); // validate
        const id = String(call.request.id);
        executions.set(id, (executions.get(id) ?? 0) + 1); // the side effect, committed
        if (call.request.resetAfterCommit) proxy!.resetAll();
        // Wait for replication, then answer: the write stands even if the caller is gone by then.
        await delay(5 + Math.random() * 10);
        return { id, written: true };
      },
    }),
    { interceptors: serverInterceptors({ errors: { logger: false } }) },
  );
  proxy = await startTcpProxy(server.port);
  const events: ResilienceEvent[] = [];
  // Default retries; the breaker recovers in 200 ms instead of 10 s, so the run keeps writing.
  stack = clientInterceptors({ breaker: { resetTimeoutMs: 200 }, onEvent: (e) => events.push(e) });
  client = echoClient(proxy.address, {
    interceptors: stack,
    'grpc.initial_reconnect_backoff_ms': 50,
    'grpc.max_reconnect_backoff_ms': 100,
  });

  const codes: Record<string, number> = {};
  const count = (code: number) => {
    const name = grpc.status[code] ?? String(code);
    codes[name] = (codes[name] ?? 0) + 1;
  };
  const callOptions = () => ({ deadline: Date.now() + 1_000 });
  for (let i = 0; i < 3; i++) {
    count((await unary(client, { id: `commit-then-reset-${i}`, resetAfterCommit: true }, { method: 'write', callOptions: callOptions() })).status.code);
  }

  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  let resets = 0;
  const chaos = (async () => {
    while (elapsed() < LOAD_MS) {
      await sleep(RESET_EVERY_MS);
      resets += proxy!.resetAll();
    }
  })();
  const calls = await runLoad({
    concurrency: CONCURRENCY,
    maxCalls: 20_000,
    shouldStop: () => elapsed() >= LOAD_MS,
    call: async (i) => {
      count((await unary(client!, { id: `w${i}` }, { method: 'write', callOptions: callOptions() })).status.code);
    },
  });
  await chaos;
  await sleep(20); // handlers still finishing their response
  const unhandled = watch.stop();

  const duplicates = [...executions].filter(([, n]) => n > 1);
  const retriedAfterReset = events.filter((e) => e.type === 'retry' && e.code === grpc.status.UNAVAILABLE).length;
  figure('resets-non-idempotent', {
    calls,
    resets,
    executedIds: executions.size,
    duplicateIds: duplicates.length,
    extraExecutions: duplicates.reduce((sum, [, n]) => sum + n - 1, 0),
    retriesOfUnavailable: retriedAfterReset,
    notRetriedAsNonIdempotent: events.filter((e) => e.type === 'give-up' && e.reason === 'not-idempotent').length,
    codes,
  });

  expect(unhandled).toEqual([]);
  expect(calls).toBeGreaterThan(100);
  expect(resets).toBeGreaterThanOrEqual(4);
  expect(executions.get('commit-then-reset-0')).toBeGreaterThanOrEqual(1); // the worst case did happen: the resets hit live connections
  expect(codes.UNAVAILABLE ?? 0).toBeGreaterThan(0);
  expect(duplicates).toEqual([]);
});
