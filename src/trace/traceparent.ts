import { isValidSpanId, isValidTraceId } from './ids';

/** The fields of a W3C `traceparent` header. */
export interface TraceParent {
  readonly traceId: string;
  readonly parentId: string;
  readonly traceFlags: number;
}

const HEX2 = /^[0-9a-f]{2}$/;

/**
 * Parses a `traceparent` strictly (W3C Trace Context level 1): version 00 has exactly four fields;
 * a later version is read by its first four fields as the spec asks. Returns undefined when invalid.
 */
export function parseTraceParent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length < 55 || value.length > 512) return undefined;
  const version = value.slice(0, 2);
  if (!HEX2.test(version) || version === 'ff') return undefined;
  if (version === '00' && value.length !== 55) return undefined;
  if (value.length > 55 && value[55] !== '-') return undefined;
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  const traceId = value.slice(3, 35);
  const parentId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!isValidTraceId(traceId) || !isValidSpanId(parentId) || !HEX2.test(flags)) return undefined;
  return { traceId, parentId, traceFlags: parseInt(flags, 16) };
}

/** `-00` … `-ff`: the end of a traceparent for each flags byte (formatted once, not per call). */
const FLAGS_SUFFIX = Array.from({ length: 256 }, (_, flags) => `-${flags.toString(16).padStart(2, '0')}`);

/** Formats a version-00 `traceparent`. */
export function formatTraceParent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}${FLAGS_SUFFIX[traceFlags & 0xff]}`;
}
