import { Metadata, type Deadline, type ServerInterceptingCall, type ServerInterceptingCallInterface } from '@grpc/grpc-js';
import type { PartialServerStatus } from './grpc-types';

/** What `start` receives: grpc-js's intercepting server listener (not exported by name). */
type InterceptingServerListener = Parameters<ServerInterceptingCallInterface['start']>[0];

/**
 * A server call that passes everything through to the call below it (towards the network), and
 * is itself the listener of that call, relaying what arrives to the listener above (towards the
 * handler). Subclasses override only what they act on.
 *
 * Why not `new ServerInterceptingCall(call, responder)`: grpc-js builds that layer for every call
 * out of a responder object, a listener wrapper and a closure per operation. This is one object
 * with prototype methods; grpc-js only uses the call interface of what an interceptor returns.
 * It keeps the two rules of grpc-js's layer that matter without asynchronous responders: response
 * headers go out (through `sendMetadata`, so a subclass can add to them) before the first message,
 * and nothing more is relayed to the handler once the call is cancelled.
 */
export class ForwardingServerCall implements ServerInterceptingCallInterface, InterceptingServerListener {
  /** The listener above us (the handler's, or the interceptor above). */
  protected listener!: InterceptingServerListener;
  private metadataSent = false;
  private cancelled = false;

  constructor(protected readonly inner: ServerInterceptingCallInterface) {}

  // ---- the call, as driven from the handler's side -----------------------------------------

  start(listener: InterceptingServerListener): void {
    this.listener = listener;
    this.inner.start(this);
  }

  sendMetadata(metadata: Metadata): void {
    this.metadataSent = true;
    this.inner.sendMetadata(metadata);
  }

  sendMessage(message: unknown, callback: () => void): void {
    if (!this.metadataSent) this.sendMetadata(new Metadata());
    this.inner.sendMessage(message, callback);
  }

  sendStatus(status: PartialServerStatus): void {
    this.inner.sendStatus(status);
  }

  startRead(): void {
    this.inner.startRead();
  }

  getPeer(): string {
    return this.inner.getPeer();
  }

  getDeadline(): Deadline {
    return this.inner.getDeadline();
  }

  getHost(): string {
    return this.inner.getHost();
  }

  getAuthContext(): ReturnType<ServerInterceptingCallInterface['getAuthContext']> {
    return this.inner.getAuthContext();
  }

  getConnectionInfo(): ReturnType<ServerInterceptingCallInterface['getConnectionInfo']> {
    return this.inner.getConnectionInfo();
  }

  getMetricsRecorder(): ReturnType<ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.inner.getMetricsRecorder();
  }

  // ---- the listener of the call below ------------------------------------------------------

  onReceiveMetadata(metadata: Metadata): void {
    this.deliverMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.deliverMessage(message);
  }

  onReceiveHalfClose(): void {
    this.deliverHalfClose();
  }

  onCancel(): void {
    this.cancelled = true;
    this.listener.onCancel();
  }

  // ---- relaying to the listener above (public for module-level trampolines, e.g. AsyncLocalStorage#run) ----

  deliverMetadata(metadata: Metadata): void {
    if (!this.cancelled) this.listener.onReceiveMetadata(metadata);
  }

  deliverMessage(message: unknown): void {
    if (!this.cancelled) this.listener.onReceiveMessage(message);
  }

  deliverHalfClose(): void {
    if (!this.cancelled) this.listener.onReceiveHalfClose();
  }
}

/**
 * The `ServerInterceptor` type asks for a `ServerInterceptingCall`; grpc-js only uses its
 * interface, which our calls implement.
 */
export function asServerInterceptingCall(call: ServerInterceptingCallInterface): ServerInterceptingCall {
  return call as ServerInterceptingCall;
}
