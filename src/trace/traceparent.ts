import type { Metadata } from '@grpc/grpc-js';
import { isAllZeros, isLowerHex } from './ids';

/** The fields of a W3C `traceparent` header. */
export interface TraceParent {
  readonly traceId: string;
  readonly parentId: string;
  readonly traceFlags: number;
}

/**
 * Parses a `traceparent` strictly (W3C Trace Context level 1): version 00 has exactly four fields;
 * a later version is read by its first four fields as the spec asks. Returns undefined when invalid.
 * Checked character by character in place: the only strings made are the two ids returned.
 */
export function parseTraceParent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length < 55 || value.length > 512) return undefined;
  // version: two lowercase hex digits, not ff; version 00 has nothing after the flags
  if (!isLowerHex(value, 0, 2) || value.startsWith('ff')) return undefined;
  if (value.length > 55 && (value.startsWith('00') || value[55] !== '-')) return undefined;
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  if (!isLowerHex(value, 3, 35) || !isLowerHex(value, 36, 52) || !isLowerHex(value, 53, 55)) return undefined;
  if (isAllZeros(value, 3, 35) || isAllZeros(value, 36, 52)) return undefined;
  const traceFlags = hexValue(value.charCodeAt(53)) * 16 + hexValue(value.charCodeAt(54));
  return { traceId: value.slice(3, 35), parentId: value.slice(36, 52), traceFlags };
}

/** The value of a lowercase hex digit's character code. */
function hexValue(code: number): number {
  return code <= 57 ? code - 48 : code - 87;
}

/** `-00` … `-ff`: the end of a traceparent for each flags byte (formatted once, not per call). */
const FLAGS_SUFFIX = Array.from({ length: 256 }, (_, flags) => `-${flags.toString(16).padStart(2, '0')}`);

/** Formats a version-00 `traceparent`. */
export function formatTraceParent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}${FLAGS_SUFFIX[traceFlags & 0xff]}`;
}

/** The trace id of an outgoing call's `traceparent` header (what the trace interceptor sent), if valid. */
export function outgoingTraceId(metadata: Metadata | undefined): string | undefined {
  return parseTraceParent(metadata?.get('traceparent')[0])?.traceId;
}

/** The trace id of a client call for its events: its call context's, else the one its headers carry. */
export function callTraceId(ctx: { readonly traceId: string } | undefined, metadata: Metadata | undefined): string | undefined {
  return ctx ? ctx.traceId : outgoingTraceId(metadata);
}
