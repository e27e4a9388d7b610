import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { STATUS_DETAILS_KEY } from '../details/codec';
import { LOCAL_FAILURE_KEY } from '../status/local-failure';

/**
 * Trailer (status metadata) key on a response a fallback produced instead of the server. The
 * value says what produced it: `fallback`.
 */
export const DEGRADED_KEY = 'x-resilience-degraded';
export const DEGRADED_BY_FALLBACK = 'fallback';

/** True when a status (or its metadata, or a call's trailers) marks the response as degraded. */
export function isDegraded(value: Metadata | { readonly metadata?: Metadata } | undefined | null): boolean {
  const metadata = value instanceof Metadata ? value : value?.metadata;
  return metadata?.get(DEGRADED_KEY)[0] === DEGRADED_BY_FALLBACK;
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
  return { code: status.OK, details: 'OK', metadata };
}
