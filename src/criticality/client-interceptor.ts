import type * as grpc from '@grpc/grpc-js';
import { asInterceptingCall, ForwardingCall } from '../internal/forwarding-call';
import type { InterceptingCallInterface } from '../internal/grpc-types';
import { CRITICALITY_HEADER, type Criticality } from './criticality';
import { criticalityResolver, type CriticalityOptions, type CriticalityResolver } from './options';

/**
 * Marks outgoing calls with their criticality (`x-resilience-criticality`), only when one is set:
 * per call, per method, inherited from the call being served, or for the whole stack. An unmarked
 * call passes through untouched, with no layer added.
 */
export function criticalityClientInterceptor(options?: CriticalityOptions | CriticalityResolver): grpc.Interceptor {
  const resolve = typeof options === 'function' ? options : criticalityResolver(options);
  return (callOptions, nextCall) => {
    const criticality = resolve(callOptions, callOptions.method_definition.path);
    const inner = nextCall(callOptions);
    return asInterceptingCall(criticality === undefined ? inner : new MarkedCall(inner, criticality));
  };
}

class MarkedCall extends ForwardingCall {
  constructor(
    inner: InterceptingCallInterface,
    private readonly criticality: Criticality,
  ) {
    super(inner);
  }

  override start(metadata: grpc.Metadata, listener?: Partial<grpc.InterceptingListener>): void {
    metadata.set(CRITICALITY_HEADER, this.criticality);
    super.start(metadata, listener);
  }
}
