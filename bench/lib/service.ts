import * as grpc from '@grpc/grpc-js';

/**
 * The benchmark's Echo service: unary methods whose messages are raw bytes (identity
 * serialisation), so a call's cost is transport + interceptors, not a codec.
 */
const identity = (value: Buffer): Buffer => value;

function unaryMethod(name: string) {
  return {
    path: `/bench.v1.EchoService/${name}`,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
  };
}

/** `Echo` is the measured method; the soak also calls `Lookup` and `Flaky` (separate breaker keys). */
export const BenchService = {
  echo: unaryMethod('Echo'),
  lookup: unaryMethod('Lookup'),
  flaky: unaryMethod('Flaky'),
} satisfies grpc.ServiceDefinition;

export type BenchMethod = keyof typeof BenchService;

interface UnaryFn {
  (request: Buffer, callback: grpc.requestCallback<Buffer>): grpc.ClientUnaryCall;
  (request: Buffer, metadata: grpc.Metadata, callback: grpc.requestCallback<Buffer>): grpc.ClientUnaryCall;
  (request: Buffer, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<Buffer>): grpc.ClientUnaryCall;
}

export type BenchClient = grpc.Client & Record<BenchMethod, UnaryFn>;

export const BenchClientConstructor = grpc.makeGenericClientConstructor(BenchService, 'EchoService') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => BenchClient;

/** The request: 32 bytes, echoed back. */
export const PAYLOAD = Buffer.alloc(32, 0x61);

/** A constant, valid W3C traceparent: what "bare grpc-js + header" sends (the header's cost only). */
export const CONSTANT_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
