import { status } from '@grpc/grpc-js';

/** Texts the translator sends instead of an internal message: nothing in them comes from the error. */
const GENERIC_TEXT: Readonly<Record<number, string>> = {
  [status.CANCELLED]: 'The call was cancelled',
  [status.UNKNOWN]: 'Internal error',
  [status.INVALID_ARGUMENT]: 'Invalid argument',
  [status.DEADLINE_EXCEEDED]: 'Deadline exceeded',
  [status.NOT_FOUND]: 'Not found',
  [status.ALREADY_EXISTS]: 'Already exists',
  [status.PERMISSION_DENIED]: 'Permission denied',
  [status.RESOURCE_EXHAUSTED]: 'Resource exhausted',
  [status.FAILED_PRECONDITION]: 'Failed precondition',
  [status.ABORTED]: 'Aborted',
  [status.OUT_OF_RANGE]: 'Out of range',
  [status.UNIMPLEMENTED]: 'Not implemented',
  [status.INTERNAL]: 'Internal error',
  [status.UNAVAILABLE]: 'Service unavailable',
  [status.DATA_LOSS]: 'Data loss',
  [status.UNAUTHENTICATED]: 'Unauthenticated',
};

/** The text for a failure of a dependency, whatever code it maps to. */
export const DEPENDENCY_UNAVAILABLE_TEXT = 'A dependency is unavailable';

/** The generic text for `code`, e.g. `Not found`. */
export function genericText(code: number): string {
  return GENERIC_TEXT[code] ?? 'Internal error';
}

/** `<text> (trace id <id>)`: what a caller quotes when reporting the failure. */
export function withTraceId(text: string, traceId: string): string {
  return `${text} (trace id ${traceId})`;
}
