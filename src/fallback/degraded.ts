import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { STATUS_DETAILS_KEY } from '../details/codec';
import { copyMarks, markDegraded, markedDegraded } from '../internal/client-marks';
import { LOCAL_FAILURE_KEY } from '../status/local-failure';

/**
 * Trailer (status metadata) key on a response a fallback produced instead of the server. The
 * value says what produced it: `fallback`. For display: `isDegraded()` does not read it.
 */
export const DEGRADED_KEY = 'x-resilience-degraded';
export const DEGRADED_BY_FALLBACK = 'fallback';

/**
 * True when this client's fallback answered the call: pass its status (or the status metadata, or
 * the error). What a server sends cannot make it true, `x-resilience-degraded` trailer included.
 */
export function isDegraded(value: Metadata | { readonly metadata?: Metadata } | undefined | null): boolean {
  return markedDegraded(value instanceof Metadata ? value : value?.metadata);
}

/**
 * The OK status that ends a call answered by a fallback: the failure's trailers (a trace id,
 * say) minus its error details and local-failure marker, plus the degraded flag.
 */
export function degradedStatus(failure: StatusObject): StatusObject {
  const metadata = failure.metadata.clone();
  metadata.remove(STATUS_DETAILS_KEY);
  metadata.remove(LOCAL_FAILURE_KEY);
  metadata.set(DEGRADED_KEY, DEGRADED_BY_FALLBACK);
  copyMarks(failure.metadata, metadata);
  markDegraded(metadata);
  return { code: status.OK, details: 'OK', metadata };
}
