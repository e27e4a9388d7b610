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
export {
  retryClientInterceptor,
  DEFAULT_RETRY_POLICY,
  MAX_ATTEMPTS_LIMIT,
  backoffDelayMs,
  JITTER_MODES,
  DEFAULT_BUDGET,
  createRetryBudget,
  readPushback,
  PUSHBACK_KEY,
  decideRetry,
  protoIdempotency,
  ATTEMPTS_KEY,
  PREVIOUS_ATTEMPTS_KEY,
  attemptsOf,
  DOUBLE_RETRY_WARNING_CODE,
  type RetryOptions,
  type RetryOverrides,
  type RetryPolicy,
  type BackoffSettings,
  type JitterMode,
  type RandomSource,
  type RetryBudget,
  type RetryBudgetOptions,
  type RetryBudgetSnapshot,
  type Pushback,
  type FailedAttempt,
  type RetryContext,
  type RetryDecision,
  type ServiceDefinitionLike as IdempotencySource,
} from './retry';
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
