import type { PickedStatus } from './picked-status';
import type { PublicError } from './public-error';

/**
 * How a handler failed:
 * - `thrown`: a wrapService handler threw or rejected (an internal failure unless it is a
 *   PublicError, mapped, or a downstream status);
 * - `callback`: a callback-style handler passed the error to `callback(err)` or emitted it on its
 *   stream, the grpc-js way of choosing a status.
 */
export type FailureOrigin = 'thrown' | 'callback';

/** Maps a domain error to a PublicError; undefined leaves it unmapped. */
export type MapError = (error: unknown) => PublicError | undefined;

/** The original error behind a failed call, left by wrapService for the error translator. */
export interface FailureRecord {
  readonly error: unknown;
  readonly origin: FailureOrigin;
  /** The mapping given to wrapService, consulted before the translator's own. */
  readonly mapError?: MapError;
  /** `callback`: the status grpc-js would have sent for the error (wrapService sends a safe one instead). */
  readonly status?: PickedStatus;
}

/**
 * The channel from wrapService to the error translator, keyed by the request Metadata object:
 * grpc-js hands the same object to the translator's `onReceiveMetadata` and to the handler as
 * `call.metadata`, with or without a call context. Written only on failure; entries die with the call.
 * One map per process, shared by every copy of this package.
 */
const records: WeakMap<object, FailureRecord> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('grpc-resilience.failureRecords')
] ??= new WeakMap<object, FailureRecord>()) as WeakMap<object, FailureRecord>;

/** Leaves the original error of a failed call for the translator (the first failure wins). */
export function recordFailure(requestMetadata: unknown, record: FailureRecord): void {
  if (typeof requestMetadata !== 'object' || requestMetadata === null) return;
  if (!records.has(requestMetadata)) records.set(requestMetadata, record);
}

/** Takes (reads and removes) the failure recorded for a call. */
export function takeFailure(requestMetadata: object | undefined): FailureRecord | undefined {
  if (requestMetadata === undefined) return undefined;
  const record = records.get(requestMetadata);
  if (record) records.delete(requestMetadata);
  return record;
}
