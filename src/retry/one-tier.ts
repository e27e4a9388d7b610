import { status, type Metadata } from '@grpc/grpc-js';
import type { StatusTable } from '../status/table';
import { PUSHBACK_KEY } from './pushback';

/*
 * Retry at one tier. When a service's outgoing call fails and its own client stack has already
 * dealt with it (retried it, or refused to: breaker open, budget spent, told to stop), the status
 * the service sends for that failure tells its caller not to retry either, so in a chain only the
 * tier next to a failure retries it. The carrier is `grpc-retry-pushback-ms: -1`, gRFC A6's "do not
 * retry", which our retry interceptor, grpc-js's own retries and the other A6 clients honour. It
 * can only stop retries, never add one.
 */

/** The pushback value that means "do not retry" (A6: any negative or malformed value). */
export const DO_NOT_RETRY = '-1';

/**
 * Whether a failure is one a caller might otherwise retry: neither the caller's own fault (the
 * same request fails the same way) nor a cancellation. Only these need the signal.
 */
export function isRetryableByCaller(code: number, table: StatusTable, method?: string): boolean {
  return code !== status.OK && code !== status.CANCELLED && !table.classify(code, method).clientFault;
}

/** Tells the caller not to retry: replaces any pushback the status carries. */
export function tellCallerNotToRetry(trailers: Metadata): void {
  trailers.set(PUSHBACK_KEY, DO_NOT_RETRY);
}
