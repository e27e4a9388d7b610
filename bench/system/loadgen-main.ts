import * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child-rpc';
import { closedLoop } from '../lib/driver';
import { seededRandom } from '../lib/random';
import { quantile } from '../lib/stats';
import { EventCounter } from './events';
import { schedule, type LoadPhase, type Schedule } from './open-loop';
import { METHODS, WARMUP_ID_BASE, encodeRequest } from './service';
import { createCaller, type Caller } from './stacks';
import { systemVariant } from './variants';

/** The load generator: one client of the front, driven open-loop (or closed-loop to calibrate). */
let caller: Caller | undefined;
const events = new EventCounter();

/** What the load generator saw of each call of a run, by schedule index (request id = index + 1). */
export interface RunRecords {
  /** Scheduled start, ms from the run's start. */
  readonly at: number[];
  readonly method: number[];
  /** Index into `classes`. */
  readonly cls: number[];
  readonly classes: readonly string[];
  /** From the scheduled start to the end of the call, ms. */
  readonly latencyMs: number[];
  /** Status code the client saw (0 = OK). */
  readonly code: number[];
  /** How late the generator started calls (its own lag), ms. */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  readonly events: Record<string, number>;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function runOpenLoop(c: Caller, plan: Schedule, startAt: number, deadlineMs: number, idBase: number): Promise<Omit<RunRecords, 'events'>> {
  const n = plan.at.length;
  const latencyMs = new Array<number>(n).fill(NaN);
  const code = new Array<number>(n).fill(-1);
  const lag = new Float64Array(n);
  const perfStart = performance.now() + (startAt - Date.now());
  return new Promise((resolve) => {
    let next = 0;
    let pending = 0;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const lags = Array.from(lag);
      resolve({
        at: Array.from(plan.at, round2),
        method: Array.from(plan.method),
        cls: Array.from(plan.cls),
        classes: plan.classes,
        latencyMs,
        code,
        lagP99Ms: round2(quantile(lags, 0.99) || 0),
        lagMaxMs: round2(lags.reduce((a, b) => Math.max(a, b), 0)),
      });
    };
    const tick = () => {
      const now = performance.now() - perfStart;
      while (next < n && plan.at[next] <= now) {
        const i = next++;
        const scheduled = plan.at[i];
        lag[i] = now - scheduled;
        pending++;
        const settings = { deadline: startAt + scheduled + deadlineMs, callClass: plan.classes[plan.cls[i]] };
        c.call(METHODS[plan.method[i]], encodeRequest(idBase + i), settings, (failure) => {
          latencyMs[i] = round2(performance.now() - perfStart - scheduled);
          code[i] = failure ? failure.code : grpc.status.OK;
          if (--pending === 0 && next === n) finish();
        });
      }
      if (next < n) setTimeout(tick, Math.max(0, plan.at[next] - (performance.now() - perfStart)));
      else if (pending === 0) finish();
    };
    setTimeout(tick, Math.max(0, startAt - Date.now()));
  });
}

serveParent({
  init(message) {
    const variant = systemVariant(message.variant as string);
    caller = createCaller(variant, `127.0.0.1:${message.frontPort as number}`, false, events.handler(variant));
    return {};
  },
  /** An open-loop run starting at `startAt` (epoch ms); `warmup` runs use ids the services do not count. */
  async run(message): Promise<RunRecords> {
    if (!caller) throw new Error('run before init');
    const plan = schedule(message.phases as LoadPhase[], seededRandom(message.seed as number));
    events.clear();
    const idBase = message.warmup ? WARMUP_ID_BASE : 1;
    const records = await runOpenLoop(caller, plan, message.startAt as number, message.deadlineMs as number, idBase);
    return { ...records, events: events.counts() };
  },
  /** Calibration: `concurrency` calls always in flight for `durationMs`. */
  closed(message) {
    if (!caller) throw new Error('closed before init');
    const c = caller;
    const deadlineMs = message.deadlineMs as number;
    let id = WARMUP_ID_BASE;
    const invoker = {
      invoke: (done: (err: unknown) => void) =>
        c.call('work', encodeRequest(id++), { deadline: Date.now() + deadlineMs }, (failure) => done(failure ?? undefined)),
    };
    return closedLoop(invoker, message.concurrency as number, message.durationMs as number, true);
  },
});
