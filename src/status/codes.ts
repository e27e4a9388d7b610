import { status } from '@grpc/grpc-js';

/** Canonical names of the gRPC status codes, indexed by code (0–16). */
export const STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** True for an integer in 0–16, the codes gRPC defines. */
export function isKnownStatusCode(code: unknown): code is status {
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16;
}

/** The canonical name of a code, or `CODE_<n>` for a code gRPC does not define. */
export function statusName(code: number): string {
  return isKnownStatusCode(code) ? STATUS_NAMES[code] : `CODE_${String(code)}`;
}

/** Parses a code given as a number or a canonical name (`'UNAVAILABLE'`); undefined when neither. */
export function parseStatusCode(value: unknown): status | undefined {
  if (isKnownStatusCode(value)) return value;
  if (typeof value === 'string') {
    const index = STATUS_NAMES.indexOf(value.toUpperCase());
    if (index >= 0) return index as status;
  }
  return undefined;
}
