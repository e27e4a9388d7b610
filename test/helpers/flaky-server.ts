import * as grpc from '@grpc/grpc-js';
import type { EchoMessage } from './echo-service';
import { startEchoServer, type TestServer } from './server';

/** One answer of a flaky handler: OK, or a status with optional trailers. */
export interface FlakyAnswer {
  readonly code: grpc.status;
  /** Trailers sent with a failure (e.g. `grpc-retry-pushback-ms`). */
  readonly trailers?: Readonly<Record<string, string>>;
  /** Wait before answering (a call cancelled meanwhile is not answered). */
  readonly delayMs?: number;
  /** Never answer (the client's deadline or cancellation ends the call). */
  readonly hang?: boolean;
}

/** What the server saw of one attempt. */
export interface SeenAttempt {
  readonly method: string;
  /** `performance.now()` when the handler ran. */
  readonly at: number;
  /** The `grpc-previous-rpc-attempts` request header, if sent. */
  readonly previousAttempts: string | undefined;
  readonly traceparent: string | undefined;
  readonly request: EchoMessage | EchoMessage[];
}

export interface FlakyServer extends TestServer {
  /** Every attempt, in arrival order. */
  readonly seen: SeenAttempt[];
  /** Side effects of `Write` (incremented before it answers). */
  readonly sideEffects: { count: number };
  /** The answer for attempt n (0-based) of the server's lifetime; the last one repeats. */
  answers: FlakyAnswer[];
}

const OK: FlakyAnswer = { code: grpc.status.OK };

/**
 * A real echo server whose unary methods answer per the `answers` script, attempt by attempt,
 * recording what each attempt carried. `Write` counts a side effect before answering.
 */
export async function startFlakyServer(answers: FlakyAnswer[] = [OK]): Promise<FlakyServer> {
  const seen: SeenAttempt[] = [];
  const sideEffects = { count: 0 };
  const state = { answers };
  const record = (method: string, md: grpc.Metadata, request: EchoMessage | EchoMessage[]) => {
    const index = seen.length;
    seen.push({
      method,
      at: performance.now(),
      previousAttempts: md.get('grpc-previous-rpc-attempts')[0] as string | undefined,
      traceparent: md.get('traceparent')[0] as string | undefined,
      request,
    });
    return state.answers[Math.min(index, state.answers.length - 1)] ?? OK;
  };
  const answerUnary = (
    call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
    cb: grpc.sendUnaryData<EchoMessage>,
    answer: FlakyAnswer,
    response: EchoMessage,
  ) => {
    if (answer.hang) return;
    const send = () => {
      if (answer.code === grpc.status.OK) return cb(null, response);
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(answer.trailers ?? {})) metadata.set(k, v);
      cb({ code: answer.code, details: `flaky ${grpc.status[answer.code]}`, metadata });
    };
    if (!answer.delayMs) return send();
    const timer = setTimeout(send, answer.delayMs);
    call.on('cancelled', () => clearTimeout(timer));
  };
  const server = await startEchoServer({
    unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
      const answer = record('unary', call.metadata, call.request);
      answerUnary(call, cb, answer, { ...call.request, attempt: seen.length });
    },
    write: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
      const answer = record('write', call.metadata, call.request);
      sideEffects.count++;
      answerUnary(call, cb, answer, { ...call.request, written: sideEffects.count });
    },
  });
  const flaky = Object.assign(server, { seen, sideEffects });
  Object.defineProperty(flaky, 'answers', {
    get: () => state.answers,
    set: (value: FlakyAnswer[]) => (state.answers = value),
    enumerable: true,
  });
  return flaky as FlakyServer;
}
