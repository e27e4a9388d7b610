// The public face of grpc-resilience: re-exports only.

// The stacks.
export {
  clientInterceptors,
  serverInterceptors,
  type ClientStack,
  type ClientStackOptions,
  type ServerStackOptions,
} from './stack';

// Each concern on its own, for custom stacks.
export { traceClientInterceptor, type TraceOptions } from './trace';
export { callContextServerInterceptor } from './context';
export {
  deadlineClientInterceptor,
  deadlineServerInterceptor,
  type DeadlineClientOptions,
  type DeadlineServerOptions,
  type DeadlineOverrides,
  type DeadlinePolicy,
} from './deadline';
export {
  retryClientInterceptor,
  createRetryBudget,
  attemptsOf,
  ATTEMPTS_KEY,
  type RetryOptions,
  type RetryOverrides,
  type RetryPolicy,
  type JitterMode,
  type RandomSource,
  type RetryBudget,
  type RetryBudgetOptions,
  type RetryBudgetSnapshot,
} from './retry';
export type { ServiceSource } from './internal/services';
export {
  hedgingClientInterceptor,
  type AdaptiveHedgeDelay,
  type HedgeDelay,
  type HedgingOptions,
  type HedgingOverrides,
  type HedgingPolicy,
} from './hedging';
export {
  breakerClientInterceptor,
  createBreakerRegistry,
  type BreakerInterceptor,
  type BreakerOptions,
  type BreakerRegistry,
  type BreakerSnapshot,
  type BreakerScope,
  type BreakerTuning,
} from './breaker';
export {
  fallbackClientInterceptor,
  isDegraded,
  DEGRADED_KEY,
  type FallbackContext,
  type FallbackHandler,
  type FallbackMap,
  type FallbackOptions,
  type FallbackReason,
} from './fallback';
export {
  overloadServerInterceptor,
  type AdaptiveTuning,
  type CriticalityShares,
  type LimitSetting,
  type MethodOverloadOptions,
  type OverloadOptions,
} from './overload';
export { throttleClientInterceptor, type ThrottleInterceptor, type ThrottleOptions, type ThrottleRegistry } from './throttle';
export { criticalityClientInterceptor, CRITICALITY_HEADER, type Criticality, type CriticalityOptions } from './criticality';
export * from './errors';

// The status table.
export {
  classifyStatus,
  createStatusTable,
  defaultStatusTable,
  statusName,
  LOCAL_FAILURE_KEY,
  localFailureKind,
  type LocalFailureKind,
  type ClassifyContext,
  type RetryCondition,
  type RetryMode,
  type StatusClassification,
  type StatusOverrides,
  type StatusTable,
  type StatusTableOptions,
} from './status';

// The call context.
export {
  createCallContext,
  currentCallContext,
  runDetached,
  runOutsideCallContext,
  runWithCallContext,
  type CallContext,
  type CallContextInit,
  type CancelReason,
} from './context';

// Trace ids and rich error details on the wire.
export { newTraceId, parseTraceParent, formatTraceParent, type TraceParent } from './trace';
export {
  decodeRichStatus,
  encodeRichStatus,
  MalformedStatusDetailsError,
  STATUS_DETAILS_KEY,
  type ErrorDetail,
  type ErrorDetailType,
  type RichStatus,
  type UnknownDetail,
  type BadRequest,
  type DebugInfo,
  type ErrorInfo,
  type FieldViolation,
  type Help,
  type HelpLink,
  type LocalizedMessage,
  type PreconditionFailure,
  type PreconditionViolation,
  type QuotaFailure,
  type QuotaViolation,
  type RequestInfo,
  type ResourceInfo,
  type RetryInfo,
} from './details';

// Per-call settings.
export { withResilience, type ResilienceCallOptions } from './options/call-options';

// Observability.
export {
  createLogHandler,
  createMetricsHandler,
  type LogEntry,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogOptions,
  type MetricsOptions,
  type ObserveOptions,
} from './telemetry';
export type * from './telemetry/events';
