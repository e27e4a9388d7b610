import type { Metadata } from '@grpc/grpc-js';
import { readRetryInfoMs } from '../details/read';

/** The trailer a server sets to ask for a specific delay before the next attempt (gRFC A6). */
export const PUSHBACK_KEY = 'grpc-retry-pushback-ms';

/** What the server asked for: nothing, a delay, or no retry at all. */
export type Pushback =
  | { readonly kind: 'none' }
  | { readonly kind: 'wait'; readonly delayMs: number }
  | { readonly kind: 'stop' };

const NONE: Pushback = Object.freeze({ kind: 'none' });
const STOP: Pushback = Object.freeze({ kind: 'stop' });
const DIGITS = /^\d{1,15}$/;

/**
 * Reads server pushback from a failed attempt's trailers (failure path only):
 * - `grpc-retry-pushback-ms` ≥ 0 → wait exactly that long; negative, malformed or several values →
 *   stop retrying (A6 treats anything that is not a non-negative integer as "do not retry");
 * - otherwise a `google.rpc.RetryInfo` detail → wait its `retry_delay` (a negative delay → stop);
 * - otherwise none.
 */
export function readPushback(metadata: Metadata | undefined): Pushback {
  if (metadata === undefined) return NONE;
  const values = metadata.get(PUSHBACK_KEY);
  if (values.length > 0) {
    // Two values (however they arrive) say no one delay.
    const text = values.length === 1 && typeof values[0] === 'string' ? values[0].trim() : '';
    return DIGITS.test(text) ? { kind: 'wait', delayMs: Number(text) } : STOP;
  }
  const retryInfoMs = readRetryInfoMs(metadata);
  if (retryInfoMs === undefined) return NONE;
  return retryInfoMs >= 0 ? { kind: 'wait', delayMs: retryInfoMs } : STOP;
}
