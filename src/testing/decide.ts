import type { status } from '@grpc/grpc-js';
import { statusName } from '../status/codes';
import type { Random } from './random';
import { takesPushback, type ErrorPlan, type FaultPlan } from './rules';

/** What happens to one call. Every fault takes effect before the handler runs. */
export type FaultDecision =
  /** The handler runs, after `delayMs` (0: at once). */
  | { readonly action: 'pass'; readonly delayMs: number }
  /** The call fails with this status after `delayMs`; the handler never runs. */
  | {
      readonly action: 'error';
      readonly delayMs: number;
      readonly code: status;
      readonly message: string;
      readonly pushbackMs?: number;
      readonly retryInfoMs?: number;
    }
  /** The call is held for `durationMs`, then the handler runs; held until the call ends when undefined. */
  | { readonly action: 'stall'; readonly durationMs: number | undefined };

export const PASS: FaultDecision = Object.freeze({ action: 'pass', delayMs: 0 });

/**
 * Decides the fault for one call from its rule and its own random stream.
 * The first four draws are always taken, in this order — stall, error, code, latency — so each
 * knob keeps its own choices: raising the error rate does not change which calls stall or how
 * long they are delayed. The latency sample draws after them.
 * A stall excludes the other faults; latency applies to both passing and failing calls.
 */
export function decideFault(plan: FaultPlan | undefined, random: Random): FaultDecision {
  if (!plan) return PASS;
  const stallDraw = random();
  const errorDraw = random();
  const codeDraw = random();
  const latencyDraw = random();
  if (plan.stall && stallDraw < plan.stall.rate) return { action: 'stall', durationMs: plan.stall.durationMs };
  const delayMs = plan.latency && latencyDraw < plan.latency.rate ? plan.latency.sample(random) : 0;
  if (plan.error && errorDraw < plan.error.rate) return errorDecision(plan.error, codeDraw, delayMs);
  return delayMs === 0 ? PASS : { action: 'pass', delayMs };
}

/** The failure an error plan describes; `codeDraw` in [0, 1) picks among its codes. */
export function errorDecision(plan: ErrorPlan, codeDraw: number, delayMs: number): FaultDecision {
  const code = plan.codes.length === 1 ? plan.codes[0] : plan.codes[Math.floor(codeDraw * plan.codes.length)];
  const pushback = takesPushback(code);
  return {
    action: 'error',
    delayMs,
    code,
    message: plan.message ?? `injected fault: ${statusName(code)}`,
    ...(pushback && plan.pushbackMs !== undefined ? { pushbackMs: plan.pushbackMs } : {}),
    ...(pushback && plan.retryInfoMs !== undefined ? { retryInfoMs: plan.retryInfoMs } : {}),
  };
}

/** True when the decision changes anything about the call. */
export function isFault(decision: FaultDecision): boolean {
  return decision.action !== 'pass' || decision.delayMs > 0;
}
