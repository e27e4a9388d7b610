import * as grpc from '@grpc/grpc-js';

/**
 * The benchmark's Echo service: unary methods whose messages are raw bytes (identity
 * serialisation), so a call's cost is transport + interceptors, not a codec.
 */
const identity = (value: Buffer): Buffer => value;

/** A unary method of `service` whose messages are raw bytes (identity serialisation). */
export function rawUnaryMethod(service: string, name: string) {
  return {
    path: `/${service}/${name}`,
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
  echo: rawUnaryMethod('bench.v1.EchoService', 'Echo'),
  lookup: rawUnaryMethod('bench.v1.EchoService', 'Lookup'),
  flaky: rawUnaryMethod('bench.v1.EchoService', 'Flaky'),
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

/**
 * Distinct valid traceparents made before the run: "bare grpc-js + a new traceparent per call"
 * takes the next one, so it sends what our stack sends (a new value per call, which HTTP/2
 * header compression cannot index) without any of our code or the cost of making ids.
 */
const TRACEPARENT_POOL: readonly string[] = Array.from({ length: 8192 }, (_, i) => {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const a = Math.floor(Math.random() * 0xffffffff);
  return `00-${hex(a, 8)}${hex(i + 1, 8)}${'4bf92f35'}${hex((a ^ 0x5a5a5a5a) >>> 0, 8)}-${hex(i + 1, 8)}${hex(a, 8)}-01`;
});
let nextPooled = 0;

/** The next traceparent of the pool (see TRACEPARENT_POOL). */
export function nextTraceparent(): string {
  const value = TRACEPARENT_POOL[nextPooled];
  nextPooled = (nextPooled + 1) % TRACEPARENT_POOL.length;
  return value;
}
