import * as grpc from '@grpc/grpc-js';
import type { EchoClient, EchoMessage } from './echo-service';

export type CallKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';
export const CALL_KINDS: readonly CallKind[] = ['unary', 'serverStream', 'clientStream', 'bidi'];

export interface KindResult {
  /** Messages received (the unary response counts as one). */
  readonly messages: EchoMessage[];
  readonly status: grpc.StatusObject;
}

/**
 * Makes one call of `kind` sending `request` once (streaming requests: one message, then end)
 * and settles with the final status and the messages received. Never rejects.
 */
export function callKind(
  client: EchoClient,
  kind: CallKind,
  request: EchoMessage,
  options: { metadata?: grpc.Metadata; callOptions?: grpc.CallOptions } = {},
): Promise<KindResult> {
  const metadata = options.metadata ?? new grpc.Metadata();
  const callOptions = options.callOptions ?? {};
  return new Promise((resolve) => {
    const messages: EchoMessage[] = [];
    let status: grpc.StatusObject | undefined;
    let done = false;
    const settle = () => {
      if (done && status) resolve({ messages, status });
    };
    const onUnary = (_error: grpc.ServiceError | null, response?: EchoMessage) => {
      if (response) messages.push(response);
      done = true;
      settle();
    };
    let call: grpc.ClientUnaryCall | grpc.ClientReadableStream<EchoMessage> | grpc.ClientWritableStream<EchoMessage> | grpc.ClientDuplexStream<EchoMessage, EchoMessage>;
    if (kind === 'unary') {
      call = client.unary(request, metadata, callOptions, onUnary);
    } else if (kind === 'clientStream') {
      const writable = client.clientStream(metadata, callOptions, onUnary);
      writable.write(request);
      writable.end();
      call = writable;
    } else {
      const readable =
        kind === 'serverStream' ? client.serverStream(request, metadata, callOptions) : client.bidi(metadata, callOptions);
      if (kind === 'bidi') {
        (readable as grpc.ClientDuplexStream<EchoMessage, EchoMessage>).write(request);
        (readable as grpc.ClientDuplexStream<EchoMessage, EchoMessage>).end();
      }
      readable.on('data', (m: EchoMessage) => messages.push(m));
      readable.on('error', () => {
        done = true;
        settle();
      });
      readable.on('end', () => {
        done = true;
        settle();
      });
      call = readable;
    }
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      settle();
    });
  });
}

/** Server handlers for every call kind that answer with `answer(call)` (one message), after `delayMs`. */
export function answeringImpl(
  answer: (call: { getDeadline(): grpc.Deadline; metadata: grpc.Metadata }) => EchoMessage,
  delayMs = 0,
): grpc.UntypedServiceImplementation {
  // Timers are cleared when the call ends early (cancelled, deadline), so none outlive a test.
  const later = (call: { on(event: 'cancelled', fn: () => void): unknown }, fn: () => void) => {
    if (delayMs <= 0) return fn();
    const timer = setTimeout(fn, delayMs);
    call.on('cancelled', () => clearTimeout(timer));
  };
  return {
    unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) =>
      later(call, () => cb(null, answer(call))),
    serverStream: (call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) =>
      later(call, () => {
        call.write(answer(call));
        call.end();
      }),
    clientStream: (call: grpc.ServerReadableStream<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
      call.on('data', () => {});
      call.on('end', () => later(call, () => cb(null, answer(call))));
    },
    bidi: (call: grpc.ServerDuplexStream<EchoMessage, EchoMessage>) => {
      call.on('data', () => {});
      call.on('end', () =>
        later(call, () => {
          call.write(answer(call));
          call.end();
        }),
      );
    },
  };
}
