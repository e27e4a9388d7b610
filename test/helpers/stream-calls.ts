import * as grpc from '@grpc/grpc-js';
import type { EchoClient, EchoMessage } from './echo-service';
import { collectStream } from './calls';

/** What a caller observes of any call: messages received, then the error or OK status. */
export interface Observed {
  readonly messages: EchoMessage[];
  readonly error?: grpc.ServiceError;
  readonly status: grpc.StatusObject;
}

/** A server-streaming call; never rejects. */
export function serverStreamCall(client: EchoClient, request: EchoMessage, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<Observed> {
  return collectStream(client.serverStream(request, metadata, options));
}

/** A client-streaming call sending `requests`; never rejects. */
export function clientStreamCall(
  client: EchoClient,
  requests: readonly EchoMessage[],
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<Observed> {
  return new Promise((resolve) => {
    let finished: { response?: EchoMessage; error?: grpc.ServiceError } | undefined;
    let status: grpc.StatusObject | undefined;
    const settle = () => {
      if (!finished || !status) return;
      resolve({ messages: finished.response ? [finished.response] : [], error: finished.error, status });
    };
    const call = client.clientStream(metadata, options, (error: grpc.ServiceError | null, response?: EchoMessage) => {
      finished = error ? { error } : { response };
      settle();
    });
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      settle();
    });
    for (const request of requests) call.write(request);
    call.end();
  });
}

/** A bidi call sending `requests` then half-closing; never rejects. */
export function bidiCall(
  client: EchoClient,
  requests: readonly EchoMessage[],
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<Observed> {
  const call = client.bidi(metadata, options);
  const done = collectStream(call);
  for (const request of requests) call.write(request);
  call.end();
  return done;
}

/** A unary call as an `Observed`; never rejects. */
export function unaryCall(
  client: EchoClient,
  request: EchoMessage,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
  method: 'unary' | 'write' = 'unary',
): Promise<Observed> {
  return new Promise((resolve) => {
    let finished: { response?: EchoMessage; error?: grpc.ServiceError } | undefined;
    let status: grpc.StatusObject | undefined;
    const settle = () => {
      if (!finished || !status) return;
      resolve({ messages: finished.response ? [finished.response] : [], error: finished.error, status });
    };
    const call = client[method](request, metadata, options, (error: grpc.ServiceError | null, response?: EchoMessage) => {
      finished = error ? { error } : { response };
      settle();
    });
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      settle();
    });
  });
}

export type CallType = 'unary' | 'serverStream' | 'clientStream' | 'bidi';
export const CALL_TYPES: readonly CallType[] = ['unary', 'serverStream', 'clientStream', 'bidi'];

/** Calls `type` on the echo service with one request (or `requests` for streaming requests). */
export function callAny(
  client: EchoClient,
  type: CallType,
  request: EchoMessage,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<Observed> {
  switch (type) {
    case 'unary':
      return unaryCall(client, request, metadata, options);
    case 'serverStream':
      return serverStreamCall(client, request, metadata, options);
    case 'clientStream':
      return clientStreamCall(client, [request, request], metadata, options);
    case 'bidi':
      return bidiCall(client, [request, request], metadata, options);
  }
}
