import type * as grpc from '@grpc/grpc-js';

/** What a method definition must look like (ts-proto `outputServices=grpc-js`, `@grpc/proto-loader`, hand-written). */
export interface MethodDefinitionLike {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly originalName?: string;
  requestDeserialize(bytes: Buffer): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  responseSerialize(value: any): Buffer;
}

/** A service definition: method name → method definition. */
export type ServiceDefinitionLike = { readonly [method: string]: MethodDefinitionLike };

/** The request type a method's server receives. */
export type RequestOf<M> = M extends { requestDeserialize(bytes: Buffer): infer Req } ? Req : unknown;
/** The response type a method's server sends. */
export type ResponseOf<M> = M extends { responseSerialize(value: infer Res): Buffer } ? Res : unknown;

/** Responses of a streaming handler: an async generator, an array, a Readable, … */
export type StreamOutput<Res> = AsyncIterable<Res> | Iterable<Res>;

/** A client-streaming or bidi call whose requests can be read with `for await`. */
export type RequestStream<Req, Res> = grpc.ServerReadableStream<Req, Res> & AsyncIterable<Req>;
export type DuplexRequestStream<Req, Res> = grpc.ServerDuplexStream<Req, Res> & AsyncIterable<Req>;

/**
 * Unary: `async (call) => response`, or grpc-js callback style `(call, callback) => void`
 * (told apart by the number of declared parameters).
 */
export type UnaryHandler<Req, Res> = (
  call: grpc.ServerUnaryCall<Req, Res>,
  callback: grpc.sendUnaryData<Res>,
) => Res | Promise<Res> | void | Promise<void>;

/**
 * Server streaming: an async generator yielding responses, an async function writing to `call`
 * (the stream ends when it resolves), or a plain function in grpc-js style (it ends the stream itself).
 */
export type ServerStreamingHandler<Req, Res> = (
  call: grpc.ServerWritableStream<Req, Res>,
) => StreamOutput<Res> | Promise<void | StreamOutput<Res>> | void;

/** Client streaming: `async (call) => { for await (const req of call) …; return response }`, or callback style. */
export type ClientStreamingHandler<Req, Res> = (
  call: RequestStream<Req, Res>,
  callback: grpc.sendUnaryData<Res>,
) => Res | Promise<Res> | void | Promise<void>;

/** Bidi: an async generator reading `call` and yielding responses, an async function, or grpc-js style. */
export type BidiStreamingHandler<Req, Res> = (
  call: DuplexRequestStream<Req, Res>,
) => StreamOutput<Res> | Promise<void | StreamOutput<Res>> | void;

/** A handler for a method whose call type is not known statically (e.g. proto-loader definitions). */
export type AnyHandler<Req, Res> = (
  call:
    | grpc.ServerUnaryCall<Req, Res>
    | grpc.ServerWritableStream<Req, Res>
    | RequestStream<Req, Res>
    | DuplexRequestStream<Req, Res>,
  callback: grpc.sendUnaryData<Res>,
) => Res | Promise<Res> | StreamOutput<Res> | Promise<void | StreamOutput<Res>> | void;

/** The handler type for one method definition. */
export type HandlerFor<M> = M extends { readonly requestStream: true; readonly responseStream: true }
  ? BidiStreamingHandler<RequestOf<M>, ResponseOf<M>>
  : M extends { readonly requestStream: true; readonly responseStream: false }
    ? ClientStreamingHandler<RequestOf<M>, ResponseOf<M>>
    : M extends { readonly requestStream: false; readonly responseStream: true }
      ? ServerStreamingHandler<RequestOf<M>, ResponseOf<M>>
      : M extends { readonly requestStream: false; readonly responseStream: false }
        ? UnaryHandler<RequestOf<M>, ResponseOf<M>>
        : AnyHandler<RequestOf<M>, ResponseOf<M>>;

/** Handlers for every method of a service definition. */
export type ServiceHandlers<D extends ServiceDefinitionLike> = { [K in keyof D]: HandlerFor<D[K]> };

/** What wrapService returns: grpc-js handlers under the same names. */
export type WrappedService<K extends PropertyKey> = { [P in K]: grpc.UntypedHandleCall };
