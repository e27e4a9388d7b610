import { randomHex } from './random';

const ZERO_TRACE_ID = '0'.repeat(32);

/** True when `value[start, end)` is lowercase hex (a loop: several times cheaper than a regex test per id). */
export function isLowerHex(value: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false; // 0-9, a-f
  }
  return true;
}

/**
 * True when `value[start, end)` is all '0'. (Comparing a slice of a string with a constant takes
 * V8 into its runtime; this loop stops at the first other digit.)
 */
export function isAllZeros(value: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (value.charCodeAt(i) !== 48) return false;
  return true;
}

/** A fresh trace id: 16 random bytes as 32 lowercase hex, never all zero. */
export function newTraceId(): string {
  let id = randomHex(16);
  while (isAllZeros(id, 0, 32)) id = randomHex(16);
  return id;
}

/** A fresh span id: 8 random bytes as 16 lowercase hex, never all zero. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (isAllZeros(id, 0, 16)) id = randomHex(8);
  return id;
}

/** True for 32 lowercase hex characters that are not all zero (the W3C trace-id rules). */
export function isValidTraceId(value: unknown): value is string {
  return typeof value === 'string' && value.length === 32 && isLowerHex(value, 0, 32) && !isAllZeros(value, 0, 32);
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
