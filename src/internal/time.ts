import type { Deadline } from '@grpc/grpc-js';

/** The longest delay a Node timer holds (a signed 32-bit number of ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The longest timeout we ever propagate: 24 days. A grpc-js server computes the incoming timeout
 * with 32-bit arithmetic and fails any call whose deadline is 2^31 ms (about 24.8 days) or more
 * away, so a larger deadline is clamped to this instead of being sent as is.
 */
export const MAX_TIMEOUT_MS = 24 * 24 * 60 * 60 * 1000;

/** A grpc-js deadline (Date or epoch ms) as epoch ms; undefined when absent or not a valid time. */
export function deadlineMs(deadline: Deadline | undefined): number | undefined {
  if (deadline === undefined) return undefined;
  const ms = typeof deadline === 'number' ? deadline : deadline.getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/** A grpc-js deadline as epoch ms; Infinity when there is none or it is not a finite time. */
export function deadlineOrInfinity(deadline: Deadline | undefined): number {
  const ms = deadlineMs(deadline);
  return ms !== undefined && Number.isFinite(ms) ? ms : Infinity;
}
