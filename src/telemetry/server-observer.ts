import * as grpc from '@grpc/grpc-js';
// Imported: the global `performance` is a getter on globalThis, slower to reach on every call.
import { performance } from 'node:perf_hooks';
import { callContextStorage } from '../context/scope';
import { asServerInterceptingCall, ForwardingServerCall } from '../internal/forwarding-server-call';
import type { PartialServerStatus } from '../internal/grpc-types';
import { emitSafely } from './emit';
import type { EventHandler } from './events';
import { deadlineOrInfinity } from '../internal/time';

/**
 * Reports every served call's end. A status grpc-js generates itself (its deadline timer, a client
 * cancel) never reaches `sendStatus`, so `onCancel` without a sent status reports those.
 */
export function callObserverServerInterceptor(onEvent: EventHandler): grpc.ServerInterceptor {
  return (descriptor, call) => asServerInterceptingCall(new ObservedServerCall(call, onEvent, descriptor.path, performance.now()));
}

/** Per served call: emits `call-end` once, from the status sent or from the cancel. */
class ObservedServerCall extends ForwardingServerCall {
  private traceId: string | undefined;
  private reported = false;

  constructor(
    inner: grpc.ServerInterceptingCallInterface,
    private readonly onEvent: EventHandler,
    private readonly method: string,
    private readonly started: number,
  ) {
    super(inner);
  }

  override onReceiveMetadata(metadata: grpc.Metadata): void {
    this.traceId = callContextStorage.getStore()?.traceId;
    super.onReceiveMetadata(metadata);
  }

  override onCancel(): void {
    if (!this.reported) {
      const expired = deadlineOrInfinity(this.inner.getDeadline()) <= Date.now();
      this.report(expired ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
    }
    super.onCancel();
  }

  override sendStatus(status: PartialServerStatus): void {
    this.report(status.code);
    super.sendStatus(status);
  }

  private report(code: number): void {
    if (this.reported) return;
    this.reported = true;
    emitSafely(this.onEvent, {
      type: 'call-end',
      side: 'server',
      method: this.method,
      code,
      durationMs: performance.now() - this.started,
      attempts: 1,
      traceId: this.traceId,
    });
  }
}
