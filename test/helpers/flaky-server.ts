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
  /** Server streaming: messages written (the first after `delayMs`) before the status; default 1 for OK, else 0. */
  readonly messages?: number;
  /** Server streaming: the wait between two messages. */
  readonly gapMs?: number;
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
  /** The client cancelled the attempt before the server answered it (the server saw CANCELLED). */
  cancelled: boolean;
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
    const attempt: SeenAttempt = {
      method,
      at: performance.now(),
      previousAttempts: md.get('grpc-previous-rpc-attempts')[0] as string | undefined,
      traceparent: md.get('traceparent')[0] as string | undefined,
      request,
      cancelled: false,
    };
    seen.push(attempt);
    return { answer: state.answers[Math.min(index, state.answers.length - 1)] ?? OK, attempt };
  };
  /** Marks the attempt cancelled when the call ends before `answered` says the server answered. */
  const watch = (call: { on(event: 'cancelled', fn: () => void): unknown }, attempt: SeenAttempt) => {
    const state = { answered: false };
    call.on('cancelled', () => {
      if (!state.answered) attempt.cancelled = true;
    });
    return state;
  };
  const failure = (answer: FlakyAnswer): grpc.ServiceError => {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(answer.trailers ?? {})) metadata.set(k, v);
    return { code: answer.code, details: `flaky ${grpc.status[answer.code]}`, metadata } as grpc.ServiceError;
  };
  /** Runs `fn` after `ms` unless the call is cancelled first. */
  const after = (call: { on(event: 'cancelled', fn: () => void): unknown }, ms: number | undefined, fn: () => void) => {
    if (!ms) return fn();
    const timer = setTimeout(fn, ms);
    call.on('cancelled', () => clearTimeout(timer));
  };
  const answerUnary = (
    call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
    cb: grpc.sendUnaryData<EchoMessage>,
    { answer, attempt }: { answer: FlakyAnswer; attempt: SeenAttempt },
    response: EchoMessage,
  ) => {
    const watched = watch(call, attempt);
    if (answer.hang) return;
    after(call, answer.delayMs, () => {
      watched.answered = true;
      if (answer.code === grpc.status.OK) cb(null, response);
      else cb(failure(answer));
    });
  };
  const answerStream = (call: grpc.ServerWritableStream<EchoMessage, EchoMessage>, { answer, attempt }: { answer: FlakyAnswer; attempt: SeenAttempt }) => {
    const watched = watch(call, attempt);
    if (answer.hang) return;
    let left = answer.messages ?? (answer.code === grpc.status.OK ? 1 : 0);
    const next = () => {
      if (left > 0) {
        left--;
        call.write({ ...call.request, attempt: seen.indexOf(attempt) + 1, left });
        return after(call, answer.gapMs, next);
      }
      watched.answered = true;
      if (answer.code === grpc.status.OK) call.end();
      else call.emit('error', failure(answer));
    };
    after(call, answer.delayMs, next);
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
    serverStream: (call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) => {
      answerStream(call, record('serverStream', call.metadata, call.request));
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
