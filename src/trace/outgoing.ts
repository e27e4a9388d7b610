import type { Metadata } from '@grpc/grpc-js';
import type { CallContext } from '../context/call-context';
import { activeOtelSpanContext } from '../internal/otel';
import { freshTraceParent } from './fresh';
import { newSpanId, normaliseTraceToken } from './ids';
import type { ResolvedTraceOptions } from './options';
import { formatTraceParent, parseTraceParent } from './traceparent';

/**
 * Puts the trace headers on an outgoing call and returns its trace id. An id the caller set
 * explicitly in the metadata is left alone; otherwise the active OpenTelemetry span, then the
 * current call context, then a fresh id decide it.
 */
export function applyOutgoingTrace(
  metadata: Metadata,
  ctx: CallContext | undefined,
  options: ResolvedTraceOptions,
): string {
  const explicitParent = metadata.get('traceparent')[0];
  if (explicitParent !== undefined) {
    const parsed = parseTraceParent(explicitParent);
    if (parsed) return parsed.traceId;
  }
  const explicitId = metadata.get(options.traceIdHeader)[0];
  let traceId = explicitId === undefined ? undefined : normaliseTraceToken(explicitId);
  let flags = 0;
  let spanId: string | undefined;
  let fresh: string | undefined;
  if (traceId === undefined) {
    const otel = options.openTelemetry ? activeOtelSpanContext() : undefined;
    if (otel) {
      traceId = otel.traceId;
      spanId = otel.spanId;
      flags = otel.traceFlags;
    } else if (ctx) {
      traceId = ctx.traceId;
      flags = ctx.traceFlags;
    } else {
      // Nothing to continue: a new trace, its header made in advance (see fresh.ts).
      fresh = freshTraceParent();
      traceId = fresh.slice(3, 35);
    }
  }
  if (explicitParent === undefined) {
    metadata.set('traceparent', fresh ?? formatTraceParent(traceId, spanId ?? newSpanId(), flags));
  }
  if (options.sendTraceIdHeader && explicitId === undefined) metadata.set(options.traceIdHeader, traceId);
  return traceId;
}
