export type { CallContext, CancelReason } from './call-context';
export {
  callContextStorage,
  currentCallContext,
  runDetached,
  runOutsideCallContext,
  runWithCallContext,
  type CancellableContext,
  type Unsubscribe,
} from './scope';
export { ServerCallState } from './server-call-state';
export { createCallContext, type CallContextInit } from './create';
export { callContextServerInterceptor } from './server-interceptor';
