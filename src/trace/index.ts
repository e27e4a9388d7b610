export { isValidTraceId, newSpanId, newTraceId, normaliseTraceToken } from './ids';
export { formatTraceParent, parseTraceParent, type TraceParent } from './traceparent';
export { resolveTraceOptions, type TraceOptions } from './options';
export { traceClientInterceptor } from './client-interceptor';
