// The public face of grpc-resilience: re-exports only.
export {
  clientInterceptors,
  serverInterceptors,
  type ClientStack,
  type ClientStackOptions,
  type ServerStackOptions,
} from './stack';
export * from './status';
export {
  createCallContext,
  currentCallContext,
  runDetached,
  runOutsideCallContext,
  runWithCallContext,
  callContextServerInterceptor,
  type CallContext,
  type CallContextInit,
  type CancelReason,
} from './context';
export * from './trace';
export * from './details';
export * from './deadline';
export * from './retry';
// Both concerns describe service definitions; the wrapService one keeps the plain name.
export type { ServiceDefinitionLike } from './errors';
export type { ServiceDefinitionLike as IdempotencySource } from './retry';
export * from './breaker';
export * from './errors';
export {
  withResilience,
  resilienceCallOptions,
  RESILIENCE_CALL_OPTIONS,
  type ResilienceCallOptions,
} from './options/call-options';
export {
  combineHandlers,
  createLogHandler,
  createMetricsHandler,
  emitSafely,
  observeHandler,
  attemptObserverClientInterceptor,
  callObserverClientInterceptor,
  callObserverServerInterceptor,
  type LogEntry,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogOptions,
  type MetricsOptions,
  type ObserveOptions,
} from './telemetry';
export type * from './telemetry/events';
