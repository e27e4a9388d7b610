import { status, type Metadata } from '@grpc/grpc-js';
import { isMetadataLike } from './downstream';

/** The status a grpc-js-style handler picked, before translation. */
export interface PickedStatus {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata | null;
}

/**
 * What grpc-js makes of `callback(error, null, trailer)` or `emit('error', error)`: the error's
 * whole-number `code` (else UNKNOWN), its `details` (with a code) or `message`, and `trailer` or
 * its `metadata`. Each property is read once, so a getter cannot show one code to the translator
 * and another to grpc-js; a hostile object is UNKNOWN. Code 0 is kept as read: it is no success
 * (the translator sends INTERNAL), and `-0` becomes 0.
 */
export function pickedStatus(error: unknown, trailer?: unknown): PickedStatus {
  let code: unknown;
  let details: unknown;
  let message: unknown;
  let metadata: unknown;
  if ((typeof error === 'object' && error !== null) || typeof error === 'function') {
    try {
      ({ code, details, message, metadata } = error as Record<string, unknown>);
    } catch {
      code = details = message = metadata = undefined;
    }
  }
  const coded = typeof code === 'number' && Number.isInteger(code);
  return {
    code: coded ? (code as number) + 0 : status.UNKNOWN,
    details: coded && typeof details === 'string' ? details : typeof message === 'string' ? message : 'Unknown Error',
    metadata: isMetadataLike(trailer) ? trailer : isMetadataLike(metadata) ? metadata : null,
  };
}
