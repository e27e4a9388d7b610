import type * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child-rpc';
import { seededRandom } from '../lib/random';
import { ExecutionCounter } from './counter';
import { verdict, type Fault } from './faults';
import { requestId, type MethodName } from './service';
import { startServer, type Handler, type Outcome } from './stacks';
import { EventCounter } from './events';
import { systemVariant } from './variants';
import { WorkPool } from './work-pool';

/**
 * One back replica: each call does `workMs` of work in a pool of `slots` (its capacity), unless a
 * fault of the plan says otherwise. It counts its handler executions per client request.
 */
let pool = new WorkPool(1);
let workMs = 0;
let faults: Fault[] = [];
let startAt = Infinity;
let random = seededRandom(1);
const executions = new ExecutionCounter();
const events = new EventCounter();
const stallTimers: NodeJS.Timeout[] = [];
/** Work finished for a caller that had gone meanwhile (cancelled, deadline passed, hedge lost). */
let wasted = 0;

function handler(method: MethodName): Handler {
  return async (call: grpc.ServerUnaryCall<Buffer, Buffer>): Promise<Outcome> => {
    executions.add(requestId(call.request));
    const v = verdict(faults, method, Date.now() - startAt, random);
    if ('fail' in v) return { fail: v.fail };
    const worked = await pool.run(workMs * v.workFactor, () => call.cancelled);
    if (worked && call.cancelled) wasted++;
    return worked ? { response: call.request } : { fail: 'cancelled' };
  };
}

function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // blocked, as in a stop-the-world pause
  }
}

serveParent({
  async init(message) {
    const variant = systemVariant(message.variant as string);
    pool = new WorkPool(message.slots as number);
    workMs = message.workMs as number;
    const { port } = await startServer(variant, { work: handler('work'), lookup: handler('lookup') }, events.handler(variant));
    return { port };
  },
  /** The fault plan of the next run, timed from `startAt` (epoch ms). */
  plan(message) {
    startAt = message.startAt as number;
    faults = message.faults as Fault[];
    random = seededRandom(message.seed as number);
    executions.clear();
    events.clear();
    wasted = 0;
    for (const f of faults) {
      if (f.kind === 'stall') stallTimers.push(setTimeout(() => stall(f.ms), Math.max(0, startAt + f.atMs - Date.now())));
    }
    return {};
  },
  read() {
    return { executions: executions.toPairs(), done: pool.done, skipped: pool.skipped, wasted, events: events.counts() };
  },
});
