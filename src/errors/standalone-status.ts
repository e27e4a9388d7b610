import { status, type Deadline } from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { newTraceId } from '../trace/ids';
import type { FailureOrigin, MapError } from './failure-record';
import { genericText } from './generic-messages';
import { resolveErrorTranslationOptions } from './options';
import { buildStatus, serviceOfPath, type OutgoingStatus } from './status-builder';
import { translateFailure } from './translate';
import { deadlineOrInfinity } from '../internal/time';

/** The parts of a grpc-js server call the fallback needs. */
export interface SurfaceCall {
  readonly cancelled: boolean;
  getPath(): string;
  getDeadline(): Deadline;
}

/** The translator's defaults, without logging: what wrapService sends when no translator is installed. */
const DEFAULTS = resolveErrorTranslationOptions({ logger: false }, 'wrapService');

/**
 * The safe status wrapService sends for a failure. With the error translation interceptor installed,
 * that interceptor recomputes the status from the recorded original error (with its options, and
 * logs it); without it, the client still never sees internals.
 */
export function standaloneStatus(call: SurfaceCall, error: unknown, origin: FailureOrigin, mapError?: MapError): OutgoingStatus {
  const traceId = callContextStorage.getStore()?.traceId;
  let method = '';
  try {
    method = call.getPath();
    return translateFailure(
      { record: { error, origin, mapError }, status: { code: status.UNKNOWN } },
      {
        method,
        traceId: traceId ?? newTraceId(),
        incoming: { deadline: deadlineOrInfinity(call.getDeadline()), cancelled: call.cancelled, now: Date.now() },
        config: DEFAULTS,
      },
    ).status;
  } catch {
    return buildStatus(status.INTERNAL, genericText(status.INTERNAL), [], { traceId, domain: serviceOfPath(method) });
  }
}
