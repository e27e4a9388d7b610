import type { Metadata } from '@grpc/grpc-js';
import { activeOtelSpanContext } from '../internal/otel';
import { newTraceId, normaliseTraceToken } from './ids';
import type { ResolvedTraceOptions } from './options';
import { parseTraceParent } from './traceparent';

export interface IncomingTrace {
  readonly traceId: string;
  readonly traceFlags: number;
  /** True when the id is not exactly what the caller sent (generated, replaced or normalised). */
  readonly assigned: boolean;
}

/**
 * The trace id of an incoming call: a valid `traceparent`, else a valid trace-id header, else a
 * fresh id. Invalid values are dropped, never reflected.
 */
export function readIncomingTrace(metadata: Metadata, options: ResolvedTraceOptions): IncomingTrace {
  if (options.trustIncoming) {
    const parent = parseTraceParent(metadata.get('traceparent')[0]);
    if (parent) return { traceId: parent.traceId, traceFlags: parent.traceFlags, assigned: false };
    const raw = metadata.get(options.traceIdHeader)[0];
    if (raw !== undefined) {
      const id = normaliseTraceToken(raw);
      if (id) return { traceId: id, traceFlags: 0, assigned: id !== raw };
    }
  }
  // An instrumented server (OpenTelemetry) already opened a span for this call: stay in its trace.
  const otel = options.openTelemetry && options.trustIncoming ? activeOtelSpanContext() : undefined;
  if (otel) return { traceId: otel.traceId, traceFlags: otel.traceFlags, assigned: true };
  return { traceId: newTraceId(), traceFlags: 0, assigned: true };
}
