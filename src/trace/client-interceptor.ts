import * as grpc from '@grpc/grpc-js';
import type { CallContext } from '../context/call-context';
import { callContextStorage } from '../context/scope';
import { resolveTraceOptions, type ResolvedTraceOptions, type TraceOptions } from './options';
import { applyOutgoingTrace } from './outgoing';

/**
 * Sends W3C `traceparent` (and the plain trace-id header when configured) on every call, taken
 * from the current call context. A failed call's status metadata carries the trace id, so the
 * caller can quote it even when the server did not echo it.
 */
export function traceClientInterceptor(options?: TraceOptions): grpc.Interceptor {
  const resolved = resolveTraceOptions(options);
  return (callOptions, nextCall) =>
    new grpc.InterceptingCall(nextCall(callOptions), new TraceRequester(callContextStorage.getStore(), resolved));
}

/** Per-call requester; the context is captured when the call is created (listeners lose it). */
class TraceRequester implements grpc.Requester {
  private traceId = '';

  constructor(
    private readonly ctx: CallContext | undefined,
    private readonly options: ResolvedTraceOptions,
  ) {}

  start = (metadata: grpc.Metadata, _listener: grpc.InterceptingListener, next: (md: grpc.Metadata, l: grpc.Listener) => void): void => {
    this.traceId = applyOutgoingTrace(metadata, this.ctx, this.options);
    next(metadata, this.listener);
  };

  private readonly listener: grpc.Listener = {
    onReceiveStatus: (status, next) => {
      if (status.code !== grpc.status.OK && status.metadata.get(this.options.traceIdHeader).length === 0) {
        status.metadata.set(this.options.traceIdHeader, this.traceId);
      }
      next(status);
    },
  };
}
