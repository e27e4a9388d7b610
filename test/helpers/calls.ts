import * as grpc from '@grpc/grpc-js';
import type { EchoClient, EchoMessage } from './echo-service';

export interface CallResult<T = EchoMessage> {
  readonly response?: T;
  readonly error?: grpc.ServiceError;
  /** Response headers, when the server sent any. */
  readonly headers?: grpc.Metadata;
  /** The final status (OK included), with trailers. */
  readonly status: grpc.StatusObject;
}

/** Makes a unary call and settles with everything the caller can observe; never rejects. */
export function unary(
  client: EchoClient,
  request: EchoMessage,
  options: { metadata?: grpc.Metadata; callOptions?: grpc.CallOptions; method?: 'unary' | 'write' } = {},
): Promise<CallResult> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    let finished: { response?: EchoMessage; error?: grpc.ServiceError } | undefined;
    let status: grpc.StatusObject | undefined;
    const settle = () => {
      if (finished && status) resolve({ ...finished, headers, status });
    };
    const call = client[options.method ?? 'unary'](
      request,
      options.metadata ?? new grpc.Metadata(),
      options.callOptions ?? {},
      (error: grpc.ServiceError | null, response?: EchoMessage) => {
        finished = error ? { error } : { response };
        settle();
      },
    );
    call.on('metadata', (md: grpc.Metadata) => (headers = md));
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      settle();
    });
  });
}

/** Collects a server stream: every message, then the error or OK status. Never rejects. */
export function collectStream(
  stream: grpc.ClientReadableStream<EchoMessage> | grpc.ClientDuplexStream<EchoMessage, EchoMessage>,
): Promise<{ messages: EchoMessage[]; error?: grpc.ServiceError; status: grpc.StatusObject }> {
  return new Promise((resolve) => {
    const messages: EchoMessage[] = [];
    let error: grpc.ServiceError | undefined;
    let ended = false;
    let status: grpc.StatusObject | undefined;
    const settle = () => {
      if ((ended || error) && status) resolve({ messages, error, status });
    };
    stream.on('data', (m: EchoMessage) => messages.push(m));
    stream.on('error', (e: grpc.ServiceError) => {
      error = e;
      settle();
    });
    stream.on('end', () => {
      ended = true;
      settle();
    });
    stream.on('status', (s: grpc.StatusObject) => {
      status = s;
      settle();
    });
  });
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
