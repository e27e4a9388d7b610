import * as grpc from '@grpc/grpc-js';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { clientInterceptors, currentCallContext, describeServiceError, isDegraded, serverInterceptors, wrapService } from '../../src';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { closeAll, ECHO_PATHS, echoClient, sleep, unary, type EchoClient, type EchoMessage } from '../helpers';
import { figure, round, runLoad, spread, watchLoopLag, watchUnhandled } from '../helpers/chaos';
import { startRestartableEchoServer, type RestartableServer } from '../helpers/restartable-server';

// Scenario 1: the server is killed and restarted (connections reset, port closed for a while)
// while 16 loops keep calling it through the full client stack.
const CONCURRENCY = 16;
const DEADLINE_MS = 250;
const LOAD_MS = 3_400;
const RESTARTS = [
  { atMs: 500, downMs: 300 },
  { atMs: 1_400, downMs: 300 },
  { atMs: 2_000, downMs: 0 },
];
/** Last stretch of the run, long after the last restart: calls must be served again. */
const RECOVERED_AFTER_MS = 2_900;
/**
 * How late a call may end after its deadline: timer slack, plus the worst event-loop stall
 * measured during the run (on a busy shared host a stall delays the deadline timer itself), at
 * most DEADLINE_HARD_LIMIT_MS.
 */
const DEADLINE_TOLERANCE_MS = 40;
const DEADLINE_HARD_LIMIT_MS = 150;

const { OK, UNAVAILABLE, DEADLINE_EXCEEDED } = grpc.status;
/** Codes a call may fail with when its server dies or it runs out of time: transient and classified. */
const EXPECTED_FAILURES = new Set<number>([UNAVAILABLE, DEADLINE_EXCEEDED]);

let server: RestartableServer | undefined;
let client: EchoClient | undefined;
let stack: ReturnType<typeof clientInterceptors> | undefined;

afterAll(() => closeAll(client, stack, server));

interface Outcome {
  readonly method: 'unary' | 'write';
  readonly startedAt: number;
  readonly overshootMs: number;
  readonly code: number;
  readonly fallback: boolean;
  readonly error?: grpc.ServiceError;
}

/**
 * A handler doing cancellable work, as a real one would await a database: 2–10 ms, but one call in
 * ten takes 150–400 ms, so some calls run into their deadline while others meet a dying server.
 */
async function work(call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>): Promise<EchoMessage> {
  const ms = Math.random() < 0.1 ? 150 + Math.random() * 250 : 2 + Math.random() * 8;
  await delay(ms, undefined, { signal: currentCallContext()!.signal });
  return { id: call.request.id, served: true };
}

it('server restarts under load: no call outlives its deadline, each ends OK, degraded or classified, no unhandled rejection', async () => {
  const watch = watchUnhandled();
  server = await startRestartableEchoServer(wrapService({ unary: work, write: work }), {
    interceptors: serverInterceptors({ errors: { logger: false } }),
  });
  const events: ResilienceEvent[] = [];
  stack = clientInterceptors({
    retry: { maxAttempts: 3, initialBackoffMs: 20, maxBackoffMs: 100 },
    breaker: { volumeThreshold: 10, resetTimeoutMs: 200, rollingWindowMs: 1_000 },
    fallback: { [ECHO_PATHS.unary]: (request: EchoMessage) => ({ id: request.id, fallback: true }) },
    onEvent: (e) => events.push(e),
  });
  // Reconnect quickly once the port is back (grpc-js waits 1 s by default), to keep the run short.
  client = echoClient(server.address, {
    interceptors: stack,
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 200,
  });

  const lag = watchLoopLag();
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  const outcomes: Outcome[] = [];
  const chaos = (async () => {
    for (const { atMs, downMs } of RESTARTS) {
      await sleep(Math.max(0, atMs - elapsed()));
      await server!.restart(downMs);
    }
  })();
  const calls = await runLoad({
    concurrency: CONCURRENCY,
    maxCalls: 20_000,
    shouldStop: () => elapsed() >= LOAD_MS,
    call: async (i) => {
      const method = i % 2 === 0 ? 'unary' : 'write';
      const startedAt = elapsed();
      const deadline = Date.now() + DEADLINE_MS;
      const r = await unary(client!, { id: String(i) }, { method, callOptions: { deadline } });
      outcomes.push({
        method,
        startedAt,
        overshootMs: Date.now() - deadline,
        code: r.status.code,
        fallback: r.status.code === OK && isDegraded(r.status),
        error: r.error,
      });
    },
  });
  await chaos;
  const loop = lag.stop();
  await sleep(50); // let late callbacks (if any) surface as unhandled rejections
  const unhandled = watch.stop();

  const byCode: Record<string, number> = {};
  for (const o of outcomes) {
    const name = o.fallback ? 'FALLBACK' : grpc.status[o.code] ?? String(o.code);
    byCode[name] = (byCode[name] ?? 0) + 1;
  }
  const unexpected = outcomes.filter((o) => o.code !== OK && !EXPECTED_FAILURES.has(o.code));
  // Unary has a fallback; a failure that still reaches its caller is counted (see docs/chaos.md).
  const unaryFailed = outcomes.filter((o) => o.method === 'unary' && o.code !== OK);
  const unclassified = outcomes.filter((o) => o.error && describeServiceError(o.error)?.code !== o.code);
  const overshoot = spread(outcomes.map((o) => o.overshootMs));
  const recovered = outcomes.filter((o) => o.startedAt >= RECOVERED_AFTER_MS);
  const recoveredOk = recovered.filter((o) => o.code === OK && !o.fallback).length;
  const transitions = events.flatMap((e) => (e.type === 'breaker-state' ? [`${e.from}>${e.to}`] : []));
  figure('restart-under-load', {
    calls,
    restarts: RESTARTS.length,
    byCode,
    maxOvershootMs: overshoot.max,
    p99OvershootMs: overshoot.p99,
    unexpected: unexpected.length,
    unaryFailuresPastFallback: unaryFailed.length,
    unhandled: unhandled.length,
    retries: events.filter((e) => e.type === 'retry').length,
    breakerTransitions: transitions.length,
    recoveredOkShare: round(recoveredOk / Math.max(1, recovered.length), 3),
    loopLagMs: loop,
  });

  expect(calls).toBeGreaterThan(200);
  expect(unhandled).toEqual([]);
  expect(unexpected.map((o) => `${o.method} ${o.code} ${o.error?.details}`)).toEqual([]);
  expect(unclassified).toEqual([]);
  expect(overshoot.max).toBeLessThanOrEqual(Math.min(DEADLINE_TOLERANCE_MS + loop.max, DEADLINE_HARD_LIMIT_MS));
  // The restarts did hurt and slow calls did meet their deadline: otherwise this would prove nothing.
  expect(outcomes.filter((o) => o.fallback || o.code !== OK).length).toBeGreaterThan(0);
  expect(outcomes.filter((o) => o.overshootMs >= -5).length).toBeGreaterThan(0);
  // Long after the last restart, calls are served by the server again, not by fallbacks. About
  // 6 % of calls are slow enough to miss their deadline even on a healthy server, so ~94 % is the
  // ceiling; 80 % leaves room for a breaker still finishing its probe cycle on a loaded machine.
  expect(recovered.length).toBeGreaterThan(20);
  expect(recoveredOk / recovered.length).toBeGreaterThanOrEqual(0.8);
});
