import { Metadata, type InterceptingListener, type StatusObject } from '@grpc/grpc-js';
import type { InterceptingCallInterface, MessageContext } from './grpc-types';

/**
 * A call that fails with `status` without ever reaching the channel: no grpc-js call is created,
 * so nothing is sent, no connection is opened and the channel's call count is untouched (a
 * created-then-abandoned call would keep the channel from going idle). The status is delivered
 * with setImmediate, after the caller has attached its listeners and after pending I/O and
 * timers: a caller that retries in a tight loop must not starve timers (a breaker's reset timer).
 */
export class LocallyFailedCall implements InterceptingCallInterface {
  private listener: Partial<InterceptingListener> | undefined;
  private delivered = false;

  /** `peer`: what `getPeer()` reports (the channel target, when the caller knows it). */
  constructor(
    private status: StatusObject,
    private readonly peer = 'unknown',
  ) {}

  start(_metadata: Metadata, listener?: Partial<InterceptingListener>): void {
    this.listener = listener;
    setImmediate(deliver, this);
  }

  /** Cancelled before the status went out: report the cancellation instead, like a real call. */
  cancelWithStatus(code: number, details: string): void {
    if (!this.delivered) this.status = { code, details, metadata: new Metadata() };
  }

  sendMessageWithContext(context: MessageContext, _message: unknown): void {
    // Complete the write so a streaming writer is not left waiting; the message goes nowhere.
    context.callback?.();
  }

  sendMessage(_message: unknown): void {}

  startRead(): void {}

  halfClose(): void {}

  getPeer(): string {
    return this.peer;
  }

  getAuthContext(): null {
    return null;
  }

  /** Hands the status to the listener, once. */
  finish(): void {
    if (this.delivered) return;
    this.delivered = true;
    this.listener?.onReceiveStatus?.(this.status);
  }
}

function deliver(call: LocallyFailedCall): void {
  call.finish();
}
