import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallContext, CancelReason } from './call-context';

/** Removes a cancellation listener. */
export type Unsubscribe = () => void;

/** A context our client interceptors can link to: they cancel downstream calls when it is cancelled. */
export interface CancellableContext extends CallContext {
  /**
   * Runs `listener` if the call is cancelled before it finishes. Returns undefined (and never calls
   * the listener) when the call has already finished normally or its scope opted out.
   */
  onCancel(listener: (reason: CancelReason) => void): Unsubscribe | undefined;
  /**
   * Our client stack has dealt with a failure of one of this call's outgoing calls: retried it, or
   * refused to (breaker open, budget spent, told to stop). The status this call sends then tells
   * its own caller not to retry (retry at one tier). Absent on contexts that answer no caller.
   */
  noteRetriedOutgoingFailure?(): void;
  /** True once `noteRetriedOutgoingFailure` was called. */
  readonly retriedOutgoingFailure?: boolean;
}

/** The store behind `currentCallContext()`. One per process (module instance). */
export const callContextStorage = new AsyncLocalStorage<CancellableContext>();

/** The context of the call being handled, or undefined outside any handler. */
export function currentCallContext(): CallContext | undefined {
  return callContextStorage.getStore();
}

/** Runs `fn` with `ctx` as the current call context. */
export function runWithCallContext<T>(ctx: CallContext, fn: () => T): T {
  return callContextStorage.run(asCancellable(ctx), fn);
}

/**
 * Runs `fn(arg)` in `ctx`, the caller's context captured when its call started (none: outside any
 * context). For work a client interceptor starts later, from a timer or a listener (a retry, a
 * hedge): what runs below it may read the context, and grpc-js does not keep it for listeners.
 */
export function runInCallContext<A>(ctx: CancellableContext | undefined, fn: (arg: A) => void, arg: A): void {
  if (callContextStorage.getStore() === ctx) fn(arg);
  else if (ctx) callContextStorage.run(ctx, fn, arg);
  else callContextStorage.exit(fn, arg);
}

/** Runs `fn` with no call context: outgoing calls from it start a new trace and inherit no deadline. */
export function runOutsideCallContext<T>(fn: () => T): T {
  return callContextStorage.exit(fn);
}

/**
 * Runs `fn` (e.g. background work that must outlive the request) keeping the trace id (and
 * criticality) but dropping the deadline and cancellation of the current call.
 */
export function runDetached<T>(fn: () => T): T {
  const ctx = callContextStorage.getStore();
  if (!ctx) return fn();
  return callContextStorage.run(new DetachedContext(ctx), fn);
}

const NEVER_ABORTS = new AbortController().signal;

class DetachedContext implements CancellableContext {
  readonly traceId: string;
  readonly traceFlags: number;
  readonly method: string;
  readonly deadline = Infinity;
  readonly signal = NEVER_ABORTS;
  readonly finished = false;
  readonly criticality: CallContext['criticality'];
  constructor(from: CallContext) {
    this.traceId = from.traceId;
    this.traceFlags = from.traceFlags;
    this.method = from.method;
    this.criticality = from.criticality;
  }
  onCancel(): undefined {
    return undefined;
  }
}

function asCancellable(ctx: CallContext): CancellableContext {
  if (typeof (ctx as Partial<CancellableContext>).onCancel === 'function') return ctx as CancellableContext;
  return Object.assign(Object.create(ctx) as CallContext, { onCancel: () => undefined }) as CancellableContext;
}
