import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { STATUS_DETAILS_KEY, encodeRichStatus, retryInfoDetail } from '../details/codec';
import type { ErrorDetail } from '../details/types';

/**
 * Response-metadata key showing the caller that our own client stack produced a status without
 * sending the call (the value says why). For display only: the stack itself recognises its
 * local failures by the metadata object, so a server sending this key cannot pose as one.
 */
export const LOCAL_FAILURE_KEY = 'x-resilience-local';

/** The metadata objects of statuses made by `localFailureStatus`, and why. */
const localFailures = new WeakMap<Metadata, LocalFailureKind>();

export type LocalFailureKind =
  /** The circuit breaker for the target/method is open (or probing). */
  | 'breaker-open'
  /** Not enough time was left before the deadline to send the call. */
  | 'deadline'
  /** Adaptive throttling refused the call: its target has been rejecting more than it accepts. */
  | 'throttled';

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
  localFailures.set(metadata, kind);
  if (retryAfterMs !== undefined) {
    const rich: ErrorDetail[] = [retryInfoDetail(retryAfterMs)];
    metadata.set(STATUS_DETAILS_KEY, encodeRichStatus(code, details, rich));
  }
  return { code, details, metadata };
}

/** The kind of local failure a status is, if our stack produced it (never from what a server sent). */
export function localFailureKind(metadata: Metadata | undefined): LocalFailureKind | undefined {
  return metadata === undefined ? undefined : localFailures.get(metadata);
}
