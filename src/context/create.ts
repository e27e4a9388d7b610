import { CRITICALITIES, type Criticality } from '../criticality/criticality';
import { enumOption } from '../internal/validate';
import { ServerCallState } from './server-call-state';
import type { CallContext } from './call-context';
import { newTraceId, isValidTraceId } from '../trace/ids';

export interface CallContextInit {
  /** A trace id to continue (32 lowercase hex); a fresh one when absent. */
  readonly traceId?: string;
  /** A label for the work, e.g. a job name. */
  readonly method?: string;
  /** Absolute deadline (epoch ms or Date), or use `timeoutMs`. */
  readonly deadline?: number | Date;
  /** Relative deadline in milliseconds from now. */
  readonly timeoutMs?: number;
  /** The criticality outgoing calls made in this context carry (e.g. `'sheddable'` for batch work). */
  readonly criticality?: Criticality;
}

/**
 * A context for work that is not a gRPC handler (a queue consumer, an HTTP request), so the
 * outgoing calls it makes share a trace id and deadline. Use with `runWithCallContext`.
 */
export function createCallContext(init: CallContextInit = {}): CallContext {
  if (init.traceId !== undefined && !isValidTraceId(init.traceId)) {
    throw new TypeError('createCallContext: traceId must be 32 lowercase hex characters, not all zero');
  }
  if (init.timeoutMs !== undefined && !(init.timeoutMs >= 0)) {
    throw new TypeError('createCallContext: timeoutMs must be a number >= 0');
  }
  let deadline = init.deadline instanceof Date ? init.deadline.getTime() : (init.deadline ?? Infinity);
  if (init.timeoutMs !== undefined) deadline = Math.min(deadline, Date.now() + init.timeoutMs);
  if (Number.isNaN(deadline)) throw new TypeError('createCallContext: deadline is not a valid time');
  const criticality =
    init.criticality === undefined ? undefined : enumOption('createCallContext: criticality', init.criticality, 'default', CRITICALITIES);
  return new ServerCallState(init.traceId ?? newTraceId(), 0, init.method ?? '', deadline, Date.now, criticality);
}
