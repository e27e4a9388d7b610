import { randomHex } from './random';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A fresh trace id: 16 random bytes as 32 lowercase hex, never all zero. */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE_ID) id = randomHex(16);
  return id;
}

/** A fresh span id: 8 random bytes as 16 lowercase hex, never all zero. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN_ID) id = randomHex(8);
  return id;
}

/** True for 32 lowercase hex characters that are not all zero (the W3C trace-id rules). */
export function isValidTraceId(value: unknown): value is string {
  return typeof value === 'string' && TRACE_ID.test(value) && value !== ZERO_TRACE_ID;
}

/** True for 16 lowercase hex characters that are not all zero. */
export function isValidSpanId(value: unknown): value is string {
  return typeof value === 'string' && SPAN_ID.test(value) && value !== ZERO_SPAN_ID;
}

/** Longest `x-trace-id` value even looked at; longer values are dropped unread. */
export const MAX_TRACE_TOKEN_LENGTH = 64;
const HEX32 = /^[0-9a-fA-F]{32}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Reads an incoming `x-trace-id`: 32 hex characters or a UUID (any case) become the trace id in
 * its canonical 32-lowercase-hex form; anything else (or all zeros) gives undefined and is dropped.
 */
export function normaliseTraceToken(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_TRACE_TOKEN_LENGTH) return undefined;
  let id: string;
  if (value.length === 32 && HEX32.test(value)) id = value.toLowerCase();
  else if (value.length === 36 && UUID.test(value)) id = value.replace(/-/g, '').toLowerCase();
  else return undefined;
  return id === ZERO_TRACE_ID ? undefined : id;
}
