import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientInterceptors,
  createCallContext,
  currentCallContext,
  parseTraceParent,
  runWithCallContext,
  serverInterceptors,
} from '../../src';
import { collectStream, echoClient, sleep, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';

/** What hop C saw: the trace id in the context and the one on the wire. */
interface Seen {
  context?: string;
  wire?: string;
}

function seenByC(call: { metadata: grpc.Metadata }): Seen {
  return {
    context: currentCallContext()?.traceId,
    wire: parseTraceParent(call.metadata.get('traceparent')[0])?.traceId,
  };
}

describe('trace ids across A → B → C (all four call types)', () => {
  let c: TestServer;
  let b: TestServer;
  let bToC: EchoClient;
  let a: EchoClient;

  /** B asks C for the trace id it sees; the result travels back to A as JSON. */
  const askC = (): Promise<Seen> =>
    unary(bToC, {}).then(({ response, error }) => {
      if (error) throw error;
      return response as Seen;
    });

  beforeAll(async () => {
    c = await startEchoServer(
      { unary: (call: grpc.ServerUnaryCall<EchoMessage, Seen>, cb: grpc.sendUnaryData<Seen>) => cb(null, seenByC(call)) },
      { interceptors: serverInterceptors() },
    );
    bToC = echoClient(c.address, { interceptors: clientInterceptors() });
    b = await startEchoServer(
      {
        // Unary: after awaits.
        unary: async (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
          await sleep(5);
          await Promise.resolve();
          const fromC = await askC();
          cb(null, { b: currentCallContext()?.traceId, c: fromC });
        },
        // Server streaming: one message before and one after an outgoing call.
        serverStream: async (call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) => {
          call.write({ b: currentCallContext()?.traceId });
          await sleep(5);
          call.write({ c: await askC() });
          call.end();
        },
        // Client streaming: the outgoing call is made inside a 'data' callback.
        clientStream: (call: grpc.ServerReadableStream<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
          const pending: Array<Promise<Seen>> = [];
          call.on('data', () => pending.push(askC()));
          call.on('end', () => {
            void Promise.all(pending).then((seen) => cb(null, { b: currentCallContext()?.traceId, c: seen }));
          });
        },
        // Bidi: every incoming message triggers an outgoing call, answered in order.
        bidi: (call: grpc.ServerDuplexStream<EchoMessage, EchoMessage>) => {
          let chain = Promise.resolve();
          call.on('data', () => {
            const seen = askC();
            chain = chain.then(async () => {
              call.write({ b: currentCallContext()?.traceId, c: await seen });
            });
          });
          call.on('end', () => void chain.then(() => call.end()));
        },
      },
      { interceptors: serverInterceptors() },
    );
    a = echoClient(b.address, { interceptors: clientInterceptors() });
  });

  afterAll(async () => {
    a.close();
    bToC.close();
    await b.close();
    await c.close();
  });

  /** Runs `fn` as A inside a context with a known trace id. */
  function asA<T>(fn: () => Promise<T>): { traceId: string; result: Promise<T> } {
    const ctx = createCallContext({ method: 'test' });
    return { traceId: ctx.traceId, result: runWithCallContext(ctx, fn) };
  }

  const expectChain = (traceId: string, hop: Record<string, unknown>) => {
    expect(hop.b).toBe(traceId);
    const cs = Array.isArray(hop.c) ? (hop.c as Seen[]) : [hop.c as Seen];
    expect(cs.length).toBeGreaterThan(0);
    for (const seen of cs) expect(seen).toEqual({ context: traceId, wire: traceId });
  };

  it('unary', async () => {
    const { traceId, result } = asA(() => unary(a, {}));
    const { response, error } = await result;
    expect(error).toBeUndefined();
    expectChain(traceId, response as EchoMessage);
  });

  it('server streaming', async () => {
    const { traceId, result } = asA(() => collectStream(a.serverStream({})));
    const { messages, error } = await result;
    expect(error).toBeUndefined();
    expectChain(traceId, { b: messages[0].b, c: messages[1].c });
  });

  it('client streaming, calls made in data callbacks', async () => {
    const { traceId, result } = asA(
      () =>
        new Promise<EchoMessage>((resolve, reject) => {
          const call = a.clientStream((err: grpc.ServiceError | null, res: EchoMessage) => (err ? reject(err) : resolve(res)));
          for (let i = 0; i < 3; i++) call.write({ count: i });
          call.end();
        }),
    );
    const response = await result;
    expect((response.c as Seen[]).length).toBe(3);
    expectChain(traceId, response);
  });

  it('bidi, calls made in data callbacks', async () => {
    const { traceId, result } = asA(async () => {
      const call = a.bidi();
      const done = collectStream(call);
      for (let i = 0; i < 3; i++) call.write({ count: i });
      call.end();
      return done;
    });
    const { messages, error } = await result;
    expect(error).toBeUndefined();
    expect(messages).toHaveLength(3);
    for (const m of messages) expectChain(traceId, m);
  });

  it('50 concurrent calls of each type never mix contexts', async () => {
    const runs = Array.from({ length: 50 }, (_, i) => {
      const kind = i % 4;
      return asA(async (): Promise<EchoMessage[]> => {
        if (kind === 0) return [(await unary(a, {})).response as EchoMessage];
        if (kind === 1) {
          const { messages } = await collectStream(a.serverStream({}));
          return [{ b: messages[0].b, c: messages[1].c }];
        }
        if (kind === 2) {
          return [
            await new Promise<EchoMessage>((resolve, reject) => {
              const call = a.clientStream((err: grpc.ServiceError | null, res: EchoMessage) => (err ? reject(err) : resolve(res)));
              call.write({});
              call.write({});
              call.end();
            }),
          ];
        }
        const call = a.bidi();
        const done = collectStream(call);
        call.write({});
        call.write({});
        call.end();
        return (await done).messages;
      });
    });
    const ids = new Set(runs.map((r) => r.traceId));
    expect(ids.size).toBe(50);
    for (const run of runs) for (const hop of await run.result) expectChain(run.traceId, hop);
  });

  it('a call made outside any context starts a fresh trace that continues downstream', async () => {
    const { response, error } = await unary(a, {});
    expect(error).toBeUndefined();
    const hop = response as EchoMessage;
    expect(hop.b).toMatch(/^[0-9a-f]{32}$/);
    expectChain(hop.b as string, hop);
  });
});
