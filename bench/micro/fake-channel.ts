import * as grpc from '@grpc/grpc-js';

type CallStream = grpc.experimental.CallStream;
type StatusObject = grpc.StatusObject;

/** The status a fake call ends with, chosen per call from its method path. */
export type FakeResponder = (path: string) => { code: grpc.status; details: string };

const OK_RESPONDER: FakeResponder = () => ({ code: grpc.status.OK, details: 'OK' });

let callNumber = 0;

/**
 * The bottom of grpc-js's client call stack with the network removed: it echoes the request
 * message and ends with the responder's status, on a microtask after half-close (as if the
 * response had arrived), so the interceptors above it run exactly as they would for real.
 */
class FakeCall implements CallStream {
  private listener: grpc.InterceptingListener | undefined;
  private message: Buffer | undefined;
  private ended = false;
  private readonly number = ++callNumber;

  constructor(
    private readonly path: string,
    private readonly responder: FakeResponder,
    private readonly channel: FakeChannel,
  ) {}

  start(_metadata: grpc.Metadata, listener: grpc.InterceptingListener): void {
    this.listener = listener;
  }

  sendMessageWithContext(context: { callback?: (error?: Error | null) => void }, message: Buffer): void {
    this.message = message;
    context.callback?.();
  }

  halfClose(): void {
    queueMicrotask(() => this.respond());
  }

  private respond(): void {
    if (this.ended || !this.listener) return;
    this.ended = true;
    const { code, details } = this.responder(this.path);
    this.listener.onReceiveMetadata(new grpc.Metadata());
    if (code === grpc.status.OK && this.message) this.listener.onReceiveMessage(this.message);
    this.listener.onReceiveStatus({ code, details, metadata: new grpc.Metadata() });
  }

  cancelWithStatus(code: grpc.status, details: string): void {
    if (this.ended) return;
    this.ended = true;
    const status: StatusObject = { code, details, metadata: new grpc.Metadata() };
    const listener = this.listener;
    if (listener) queueMicrotask(() => listener.onReceiveStatus(status));
  }

  startRead(): void {}
  /** Like grpc-js before the call is given to a connection: the channel target, built anew each time. */
  getPeer(): string {
    return this.channel.getTarget();
  }
  getCallNumber(): number {
    return this.number;
  }
  setCredentials(): void {}
  getAuthContext(): null {
    return null;
  }
}

/** A grpc-js Channel whose calls never touch the network (see FakeCall). */
export class FakeChannel implements grpc.ChannelInterface {
  calls = 0;

  constructor(
    private readonly host = 'fake.bench.local:443',
    private readonly responder: FakeResponder = OK_RESPONDER,
  ) {}

  createCall(method: string): CallStream {
    this.calls++;
    return new FakeCall(method, this.responder, this);
  }

  close(): void {}
  /** `dns:host:port`, concatenated per call as grpc-js's `uriToString` does (callers key maps by it). */
  getTarget(): string {
    return `dns:${this.host}`;
  }
  getConnectivityState(): grpc.connectivityState {
    return grpc.connectivityState.READY;
  }
  watchConnectivityState(_state: grpc.connectivityState, _deadline: Date | number, callback: (error?: Error) => void): void {
    setImmediate(callback);
  }
  getChannelzRef(): ReturnType<grpc.ChannelInterface['getChannelzRef']> {
    return { kind: 'channel', id: 0, name: this.host } as unknown as ReturnType<grpc.ChannelInterface['getChannelzRef']>;
  }
}
