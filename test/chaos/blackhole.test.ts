import * as grpc from '@grpc/grpc-js';
import { afterAll, expect, it } from 'vitest';
import { clientInterceptors, localFailureKind, serverInterceptors, wrapService } from '../../src';
import type { BreakerStateEvent, ResilienceEvent } from '../../src/telemetry/events';
import { closeAll, echoClient, sleep, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { figure, round, spread, watchLoopLag } from '../helpers/chaos';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

// Scenario 2: the network path to the server silently drops everything (a partition: sockets stay
// open, nothing arrives, no reset). Only deadlines can end the calls; the breaker must notice, stop
// sending, keep probing, and close once the path heals.
const DEADLINE_MS = 150;
const RESET_TIMEOUT_MS = 250;
const CONCURRENCY = 8;
const BLACKHOLE_MS = 1_800;
const ROLLING_WINDOW_MS = 600;
/**
 * How late a call may end after its deadline: timer slack, plus the worst event-loop stall
 * measured during the run (on a busy shared host a stall delays the deadline timer itself), at
 * most DEADLINE_HARD_LIMIT_MS.
 */
const DEADLINE_TOLERANCE_MS = 40;
const DEADLINE_HARD_LIMIT_MS = 150;

const { OK, DEADLINE_EXCEEDED, UNAVAILABLE } = grpc.status;

let server: TestServer | undefined;
let proxy: TcpProxy | undefined;
let client: EchoClient | undefined;
let stack: ReturnType<typeof clientInterceptors> | undefined;

afterAll(() => closeAll(client, stack, proxy, server));

interface Outcome {
  readonly at: number;
  readonly code: number;
  readonly local: boolean;
  readonly overshootMs: number;
}

it('blackhole: deadlines fire on time, the breaker opens, probes continue during the partition and close it after healing', async () => {
  server = await startEchoServer(wrapService({ unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>) => ({ id: call.request.id }) }), {
    interceptors: serverInterceptors({ errors: { logger: false } }),
  });
  proxy = await startTcpProxy(server.port);
  const events: Array<ResilienceEvent & { at: number }> = [];
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  stack = clientInterceptors({
    retry: false, // one attempt per call: every timeout is one breaker failure
    breaker: { volumeThreshold: 8, errorThresholdPercentage: 50, resetTimeoutMs: RESET_TIMEOUT_MS, rollingWindowMs: ROLLING_WINDOW_MS },
    onEvent: (e) => events.push({ ...e, at: elapsed() }),
  });
  client = echoClient(proxy.address, { interceptors: stack });
  const lag = watchLoopLag();
  const outcomes: Outcome[] = [];
  const call = async (id: string) => {
    const deadline = Date.now() + DEADLINE_MS;
    const r = await unary(client!, { id }, { callOptions: { deadline } });
    outcomes.push({ at: elapsed(), code: r.status.code, local: localFailureKind(r.status.metadata) !== undefined, overshootMs: Date.now() - deadline });
  };
  /** Keeps CONCURRENCY callers busy for `ms`, each pausing 10 ms between calls. */
  const load = async (ms: number, prefix: string) => {
    const end = elapsed() + ms;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        for (let i = 0; elapsed() < end; i++) {
          await call(`${prefix}-${w}-${i}`);
          await sleep(10);
        }
      }),
    );
  };

  // Connect first (a handshake through the proxy on a busy host can take longer than a deadline).
  expect((await unary(client, { id: 'connect' }, { callOptions: { deadline: Date.now() + 5_000 } })).status.code).toBe(OK);
  await load(200, 'warm');
  const healthy = outcomes.length;
  expect(outcomes.filter((o) => o.code === OK).length).toBeGreaterThanOrEqual(healthy * 0.9);

  proxy.blackhole(true);
  const blackholedAt = elapsed();
  await load(BLACKHOLE_MS, 'dark');
  proxy.heal();
  const healedAt = elapsed();
  // After healing: keep calling until the breaker has closed and calls succeed (bounded).
  let closedAt: number | undefined;
  for (let round = 0; round < 40 && closedAt === undefined; round++) {
    await load(50, `heal${round}`);
    closedAt = events.find((e) => e.at >= healedAt && e.type === 'breaker-state' && e.to === 'closed')?.at;
  }
  await load(100, 'after');
  const loop = lag.stop();

  const dark = outcomes.slice(healthy).filter((o) => o.at - DEADLINE_MS >= blackholedAt && o.at <= healedAt);
  const timedOut = dark.filter((o) => o.code === DEADLINE_EXCEEDED);
  const rejected = dark.filter((o) => o.code === UNAVAILABLE && o.local);
  const overshoot = spread(timedOut.map((o) => o.overshootMs));
  const transitions = events.filter((e): e is BreakerStateEvent & { at: number } => e.type === 'breaker-state');
  const openedAt = transitions.find((e) => e.to === 'open' && e.at >= blackholedAt)?.at;
  const probesInDark = transitions.filter((e) => e.to === 'half-open' && e.at >= blackholedAt && e.at <= healedAt).length;
  const tail = outcomes.filter((o) => closedAt !== undefined && o.at > closedAt + 20);
  figure('blackhole', {
    deadlineMs: DEADLINE_MS,
    timedOut: timedOut.length,
    maxOvershootMs: overshoot.max,
    p50OvershootMs: overshoot.p50,
    openAfterMs: openedAt === undefined ? null : round(openedAt - blackholedAt),
    rejectedLocally: rejected.length,
    probesDuringBlackhole: probesInDark,
    closedAfterHealMs: closedAt === undefined ? null : round(closedAt - healedAt),
    okAfterClose: `${tail.filter((o) => o.code === OK).length}/${tail.length}`,
    transitions: transitions.map((e) => `${e.from}>${e.to}`).join(' '),
    loopLagMs: loop,
  });

  // Deadlines fire within the margin: nothing comes back through a blackhole, only the timer ends a call.
  expect(timedOut.length).toBeGreaterThanOrEqual(8);
  expect(overshoot.max).toBeLessThanOrEqual(Math.min(DEADLINE_TOLERANCE_MS + loop.max, DEADLINE_HARD_LIMIT_MS));
  // Every call in the dark ended with its deadline or a local rejection, nothing else.
  expect(dark.every((o) => o.code === DEADLINE_EXCEEDED || (o.code === UNAVAILABLE && o.local))).toBe(true);
  // The breaker opened once timeouts outweighed the healthy calls still in its window (at the
  // latest when the window has forgotten them), then answered locally.
  expect(openedAt).toBeDefined();
  expect(openedAt! - blackholedAt).toBeLessThanOrEqual(ROLLING_WINDOW_MS + DEADLINE_MS + DEADLINE_TOLERANCE_MS);
  expect(rejected.length).toBeGreaterThan(timedOut.length);
  // Probes resumed every reset timeout during the partition (each failed and reopened the breaker).
  expect(probesInDark).toBeGreaterThanOrEqual(2);
  // After healing the next probe succeeds: closed within one reset timeout plus a probe's round trip.
  expect(closedAt).toBeDefined();
  expect(closedAt! - healedAt).toBeLessThanOrEqual(RESET_TIMEOUT_MS + DEADLINE_MS + 200);
  expect(tail.length).toBeGreaterThan(10);
  expect(tail.every((o) => o.code === OK)).toBe(true);
});
