import { status, type Deadline } from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { newTraceId } from '../trace/ids';
import type { FailureRecord } from './failure-record';
import { genericText, withTraceId } from './generic-messages';
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
 * that interceptor recomputes the status from the recorded failure (with its options, and logs it);
 * without it, the client still never sees internals.
 */
export function standaloneStatus(call: SurfaceCall, record: FailureRecord): OutgoingStatus {
  const traceId = callContextStorage.getStore()?.traceId ?? newTraceId();
  let method = '';
  try {
    method = call.getPath();
    return translateFailure(
      { record, status: record.status ?? { code: status.UNKNOWN } },
      {
        method,
        traceId,
        incoming: { deadline: deadlineOrInfinity(call.getDeadline()), cancelled: call.cancelled, now: Date.now() },
        config: DEFAULTS,
      },
    ).status;
  } catch {
    return buildStatus(status.INTERNAL, withTraceId(genericText(status.INTERNAL), traceId), [], { traceId, domain: serviceOfPath(method) });
  }
}
