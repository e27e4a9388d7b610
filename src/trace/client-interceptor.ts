import * as grpc from '@grpc/grpc-js';
import type { CallContext } from '../context/call-context';
import { callContextStorage } from '../context/scope';
import { asInterceptingCall, ForwardingCall } from '../internal/forwarding-call';
import type { InterceptingCallInterface } from '../internal/grpc-types';
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
    asInterceptingCall(new TraceCall(nextCall(callOptions), callContextStorage.getStore(), resolved));
}

/** Per call; the context is captured when the call is created (listeners lose it). */
class TraceCall extends ForwardingCall {
  private traceId = '';

  constructor(
    inner: InterceptingCallInterface,
    private readonly ctx: CallContext | undefined,
    private readonly options: ResolvedTraceOptions,
  ) {
    super(inner);
  }

  override start(metadata: grpc.Metadata, listener?: Partial<grpc.InterceptingListener>): void {
    this.traceId = applyOutgoingTrace(metadata, this.ctx, this.options);
    super.start(metadata, listener);
  }

  override onReceiveStatus(status: grpc.StatusObject): void {
    if (status.code !== grpc.status.OK && status.metadata.get(this.options.traceIdHeader).length === 0) {
      status.metadata.set(this.options.traceIdHeader, this.traceId);
    }
    super.onReceiveStatus(status);
  }
}
