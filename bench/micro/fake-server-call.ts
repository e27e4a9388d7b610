import * as grpc from '@grpc/grpc-js';
import { BenchService, CONSTANT_TRACEPARENT, PAYLOAD } from '../lib/service';

type BaseCall = grpc.ServerInterceptingCallInterface;
type Status = Parameters<BaseCall['sendStatus']>[0];
/** What `start` receives: grpc-js's intercepting server listener (not exported by name). */
type StartListener = Parameters<BaseCall['start']>[0];

/**
 * The bottom of grpc-js's server call stack with the HTTP/2 stream removed: delivers the
 * request headers and message, takes the response, and ends the call like grpc-js does
 * (`onCancel` on the next tick after the status — grpc-js reports every call end that way).
 */
class FakeServerCall implements BaseCall {
  private listener: StartListener | undefined;
  private delivered = false;

  constructor(
    private readonly metadata: grpc.Metadata,
    private readonly ended: (status: Status) => void,
  ) {}

  start(listener: StartListener): void {
    this.listener = listener;
    queueMicrotask(() => listener.onReceiveMetadata(this.metadata));
  }

  startRead(): void {
    const listener = this.listener!;
    if (!this.delivered) {
      this.delivered = true;
      queueMicrotask(() => listener.onReceiveMessage(PAYLOAD));
    } else {
      queueMicrotask(() => listener.onReceiveHalfClose());
    }
  }

  sendMetadata(): void {}

  sendMessage(_message: unknown, callback: () => void): void {
    queueMicrotask(callback);
  }

  sendStatus(status: Status): void {
    const listener = this.listener!;
    process.nextTick(() => {
      listener.onCancel();
      this.ended(status);
    });
  }

  getPeer(): string {
    return 'fake';
  }
  getDeadline(): grpc.Deadline {
    return Infinity;
  }
  getHost(): string {
    return 'fake.bench.local';
  }
  getAuthContext(): ReturnType<BaseCall['getAuthContext']> {
    return {} as ReturnType<BaseCall['getAuthContext']>;
  }
  getConnectionInfo(): ReturnType<BaseCall['getConnectionInfo']> {
    return { localIp: '127.0.0.1', localPort: 1, remoteIp: '127.0.0.1', remotePort: 2 } as ReturnType<BaseCall['getConnectionInfo']>;
  }
  getMetricsRecorder(): ReturnType<BaseCall['getMetricsRecorder']> {
    return {} as ReturnType<BaseCall['getMetricsRecorder']>;
  }
}

const METHOD: grpc.ServerMethodDefinition<Buffer, Buffer> = {
  path: BenchService.echo.path,
  requestStream: false,
  responseStream: false,
  requestDeserialize: BenchService.echo.requestDeserialize,
  responseSerialize: BenchService.echo.responseSerialize,
};

/**
 * Runs one unary call through `interceptors` the way grpc-js's server does (same composition,
 * same handler-side listener as its unary handler), answering with the request.
 */
export function serveFakeUnary(interceptors: readonly grpc.ServerInterceptor[], ended: (status: Status) => void): void {
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', CONSTANT_TRACEPARENT);
  const base: BaseCall = new FakeServerCall(metadata, ended);
  const call = interceptors.reduce<BaseCall>((next, interceptor) => interceptor(METHOD, next), base);
  let request: Buffer | undefined;
  call.start({
    onReceiveMetadata: () => call.startRead(),
    onReceiveMessage: (message: Buffer) => {
      request = message;
      call.startRead();
    },
    onReceiveHalfClose: () => {
      call.sendMessage(request, () => call.sendStatus({ code: grpc.status.OK, details: 'OK', metadata: null }));
    },
    onCancel: () => {},
  });
}
