import * as grpc from '@grpc/grpc-js';
import {
  clientInterceptors,
  createCallContext,
  currentCallContext,
  decodeErrorDetails,
  runWithCallContext,
  statusName,
  type BreakerState,
  type ClientStack,
  type LogOptions,
  type ResilienceEvent,
} from '../../src';
import { faultInjector, seededRandom, type FaultInjector } from '../../src/testing';
import { ProfileServiceClient, ProfileServiceDefinition } from '../gen/example/profile/v1/profile';
import { stackLogger, type LogLine } from '../services/log';
import { startProfileSystem, type ProfileSystem } from '../services/system';
import { isServiceError, unary } from '../services/unary';
import { FAKE_SECRET } from '../services/users';
import { FaultSchedule, LogCollector, faultLogLine, faultsSince } from './collect';
import { breakerTuning, PHASES, type Phase } from './phases';
import { requestPlan } from './plan';
import type { BreakerChange, DemoReport, InternalErrorExample, PhaseReport } from './report-types';
import { followOneTrace, internalErrorLines, latencySummary, metadataText, readableTrailers, type RequestRecord } from './analyse';

export interface DemoOptions {
  /** Profile requests in all, split evenly over the four phases. Default 2,000. */
  readonly requests?: number;
  /** Requests in flight at most. Default 16. */
  readonly concurrency?: number;
  /** Seed of the request plan and of the fault schedule. Default 42. */
  readonly seed?: number;
  /** How long the run should take: each phase's requests are spread over a quarter of it. Default 20,000 ms. */
  readonly durationMs?: number;
  /** Receives progress about every `progressIntervalMs` (default 100) and at the end of each phase. */
  readonly onProgress?: (progress: DemoProgress) => void;
  readonly progressIntervalMs?: number;
}

export const DEMO_DEFAULTS = Object.freeze({ requests: 2_000, concurrency: 16, seed: 42, durationMs: 20_000 });
/** The short mode (`--quick`, CI): a few seconds. */
export const QUICK_DEFAULTS = Object.freeze({ requests: 200, durationMs: 3_000 });

export interface DemoProgress {
  readonly phase: string;
  /** 1-based. */
  readonly phaseNumber: number;
  readonly phaseCount: number;
  readonly done: number;
  readonly total: number;
  readonly ok: number;
  readonly degraded: number;
  readonly notFound: number;
  readonly failed: number;
  readonly retries: number;
  /** The worst state among each target's breakers (the profile's `users` and `preferences`, the demo's `profile`). */
  readonly breakers: Readonly<Record<string, BreakerState>>;
  readonly elapsedMs: number;
  /** True for the update sent when a phase has finished. */
  readonly phaseDone: boolean;
}

/** The profile's callers give it this long per request. */
const CLIENT_TIMEOUT_MS = 1_000;
/** Successful calls are logged too (at debug), so a trace can be followed through every service. */
const LOGS: LogOptions = { clientLevels: { OK: 'debug' }, serverLevels: { OK: 'debug' } };

interface Tally {
  readonly phase: Phase;
  requests: number;
  ok: number;
  degraded: number;
  notFound: number;
  failed: number;
  readonly failedByCode: Record<string, number>;
  readonly retries: Record<string, number>;
  readonly fallbacks: Record<string, number>;
  readonly breakerRejects: Record<string, number>;
  readonly latencies: number[];
}

function newTally(phase: Phase): Tally {
  return { phase, requests: 0, ok: 0, degraded: 0, notFound: 0, failed: 0, failedByCode: {}, retries: {}, fallbacks: {}, breakerRejects: {}, latencies: [] };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min) throw new RangeError(`${name} must be an integer ≥ ${min}; got ${String(value)}`);
  return result;
}

function connected(client: grpc.Client): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + 5_000, (error) => (error ? reject(error) : resolve())));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs the profile scenario in this process: the three services on 127.0.0.1 ephemeral ports, the
 * fault kit on the user and preferences servers, and a client sending profile requests through
 * four phases. Resolves with the report once everything is shut down (no timers or sockets left).
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const requests = positiveInteger('requests', options.requests, DEMO_DEFAULTS.requests, PHASES.length);
  const concurrency = positiveInteger('concurrency', options.concurrency, DEMO_DEFAULTS.concurrency);
  const seed = positiveInteger('seed', options.seed, DEMO_DEFAULTS.seed, 0);
  if (seed > 0xffff_ffff) throw new RangeError(`seed must be at most ${0xffff_ffff}; got ${seed}`);
  const durationMs = positiveInteger('durationMs', options.durationMs, DEMO_DEFAULTS.durationMs, 0);
  const phaseMs = durationMs / PHASES.length;
  const sizes = PHASES.map((_, i) => Math.floor(requests / PHASES.length) + (i < requests % PHASES.length ? 1 : 0));
  const plan = requestPlan(seed, requests, sizes[0]);

  const logs = new LogCollector();
  const schedule = new FaultSchedule();
  const timeline: BreakerChange[] = [];
  const records: RequestRecord[] = [];
  const totals = { done: 0, ok: 0, degraded: 0, notFound: 0, failed: 0, retries: 0 };
  let tally = newTally(PHASES[0]);
  let startedAt = performance.now();
  let internalError: InternalErrorExample | undefined;
  let responsesChecked = 0;
  let responsesLeaking = 0;

  const onEvent = (event: ResilienceEvent): void => {
    switch (event.type) {
      case 'retry':
        bump(tally.retries, event.target ?? 'unknown');
        totals.retries++;
        break;
      case 'fallback':
        if (event.succeeded) bump(tally.fallbacks, event.reason ?? 'server-fault');
        break;
      case 'breaker-reject':
        bump(tally.breakerRejects, event.target ?? 'unknown');
        break;
      case 'breaker-state':
        timeline.push({ atMs: Math.round(performance.now() - startedAt), phase: tally.phase.name, breaker: event.key, from: event.from, to: event.to });
        break;
    }
  };
  const injector = (service: string): FaultInjector =>
    faultInjector({
      seed,
      onFault: (event) => {
        schedule.record(event, PHASES.indexOf(tally.phase) + 1);
        logs.add(faultLogLine(service, event, currentCallContext()?.traceId));
      },
    });
  const users = injector('users');
  const preferences = injector('preferences');
  const breaker = breakerTuning(phaseMs);
  let system: ProfileSystem | undefined;
  let stack: ClientStack | undefined;
  let client: ProfileServiceClient | undefined;
  let progressTimer: NodeJS.Timeout | undefined;

  const stacks = (): Record<string, ClientStack | undefined> => ({
    users: system?.dependencies.stacks.users,
    preferences: system?.dependencies.stacks.preferences,
    profile: stack,
  });
  const progress = (phaseDone = false): DemoProgress => ({
    phase: tally.phase.title,
    phaseNumber: PHASES.indexOf(tally.phase) + 1,
    phaseCount: PHASES.length,
    done: totals.done,
    total: requests,
    ok: totals.ok,
    degraded: totals.degraded,
    notFound: totals.notFound,
    failed: totals.failed,
    retries: totals.retries,
    breakers: worstBreakerStates(stacks()),
    elapsedMs: performance.now() - startedAt,
    phaseDone,
  });
  const report = options.onProgress;

  /** One profile request, in a fresh call context so its trace id is known up front. */
  async function send(userId: string, current: Tally): Promise<void> {
    const context = createCallContext();
    const record: RequestRecord = { traceId: context.traceId, userId, phase: current.phase.name, outcome: 'ok' };
    records.push(record);
    current.requests++;
    const started = performance.now();
    try {
      const { response, status } = await runWithCallContext(context, () => unary(client!.getProfile.bind(client!), { userId }));
      current.latencies.push(performance.now() - started);
      checkForLeak(JSON.stringify(response) + metadataText(status.metadata));
      if (response.profile?.degraded) {
        current.degraded++;
        totals.degraded++;
        record.outcome = 'degraded';
      } else {
        current.ok++;
        totals.ok++;
      }
    } catch (error) {
      if (!isServiceError(error)) throw error;
      current.latencies.push(performance.now() - started);
      const decoded = decodeErrorDetails(error);
      checkForLeak([error.message, error.details, metadataText(error.metadata), JSON.stringify(decoded.details)].join('\n'));
      record.outcome = statusName(error.code);
      if (error.code === grpc.status.NOT_FOUND) {
        // An answer, not a failure: the plan asks for unknown users on purpose.
        current.notFound++;
        totals.notFound++;
        return;
      }
      current.failed++;
      totals.failed++;
      bump(current.failedByCode, statusName(error.code));
      if (error.code === grpc.status.INTERNAL && internalError === undefined) {
        internalError = {
          traceId: context.traceId,
          phase: current.phase.name,
          userId,
          serverLog: [],
          received: {
            code: error.code,
            codeName: statusName(error.code),
            message: error.details,
            details: decoded.details.map((detail) => ({ type: detail.type, value: detail.value })),
            trailers: readableTrailers(error.metadata),
          },
        };
      }
    } finally {
      totals.done++;
    }
  }

  function checkForLeak(received: string): void {
    responsesChecked++;
    if (received.includes(FAKE_SECRET)) responsesLeaking++;
  }

  /** Sends a phase's requests paced over `phaseMs`, at most `concurrency` at a time; waits for all. */
  async function drive(ids: readonly string[], current: Tally): Promise<void> {
    const interval = ids.length > 0 ? phaseMs / ids.length : 0;
    const start = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let k = 0; k < ids.length; k++) {
      const wait = start + k * interval - performance.now();
      if (wait >= 1) await sleep(wait);
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const request: Promise<void> = send(ids[k], current).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await Promise.all(inFlight);
  }

  const phases: PhaseReport[] = [];
  try {
    system = await startProfileSystem({
      log: logs.add,
      logs: LOGS,
      usersInterceptors: [users.interceptor],
      preferencesInterceptors: [preferences.interceptor],
      onEvent,
      breaker,
      random: seededRandom(seed ^ 0x5eed),
    });
    stack = clientInterceptors({
      target: 'profile',
      service: ProfileServiceDefinition, // GetProfile is NO_SIDE_EFFECTS: safe to retry
      deadline: { defaultTimeoutMs: CLIENT_TIMEOUT_MS },
      retry: { random: seededRandom(seed ^ 0xc1 ^ 0x5eed) },
      breaker,
      logger: stackLogger('client', logs.add),
      logs: LOGS,
      onEvent,
    });
    client = new ProfileServiceClient(system.addresses.profile, grpc.credentials.createInsecure(), { interceptors: stack });
    // Connect first, so the first phase does not pay for connection set-up.
    await Promise.all([client, system.dependencies.users, system.dependencies.preferences].map(connected));

    startedAt = performance.now();
    if (report) progressTimer = setInterval(() => report(progress()), options.progressIntervalMs ?? 100);
    let offset = 0;
    for (const [index, phase] of PHASES.entries()) {
      tally = newTally(phase);
      users.setRules(phase.users);
      preferences.setRules(phase.preferences);
      if (phase.preferencesDown) preferences.down();
      else preferences.up();
      const before = { users: users.stats().total, preferences: preferences.stats().total };
      const phaseStart = performance.now();
      await drive(plan.slice(offset, offset + sizes[index]), tally);
      offset += sizes[index];
      phases.push({
        name: phase.name,
        title: phase.title,
        expect: phase.expect,
        durationMs: Math.round(performance.now() - phaseStart),
        requests: tally.requests,
        ok: tally.ok,
        degraded: tally.degraded,
        notFound: tally.notFound,
        failed: tally.failed,
        failedByCode: tally.failedByCode,
        retries: tally.retries,
        fallbacks: tally.fallbacks,
        breakerRejects: tally.breakerRejects,
        latencyMs: latencySummary(tally.latencies),
        injected: {
          users: faultsSince(users.stats().total, before.users),
          preferences: faultsSince(preferences.stats().total, before.preferences),
        },
      });
      report?.(progress(true));
    }
  } finally {
    clearInterval(progressTimer);
    client?.close();
    stack?.dispose();
    users.dispose();
    preferences.dispose();
    await system?.close();
  }

  const sequenced: Record<string, number> = {};
  for (const injected of [users, preferences]) {
    for (const [method, counters] of Object.entries(injected.stats().methods)) sequenced[method] = counters.calls - counters.outage;
  }
  const logLinesBySecret: Record<string, number> = {};
  for (const line of logs.lines()) if (JSON.stringify(line).includes(FAKE_SECRET)) bump(logLinesBySecret, line.service);
  const internal = internalError as InternalErrorExample | undefined;

  return {
    version: 1,
    seed,
    options: { requests, concurrency, durationMs },
    durationMs: Math.round(performance.now() - startedAt),
    totals: {
      requests,
      ok: totals.ok,
      degraded: totals.degraded,
      notFound: totals.notFound,
      failed: totals.failed,
      retries: totals.retries,
    },
    phases,
    breakerTimeline: timeline,
    trace: followOneTrace(records, logs),
    internalError: internal && { ...internal, serverLog: internalErrorLines(logs, internal.traceId) },
    leaks: { secret: FAKE_SECRET, responsesChecked, responsesLeaking, logLinesBySecret },
    faultSchedule: schedule.list(sequenced),
  };
}

const SEVERITY: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

function worstBreakerStates(stacks: Record<string, ClientStack | undefined>): Record<string, BreakerState> {
  const states: Record<string, BreakerState> = {};
  for (const [name, stack] of Object.entries(stacks)) {
    let worst: BreakerState = 'closed';
    for (const breaker of stack?.breakers?.snapshot() ?? []) if (SEVERITY[breaker.state] > SEVERITY[worst]) worst = breaker.state;
    states[name] = worst;
  }
  return states;
}

export type { LogLine };
