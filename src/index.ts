// The public face of grpc-resilience: re-exports only.
export { clientInterceptors, serverInterceptors, type ClientStackOptions, type ServerStackOptions } from './stack';
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
export * from './telemetry';
