import type { status } from '@grpc/grpc-js';
import { isKnownStatusCode, parseStatusCode, statusName } from '../status/codes';
import { normalisePublicDetails, type PublicDetailInput, type PublicErrorDetail } from './detail-input';

/** Marks PublicErrors across copies of this package (ESM and CommonJS builds loaded side by side). */
const PUBLIC_ERROR = Symbol.for('grpc-resilience.PublicError');

/** A status code by number (`grpc.status.NOT_FOUND`) or canonical name (`'NOT_FOUND'`). */
export type StatusCodeInput = status | number | string;

/**
 * An error whose code, message and details are meant for the client: the only way a message
 * reaches the caller verbatim. Details are encoded as `google.rpc.Status` in
 * `grpc-status-details-bin`; the error translator adds `RequestInfo` (the trace id) and, when
 * absent, an `ErrorInfo` with the code name as reason.
 *
 * ```ts
 * throw new PublicError(grpc.status.NOT_FOUND, 'user not found', { reason: 'USER_NOT_FOUND' });
 * ```
 */
export class PublicError extends Error {
  /** The status code sent to the client (1–16, never OK). */
  readonly code: status;
  /**
   * The google.rpc details sent to the client, validated and complete. (Not `details`: in grpc-js
   * that name is the status message, and a PublicError must stay passable to `callback(err)`.)
   */
  readonly errorDetails: readonly PublicErrorDetail[];

  /**
   * @param code a non-OK gRPC status code (number or name)
   * @param message sent to the client verbatim: write it for the caller, never include internals
   * @param details one detail or a list (at most one of each type), in a friendly shape
   *   (`{ reason, domain?, metadata? }`, `{ fieldViolations }`, `{ retryDelayMs }`, …) or typed `{ type, value }`
   * @param options `cause`: the internal error behind it (logged, never sent)
   */
  constructor(
    code: StatusCodeInput,
    message: string,
    details?: PublicDetailInput | readonly PublicDetailInput[],
    options?: ErrorOptions,
  ) {
    const parsed = typeof code === 'string' ? parseStatusCode(code) : code;
    if (!isKnownStatusCode(parsed) || parsed === 0) {
      throw new TypeError(
        `PublicError code must be a gRPC status code from 1 to 16 (or its name, e.g. 'NOT_FOUND'); got ${typeof code === 'string' ? JSON.stringify(code) : String(code)}`,
      );
    }
    if (typeof message !== 'string' || message.length === 0) {
      throw new TypeError('PublicError message must be a non-empty string (it is sent to the client verbatim)');
    }
    super(message, options);
    this.code = parsed;
    this.errorDetails = Object.freeze(normalisePublicDetails(details));
  }

  /** The canonical name of `code`, e.g. `NOT_FOUND`. */
  get codeName(): string {
    return statusName(this.code);
  }

  /** `instanceof PublicError` also holds for PublicErrors from another copy of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== PublicError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isPublicError(value);
  }
}

Object.defineProperty(PublicError.prototype, 'name', { value: 'PublicError', writable: true, configurable: true });
Object.defineProperty(PublicError.prototype, PUBLIC_ERROR, { value: true });

/** True for a PublicError (from any copy of this package). */
export function isPublicError(value: unknown): value is PublicError {
  return typeof value === 'object' && value !== null && (value as { [PUBLIC_ERROR]?: unknown })[PUBLIC_ERROR] === true;
}
