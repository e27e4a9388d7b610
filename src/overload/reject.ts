import { Metadata, status } from '@grpc/grpc-js';
import { encodeRichStatus, retryInfoDetail, STATUS_DETAILS_KEY } from '../details/codec';
import { PUSHBACK_KEY } from '../errors/status-builder';
import type { PartialServerStatus } from '../internal/grpc-types';

/** Jitter steps of the wait: ±50 % in 1 % steps, so at most 101 distinct statuses are ever encoded. */
const STEPS = 100;

/**
 * The statuses of refused calls: RESOURCE_EXHAUSTED with a google.rpc.RetryInfo and the pushback
 * trailer (both read by our retry interceptor and by grpc-js's own retries), the wait jittered so
 * refused callers do not come back together. A refusal must cost far less than a call, or
 * refusing under overload eats the capacity it protects: the encoded details are made once per
 * distinct wait and reused.
 */
export class RejectionStatuses {
  private readonly encoded = new Map<number, { readonly details: string; readonly bytes: Buffer; readonly pushback: string }>();

  constructor(
    private readonly retryAfterMs: number,
    private readonly random: () => number,
  ) {}

  /** A fresh status (grpc-js and the layers above may add trailers) and the wait it tells. */
  next(): { readonly status: PartialServerStatus; readonly retryAfterMs: number } {
    const step = Math.min(STEPS, Math.floor(this.random() * (STEPS + 1)));
    const delayMs = Math.max(1, Math.round(this.retryAfterMs * (0.5 + step / STEPS)));
    let entry = this.encoded.get(delayMs);
    if (entry === undefined) {
      const details = `Server overloaded: the call was not started; retry after ${delayMs} ms`;
      entry = {
        details,
        bytes: encodeRichStatus(status.RESOURCE_EXHAUSTED, details, [retryInfoDetail(delayMs)]),
        pushback: String(delayMs),
      };
      this.encoded.set(delayMs, entry);
    }
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_KEY, entry.bytes);
    metadata.set(PUSHBACK_KEY, entry.pushback);
    return { status: { code: status.RESOURCE_EXHAUSTED, details: entry.details, metadata }, retryAfterMs: delayMs };
  }
}
