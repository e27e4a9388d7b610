import type * as grpc from '@grpc/grpc-js';
// Imported: the global `performance` is a getter on globalThis, slower to reach on every call.
import { performance } from 'node:perf_hooks';
import { asInterceptingCall, ForwardingCall } from '../internal/forwarding-call';
import type { InterceptingCallInterface } from '../internal/grpc-types';
import { outgoingTraceId } from '../trace/traceparent';
import { callRecordOf, withCallRecord, type CallRecord } from './call-record';
import { emitSafely } from './emit';
import type { EventHandler } from './events';

/**
 * Reports every logical call's end (code, duration, attempts, trace id). Sits just inside the
 * trace interceptor; the stack adds it only when events are observed.
 */
export function callObserverClientInterceptor(onEvent: EventHandler, target?: string): grpc.Interceptor {
  return (options, nextCall) => {
    const record: CallRecord = { attempts: 0, retryDelayMs: 0, hedges: 0 };
    const started = performance.now();
    const inner = nextCall(withCallRecord(options, record));
    return asInterceptingCall(new ObservedCall(inner, onEvent, target, options.method_definition.path, record, started));
  };
}

/** Per logical call: emits `call-end` with its final status. */
class ObservedCall extends ForwardingCall {
  private metadata: grpc.Metadata | undefined;

  constructor(
    inner: InterceptingCallInterface,
    private readonly onEvent: EventHandler,
    private readonly target: string | undefined,
    private readonly method: string,
    private readonly record: CallRecord,
    private readonly started: number,
  ) {
    super(inner);
  }

  override start(metadata: grpc.Metadata, listener?: Partial<grpc.InterceptingListener>): void {
    this.metadata = metadata;
    super.start(metadata, listener);
  }

  override onReceiveStatus(status: grpc.StatusObject): void {
    emitSafely(this.onEvent, {
      type: 'call-end',
      side: 'client',
      method: this.method,
      target: this.target,
      code: status.code,
      durationMs: performance.now() - this.started,
      attempts: this.record.attempts,
      retryDelayMs: this.record.retryDelayMs,
      hedges: this.record.hedges,
      traceId: outgoingTraceId(this.metadata),
    });
    super.onReceiveStatus(status);
  }
}

/**
 * Innermost: times each attempt and counts it in the call record (so `attempts` is right with
 * or without the retry interceptor).
 */
export function attemptObserverClientInterceptor(onEvent: EventHandler, target?: string): grpc.Interceptor {
  return (options, nextCall) =>
    asInterceptingCall(new ObservedAttempt(nextCall(options), onEvent, target, options.method_definition.path, callRecordOf(options)));
}

/** Per attempt: emits `attempt-start`, then `attempt-end` with its status and duration. */
class ObservedAttempt extends ForwardingCall {
  private started = 0;
  private attempt = 1;

  constructor(
    inner: InterceptingCallInterface,
    private readonly onEvent: EventHandler,
    private readonly target: string | undefined,
    private readonly method: string,
    private readonly record: CallRecord | undefined,
  ) {
    super(inner);
  }

  // Counted at start: a call failed locally (breaker open, no time left) is created but never started.
  override start(metadata: grpc.Metadata, listener?: Partial<grpc.InterceptingListener>): void {
    if (this.record) this.attempt = ++this.record.attempts;
    this.started = performance.now();
    emitSafely(this.onEvent, { type: 'attempt-start', method: this.method, target: this.target, attempt: this.attempt });
    super.start(metadata, listener);
  }

  override onReceiveStatus(status: grpc.StatusObject): void {
    emitSafely(this.onEvent, {
      type: 'attempt-end',
      method: this.method,
      target: this.target,
      attempt: this.attempt,
      code: status.code,
      durationMs: performance.now() - this.started,
    });
    super.onReceiveStatus(status);
  }
}
