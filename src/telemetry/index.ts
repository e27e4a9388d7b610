export * from './events';
export { combineHandlers, emitSafely } from './emit';
export { createMetricsHandler, type MetricsOptions } from './metrics';
export { createLogHandler, type LogEntry, type LogFields, type Logger, type LogLevel, type LogOptions } from './logs';
export { attemptObserverClientInterceptor, callObserverClientInterceptor } from './client-observer';
export { callObserverServerInterceptor } from './server-observer';
export { CALL_RECORD, callRecordOf, type CallRecord } from './call-record';
export { observeHandler, type ObserveOptions } from './observe';
