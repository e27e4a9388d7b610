import type { InterceptingCall, InterceptingListener, Metadata, StatusObject } from '@grpc/grpc-js';
import type { InterceptingCallInterface, MessageContext } from './grpc-types';

/**
 * A client call that passes everything through to the call below it, and is itself the listener
 * of that call, relaying what arrives to the listener above. Subclasses override only what they
 * act on (`start` to add headers, `onReceiveStatus` to count the outcome, …).
 *
 * Why not `new InterceptingCall(inner, requester)`: grpc-js builds that layer for every call out
 * of about ten objects (a full requester, a listener wrapper, three bound functions, a closure per
 * operation). This is one object with prototype methods, and grpc-js only uses the call interface
 * of what an interceptor returns. Listener methods take one argument: the call below is started
 * with `start(metadata, this)`, as an intercepting listener, never passed to a requester's `next`.
 */
export class ForwardingCall implements InterceptingCallInterface, InterceptingListener {
  /** The listener above us (the caller's, or the interceptor above). */
  protected listener: Partial<InterceptingListener> | undefined;

  constructor(protected readonly inner: InterceptingCallInterface) {}

  start(metadata: Metadata, listener?: Partial<InterceptingListener>): void {
    this.listener = listener;
    this.inner.start(metadata, this);
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    this.inner.sendMessageWithContext(context, message);
  }

  sendMessage(message: unknown): void {
    this.inner.sendMessage(message);
  }

  startRead(): void {
    this.inner.startRead();
  }

  halfClose(): void {
    this.inner.halfClose();
  }

  cancelWithStatus(code: number, details: string): void {
    this.inner.cancelWithStatus(code, details);
  }

  getPeer(): string {
    return this.inner.getPeer();
  }

  getAuthContext(): ReturnType<InterceptingCallInterface['getAuthContext']> {
    return this.inner.getAuthContext();
  }

  onReceiveMetadata(metadata: Metadata): void {
    this.listener?.onReceiveMetadata?.(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.listener?.onReceiveMessage?.(message);
  }

  onReceiveStatus(status: StatusObject): void {
    this.listener?.onReceiveStatus?.(status);
  }
}

/**
 * The `Interceptor` type asks for an `InterceptingCall`; grpc-js only uses its interface, which
 * our calls implement. One cast, named, instead of one per interceptor.
 */
export function asInterceptingCall(call: InterceptingCallInterface): InterceptingCall {
  return call as InterceptingCall;
}
