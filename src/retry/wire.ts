import type { Metadata } from '@grpc/grpc-js';

/** Request header on every attempt after the first: how many attempts came before (gRFC A6). */
export const PREVIOUS_ATTEMPTS_KEY = 'grpc-previous-rpc-attempts';

/**
 * Trailer added to the final status (OK or not) when the call took more than one attempt: the
 * number of attempts made. Absent means one attempt.
 */
export const ATTEMPTS_KEY = 'x-resilience-attempts';

/**
 * How many attempts a finished call took, read from its status, error or trailers
 * (`err.metadata`, the `status` event's object, or the metadata itself). 1 when not marked.
 */
export function attemptsOf(source: { readonly metadata?: Metadata } | Metadata | undefined | null): number {
  const metadata = isMetadata(source) ? source : source?.metadata;
  const value = metadata?.get(ATTEMPTS_KEY)[0];
  const n = typeof value === 'string' ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

function isMetadata(value: unknown): value is Metadata {
  return typeof (value as Metadata | null | undefined)?.getMap === 'function';
}
