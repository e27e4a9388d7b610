import type { DeadlinePolicy } from './policy';

/**
 * The deadline (epoch ms, `Infinity` for none) an outgoing call gets at time `now`:
 * - the earliest of the caller's own deadline and the inherited deadline minus `marginMs`;
 * - when the caller set none (`undefined`; an explicit `Infinity` means "no deadline") and
 *   nothing is inherited: `now + defaultTimeoutMs`;
 * - never further than `now + maxTimeoutMs`.
 */
export function effectiveDeadline(
  policy: DeadlinePolicy,
  callerDeadline: number | undefined,
  inheritedDeadline: number,
  now: number,
): number {
  let deadline = Math.min(callerDeadline ?? Infinity, inheritedDeadline - policy.marginMs);
  if (deadline === Infinity && callerDeadline === undefined) deadline = now + policy.defaultTimeoutMs;
  const cap = now + policy.maxTimeoutMs;
  return deadline > cap && deadline !== Infinity ? cap : deadline;
}

/** Which rule set the deadline, in words, for the message of a call failed locally. */
export function describeBinding(
  policy: DeadlinePolicy,
  callerDeadline: number | undefined,
  inheritedDeadline: number,
  inheritedFrom: string | undefined,
): string {
  if (inheritedDeadline - policy.marginMs <= (callerDeadline ?? Infinity) && inheritedDeadline !== Infinity) {
    return `the deadline of the incoming call${inheritedFrom ? ` ${inheritedFrom}` : ''} minus a ${policy.marginMs} ms margin (deadline.marginMs)`;
  }
  if (callerDeadline !== undefined) return "the caller's deadline";
  return `the default timeout of ${policy.defaultTimeoutMs} ms (deadline.defaultTimeoutMs)`;
}
