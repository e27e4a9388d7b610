import { status, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { durationToMs } from '../details/codec';
import type { ErrorDetail } from '../details/types';
import { readPushback, type Pushback } from '../retry/pushback';
import { classifyStatus } from '../status/classify';
import { statusName } from '../status/codes';
import { resolveStatusTable, type StatusTable, type StatusTableOptions } from '../status/table';
import { decodeErrorDetails } from './decode-details';
import { isMetadataLike } from './downstream';
import { serviceOfPath } from './status-builder';

export interface DescribeOptions {
  /** The full method path that was called (`/pkg.Service/Method`): fills `service` and `method`. */
  readonly method?: string;
  /** Whether the call is safe to repeat; decides codes the table retries only for idempotent methods. Default false. */
  readonly idempotent?: boolean;
  /** The status table (default: the default table). */
  readonly statusTable?: StatusTable | StatusTableOptions;
  /** The trace-id trailer (default `x-trace-id`). */
  readonly traceIdHeader?: string;
}

/** A failed gRPC call, as a plain object for callers, logs and API responses. */
export interface ServiceErrorDescription {
  readonly code: number;
  /** `NOT_FOUND`, `UNAVAILABLE`, … */
  readonly codeName: string;
  /** The status message (grpc-js `ServiceError.details`). */
  readonly message: string;
  /**
   * Whether repeating the call may succeed, per the status table and the server's retry hint, read
   * as the retry interceptor reads it: a hint that is not a wait (`-1`, `abc`; a tier below that has
   * already retried sends `-1`) means no.
   */
  readonly retryable: boolean;
  /** How long the server asked to wait first (`grpc-retry-pushback-ms`, else RetryInfo). */
  readonly retryDelayMs?: number;
  /** The trace id to quote: the trace-id trailer, else `RequestInfo.request_id`. */
  readonly traceId?: string;
  /** `pkg.Service` and `Method`, when `options.method` was given. */
  readonly service?: string;
  readonly method?: string;
  /** `ErrorInfo.reason` and `ErrorInfo.domain`, when sent. */
  readonly reason?: string;
  readonly domain?: string;
  /** The typed google.rpc details. */
  readonly details: readonly ErrorDetail[];
  /** True when `grpc-status-details-bin` was present but unreadable. */
  readonly detailsMalformed?: boolean;
}

function firstString(error: { metadata?: unknown }, key: string): string | undefined {
  try {
    const value = (error.metadata as { get(key: string): unknown[] } | undefined)?.get(key)[0];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function retryHintOf(metadata: unknown): Pushback {
  try {
    return isMetadataLike(metadata) ? readPushback(metadata as Metadata) : { kind: 'none' };
  } catch {
    return { kind: 'stop' }; // a trailer no one can read asks for nothing we could honour
  }
}

/**
 * Turns a grpc-js `ServiceError` into `{ code, codeName, message, retryable, traceId, service, method,
 * details, … }`. A status whose code is not a whole number (a rogue server's unparsable
 * `grpc-status`) is described as UNKNOWN. For a value that is not a gRPC status error at all
 * (neither a numeric `code` nor trailers), returns undefined.
 */
export function describeServiceError(error: ServiceError, options?: DescribeOptions): ServiceErrorDescription;
export function describeServiceError(error: unknown, options?: DescribeOptions): ServiceErrorDescription | undefined;
export function describeServiceError(error: unknown, options: DescribeOptions = {}): ServiceErrorDescription | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown };
  const hasTrailers = typeof (e.metadata as { get?: unknown } | undefined)?.get === 'function';
  if (typeof e.code !== 'number' && !hasTrailers) return undefined;
  const code = typeof e.code === 'number' && Number.isInteger(e.code) ? e.code : status.UNKNOWN;
  const decoded = decodeErrorDetails(error);
  const message = typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : '';

  // The retry interceptor's own reading: both agree on what the server asked for. A "do not retry"
  // (a tier below has retried already) still tells when the service expects to be back, when its
  // RetryInfo says so.
  const pushback = retryHintOf(e.metadata);
  const retryInfoMs = decoded.retryInfo ? durationToMs(decoded.retryInfo.retryDelay) : undefined;
  const stopUntil = pushback.kind === 'stop' && retryInfoMs !== undefined && retryInfoMs >= 0 ? retryInfoMs : undefined;
  const retryDelayMs = pushback.kind === 'wait' ? pushback.delayMs : stopUntil;

  const table = resolveStatusTable(options.statusTable);
  const classification = classifyStatus(code, { method: options.method, table });
  let retryable = classification.retry === 'always' || (classification.retry === 'idempotent' && options.idempotent === true);
  if (classification.retryOnlyWith === 'pushback') retryable &&= retryDelayMs !== undefined;
  // The call's own deadline is spent: repeating it under the same deadline cannot succeed.
  if (classification.retryOnlyWith === 'attempt-timeout') retryable = false;
  if (pushback.kind === 'stop') retryable = false;

  const traceId = firstString(e, options.traceIdHeader ?? 'x-trace-id') ?? (decoded.requestInfo?.requestId || undefined);
  const path = options.method;
  return {
    code,
    codeName: statusName(code),
    message,
    retryable,
    ...(retryDelayMs !== undefined ? { retryDelayMs } : {}),
    ...(traceId ? { traceId } : {}),
    ...(path ? { service: serviceOfPath(path), method: path.slice(path.lastIndexOf('/') + 1) } : {}),
    ...(decoded.errorInfo ? { reason: decoded.errorInfo.reason, domain: decoded.errorInfo.domain } : {}),
    details: decoded.details,
    ...(decoded.malformed ? { detailsMalformed: true } : {}),
  };
}
