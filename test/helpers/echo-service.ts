import * as grpc from '@grpc/grpc-js';

/** The message of the test service: JSON on the wire, so tests need no generated code. */
export interface EchoMessage {
  id?: string;
  text?: string;
  count?: number;
  [key: string]: unknown;
}

const serialize = (value: EchoMessage): Buffer => Buffer.from(JSON.stringify(value ?? {}));
const deserialize = (bytes: Buffer): EchoMessage => JSON.parse(bytes.toString() || '{}') as EchoMessage;

function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/test.v1.EchoService/${name}`,
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
  };
}

/** A service with one method of each call type (plus a second unary used as "non-idempotent"). */
export const EchoService = {
  unary: method('Unary', false, false),
  write: method('Write', false, false),
  serverStream: method('ServerStream', false, true),
  clientStream: method('ClientStream', true, false),
  bidi: method('Bidi', true, true),
} satisfies grpc.ServiceDefinition;

export type EchoClient = grpc.Client & {
  unary: grpc.requestCallback<EchoMessage> & ((...args: unknown[]) => grpc.ClientUnaryCall);
  write: (...args: unknown[]) => grpc.ClientUnaryCall;
  serverStream: (...args: unknown[]) => grpc.ClientReadableStream<EchoMessage>;
  clientStream: (...args: unknown[]) => grpc.ClientWritableStream<EchoMessage>;
  bidi: (...args: unknown[]) => grpc.ClientDuplexStream<EchoMessage, EchoMessage>;
};

export const EchoClientConstructor = grpc.makeGenericClientConstructor(EchoService, 'EchoService') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => EchoClient;

/** Paths of the echo methods, for per-method options. */
export const ECHO_PATHS = {
  unary: EchoService.unary.path,
  write: EchoService.write.path,
  serverStream: EchoService.serverStream.path,
  clientStream: EchoService.clientStream.path,
  bidi: EchoService.bidi.path,
} as const;
