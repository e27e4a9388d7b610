import { Metadata } from '@grpc/grpc-js';
import { STATUS_DETAILS_KEY, durationToMs, encodeRichStatus } from '../details/codec';
import type { DebugInfo, ErrorDetail } from '../details/types';
import { statusName } from '../status/codes';
import type { PublicError } from './public-error';

/** The pushback trailer grpc-js (gRFC A6) clients honour; mirrors any RetryInfo we send. */
export const PUSHBACK_KEY = 'grpc-retry-pushback-ms';

/** A status ready for `sendStatus`: code, message and trailers we built. */
export interface OutgoingStatus {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata;
}

/** What every translated status carries besides its own details. */
export interface StatusEnvelope {
  /** Sent as `RequestInfo.request_id`; omitted when unknown. */
  readonly traceId: string | undefined;
  /** `ErrorInfo.domain` when the details do not name one. */
  readonly domain: string;
  /** Development only: the stack and message of the original error. */
  readonly debugInfo?: DebugInfo;
}

/**
 * Builds a status whose `grpc-status-details-bin` holds `details` plus an ErrorInfo (reason: the
 * code name, when none is given) and RequestInfo{request_id: trace id}.
 */
export function buildStatus(
  code: number,
  message: string,
  details: readonly ErrorDetail[],
  envelope: StatusEnvelope,
): OutgoingStatus {
  const all: ErrorDetail[] = [];
  let hasErrorInfo = false;
  let retryDelayMs: number | undefined;
  for (const detail of details) {
    if (detail.type === 'ErrorInfo') {
      hasErrorInfo = true;
      all.push(detail.value.domain ? detail : { type: 'ErrorInfo', value: { ...detail.value, domain: envelope.domain } });
      continue;
    }
    if (detail.type === 'RetryInfo') retryDelayMs = durationToMs(detail.value.retryDelay);
    all.push(detail);
  }
  if (!hasErrorInfo) {
    all.unshift({ type: 'ErrorInfo', value: { reason: statusName(code), domain: envelope.domain, metadata: {} } });
  }
  if (envelope.traceId !== undefined) {
    all.push({ type: 'RequestInfo', value: { requestId: envelope.traceId, servingData: '' } });
  }
  if (envelope.debugInfo) all.push({ type: 'DebugInfo', value: envelope.debugInfo });
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeRichStatus(code, message, all));
  if (retryDelayMs !== undefined && retryDelayMs >= 0) metadata.set(PUSHBACK_KEY, String(Math.round(retryDelayMs)));
  return { code, details: message, metadata };
}

/** The status of a PublicError: its code, message verbatim and details. */
export function publicErrorStatus(error: PublicError, envelope: StatusEnvelope): OutgoingStatus {
  return buildStatus(error.code, error.message, error.errorDetails, envelope);
}

/** The gRPC service of a method path (`/pkg.Service/Method` → `pkg.Service`): the default domain. */
export function serviceOfPath(path: string): string {
  const end = path.lastIndexOf('/');
  return end > 0 ? path.slice(path.startsWith('/') ? 1 : 0, end) : path;
}
