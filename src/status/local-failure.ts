import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { STATUS_DETAILS_KEY, encodeRichStatus, retryInfoDetail } from '../details/codec';
import type { ErrorDetail } from '../details/types';

/**
 * Response-metadata key marking a status our own client stack produced without sending the call
 * (the value says why). Retry, breaker and server error translation all recognise it.
 */
export const LOCAL_FAILURE_KEY = 'x-resilience-local';

export type LocalFailureKind =
  /** The circuit breaker for the target/method is open (or probing). */
  | 'breaker-open'
  /** Not enough time was left before the deadline to send the call. */
  | 'deadline';

/**
 * Builds the status of a call failed locally: `code` and `details` for the caller, the marker,
 * and (when `retryAfterMs` is given) a google.rpc.Status with RetryInfo.
 */
export function localFailureStatus(
  code: number,
  details: string,
  kind: LocalFailureKind,
  retryAfterMs?: number,
): StatusObject {
  const metadata = new Metadata();
  metadata.set(LOCAL_FAILURE_KEY, kind);
  if (retryAfterMs !== undefined) {
    const rich: ErrorDetail[] = [retryInfoDetail(retryAfterMs)];
    metadata.set(STATUS_DETAILS_KEY, encodeRichStatus(code, details, rich));
  }
  return { code, details, metadata };
}

/** The kind of local failure a status carries, if our stack produced it. */
export function localFailureKind(metadata: Metadata | undefined): LocalFailureKind | undefined {
  const value = metadata?.get(LOCAL_FAILURE_KEY)[0];
  return value === 'breaker-open' || value === 'deadline' ? value : undefined;
}
