import { status } from '@grpc/grpc-js';
import type { StatusTable } from '../status/table';

/** What a finished call tells a breaker. */
export type Outcome = typeof SUCCESS | typeof FAILURE | typeof NEUTRAL;

/** The server answered (OK, or a deliberate answer such as NOT_FOUND): evidence it is healthy. */
export const SUCCESS = 0;
/** A server fault (`breakerFailure` in the status table). */
export const FAILURE = 1;
/** No evidence either way (the caller cancelled): not counted at all. */
export const NEUTRAL = 2;

/**
 * Classifies a final status for a breaker. Only codes the table marks `breakerFailure` for the
 * method count as failures; CANCELLED (unless the table says it is a failure) counts as nothing;
 * every other answer, client faults included, counts as a success.
 */
export function breakerOutcome(code: number, method: string, table: StatusTable): Outcome {
  if (code === status.OK) return SUCCESS;
  if (table.classify(code, method).breakerFailure) return FAILURE;
  return code === status.CANCELLED ? NEUTRAL : SUCCESS;
}
