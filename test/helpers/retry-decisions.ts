import { Metadata } from '@grpc/grpc-js';
import type { FailedAttempt, RetryContext } from '../../src/retry/decide';
import { defaultStatusTable } from '../../src/status/table';

/** Metadata with these entries. */
export function metadataOf(entries: Record<string, string | Buffer> = {}): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

/** A failed first attempt; by default a status the server sent itself (Trailers-Only carries content-type). */
export const failedAttempt = (code: number, over: Partial<FailedAttempt> = {}): FailedAttempt => ({
  code,
  metadata: metadataOf({ 'content-type': 'application/grpc' }),
  attempts: 1,
  committed: false,
  sent: true,
  attemptTimedOut: false,
  ...over,
});

/** The retry context of the echo service's Unary method, the default table and policy, a 40 ms backoff. */
export const retryContext = (over: Partial<RetryContext> = {}): RetryContext => ({
  method: '/test.v1.EchoService/Unary',
  idempotent: false,
  table: defaultStatusTable,
  maxAttempts: 3,
  maxPushbackMs: 30_000,
  now: 1_000,
  deadline: Infinity,
  backoffMs: () => 40,
  ...over,
});
