import * as grpc from '@grpc/grpc-js';
import type { EchoMessage } from './echo-service';
import { startEchoServer, type TestServer } from './server';

/** What the scripted server answers: OK (echoing the request) or a status code, after an optional delay. */
export interface Script {
  code: grpc.status;
  delayMs?: number;
  /** Server-streaming and bidi: messages written before the final status. */
  messagesBeforeStatus?: number;
}

export interface ScriptedServer extends TestServer {
  /** Change the answer of later calls. */
  script: Script;
  /** Calls the handlers saw, per call kind. */
  readonly calls: { unary: number; serverStream: number; clientStream: number; bidi: number };
  /** All calls the handlers saw. */
  total(): number;
}

/** A real echo server on 127.0.0.1 answering every call kind per a mutable script, counting calls. */
export async function startScriptedServer(initial: Script = { code: grpc.status.OK }): Promise<ScriptedServer> {
  const calls = { unary: 0, serverStream: 0, clientStream: 0, bidi: 0 };
  const state = { script: initial };
  type Cancellable = { on(event: 'cancelled', fn: () => void): unknown };
  const later = (call: Cancellable, fn: () => void) => {
    const delay = state.script.delayMs ?? 0;
    if (delay <= 0) return fn();
    const timer = setTimeout(fn, delay);
    call.on('cancelled', () => clearTimeout(timer));
  };
  const failure = (): Partial<grpc.StatusObject> => ({ code: state.script.code, details: `scripted ${state.script.code}` });
  const unaryAnswer = (request: EchoMessage, cb: grpc.sendUnaryData<EchoMessage>) =>
    state.script.code === grpc.status.OK ? cb(null, { ...request, served: true }) : cb(failure() as grpc.ServiceError);
  const streamAnswer = (call: grpc.ServerWritableStream<EchoMessage, EchoMessage> | grpc.ServerDuplexStream<EchoMessage, EchoMessage>, request: EchoMessage) => {
    const script = state.script;
    for (let i = 0; i < (script.messagesBeforeStatus ?? (script.code === grpc.status.OK ? 1 : 0)); i++) call.write({ ...request, index: i });
    if (script.code === grpc.status.OK) call.end();
    else call.emit('error', failure());
  };
  const server = await startEchoServer({
    unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
      calls.unary++;
      later(call, () => unaryAnswer(call.request, cb));
    },
    serverStream: (call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) => {
      calls.serverStream++;
      later(call, () => streamAnswer(call, call.request));
    },
    clientStream: (call: grpc.ServerReadableStream<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
      calls.clientStream++;
      let last: EchoMessage = {};
      call.on('data', (m: EchoMessage) => (last = m));
      call.on('end', () => later(call, () => unaryAnswer(last, cb)));
    },
    bidi: (call: grpc.ServerDuplexStream<EchoMessage, EchoMessage>) => {
      calls.bidi++;
      let last: EchoMessage = {};
      call.on('data', (m: EchoMessage) => (last = m));
      call.on('end', () => later(call, () => streamAnswer(call, last)));
    },
  });
  const scripted = Object.assign(server, { calls, total: () => calls.unary + calls.serverStream + calls.clientStream + calls.bidi });
  // An accessor (Object.assign would copy a getter's value, not the accessor).
  Object.defineProperty(scripted, 'script', {
    get: () => state.script,
    set: (value: Script) => (state.script = value),
    enumerable: true,
  });
  return scripted as ScriptedServer;
}

/** Calls a channel has open (grpc-js internals; a leaked call keeps the channel from going idle). */
export function activeChannelCalls(client: grpc.Client): number {
  return (client.getChannel() as unknown as { internalChannel: { callCount: number } }).internalChannel.callCount;
}
