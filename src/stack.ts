import type * as grpc from '@grpc/grpc-js';
import { callContextServerInterceptor } from './context/server-interceptor';
import type { TraceOptions } from './trace/options';
import { traceClientInterceptor } from './trace/client-interceptor';
import { objectOption } from './options/validate';

export interface ClientStackOptions {
  /** Trace headers (W3C `traceparent`; the plain trace-id header when configured). */
  readonly trace?: TraceOptions;
}

export interface ServerStackOptions {
  /** How incoming trace ids are accepted and returned. */
  readonly trace?: TraceOptions;
}

/** The client stack, outermost first: trace → deadline → retry → breaker. */
export function clientInterceptors(options: ClientStackOptions = {}): grpc.Interceptor[] {
  const o = objectOption<ClientStackOptions>('clientInterceptors options', options, ['trace']);
  return [traceClientInterceptor(o.trace)];
}

/** The server stack, outermost first: call context + trace → deadline → error translation. */
export function serverInterceptors(options: ServerStackOptions = {}): grpc.ServerInterceptor[] {
  const o = objectOption<ServerStackOptions>('serverInterceptors options', options, ['trace']);
  return [callContextServerInterceptor(o.trace)];
}
