import type { Metadata } from '@grpc/grpc-js';
import { markedAttempts } from '../internal/client-marks';

/** Request header on every attempt after the first: how many attempts came before (gRFC A6). */
export const PREVIOUS_ATTEMPTS_KEY = 'grpc-previous-rpc-attempts';

/** The request headers of attempt number `attempt` (1 for the first, which is sent `metadata` itself). */
export function attemptMetadata(metadata: Metadata, attempt: number): Metadata {
  if (attempt === 1) return metadata;
  const copy = metadata.clone();
  copy.set(PREVIOUS_ATTEMPTS_KEY, String(attempt - 1));
  return copy;
}

/**
 * Trailer added to the final status (OK or not) when the call took more than one attempt: the
 * number of attempts made. For display: `attemptsOf()` does not read it.
 */
export const ATTEMPTS_KEY = 'x-resilience-attempts';

/**
 * How many attempts this client's retry interceptor made for a finished call: pass its status,
 * error or trailers (`err.metadata`, the `status` event's object, or the metadata itself). 1 when
 * the interceptor made one attempt or was not involved; what a server sends (an
 * `x-resilience-attempts` trailer included) never counts.
 */
export function attemptsOf(source: { readonly metadata?: Metadata } | Metadata | undefined | null): number {
  return markedAttempts(isMetadata(source) ? source : source?.metadata) ?? 1;
}

function isMetadata(value: unknown): value is Metadata {
  return typeof (value as Metadata | null | undefined)?.getMap === 'function';
}
