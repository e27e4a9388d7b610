import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCallContext, runDetached, runWithCallContext, ServerCallState } from '../../src/context';
import { deadlineClientInterceptor, MAX_TIMEOUT_MS, type DeadlineClientOptions } from '../../src/deadline';
import { withResilience } from '../../src/options/call-options';
import { traceClientInterceptor } from '../../src/trace/client-interceptor';
import { localFailureKind } from '../../src/status';
import type { ResilienceEvent } from '../../src/telemetry';
import { ECHO_PATHS, echoClient, sleep, startEchoServer, type EchoClient, type TestServer } from '../helpers';
import { answeringImpl, CALL_KINDS, callKind } from '../helpers/call-kinds';

/** Records the options each call reaches the next interceptor with (placed after the deadline interceptor). */
function recorder(seen: grpc.InterceptorOptions[]): grpc.Interceptor {
  return (options, nextCall) => {
    seen.push(options);
    return new grpc.InterceptingCall(nextCall(options));
  };
}

const asMs = (d: grpc.Deadline | undefined): number | undefined => (d === undefined ? undefined : +d);

describe('deadline client interceptor (real server)', () => {
  let server: TestServer;
  let received = 0;
  const clients: grpc.Client[] = [];

  /** A client with the deadline interceptor followed by a recorder. */
  function client(options: DeadlineClientOptions, seen: grpc.InterceptorOptions[] = [], channel: grpc.ClientOptions = {}): EchoClient {
    const c = echoClient(server.address, { ...channel, interceptors: [deadlineClientInterceptor(options), recorder(seen)] });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    // Answers with the deadline the server saw (epoch ms; null when none).
    server = await startEchoServer(
      answeringImpl((call) => {
        const d = +call.getDeadline();
        return { deadline: Number.isFinite(d) ? d : null };
      }),
      {
        interceptors: [
          (_m, call) => {
            received++;
            return new grpc.ServerInterceptingCall(call);
          },
        ],
      },
    );
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  describe('the deadline a call gets (injected clock)', () => {
    let T = 0;
    const now = () => T;
    beforeEach(() => {
      T = Date.now();
    });

    it('applies the default timeout when the caller set none and there is no context', async () => {
      const seen: grpc.InterceptorOptions[] = [];
      const c = client({ defaultTimeoutMs: 2000, now }, seen);
      for (const kind of CALL_KINDS) {
        const { status } = await callKind(c, kind, {});
        expect(status.code).toBe(grpc.status.OK);
      }
      expect(seen.map((o) => asMs(o.deadline))).toEqual([T + 2000, T + 2000, T + 2000, T + 2000]);
    });

    it('applies a per-method and per-service default', async () => {
      const seen: grpc.InterceptorOptions[] = [];
      const c = client(
        {
          defaultTimeoutMs: 2000,
          now,
          methods: { 'test.v1.EchoService': { defaultTimeoutMs: 3000 }, [ECHO_PATHS.unary]: { defaultTimeoutMs: 10_000 } },
        },
        seen,
      );
      await callKind(c, 'unary', {});
      await callKind(c, 'serverStream', {});
      expect(seen.map((o) => asMs(o.deadline))).toEqual([T + 10_000, T + 3000]);
    });

    it("lets the caller's shorter deadline win, and the caller's longer deadline stand over the default", async () => {
      const seen: grpc.InterceptorOptions[] = [];
      const c = client({ defaultTimeoutMs: 2000, now }, seen);
      const shorter = new Date(T + 500);
      await callKind(c, 'unary', {}, { callOptions: { deadline: shorter } });
      await callKind(c, 'unary', {}, { callOptions: { deadline: T + 9000 } });
      expect(seen[0].deadline).toBe(shorter); // passed through untouched
      expect(asMs(seen[1].deadline)).toBe(T + 9000);
    });

    it('inherits the context deadline minus the margin, the earlier of it and the caller', async () => {
      const seen: grpc.InterceptorOptions[] = [];
      const c = client({ defaultTimeoutMs: 60_000, marginMs: 25, now }, seen);
      const ctx = createCallContext({ deadline: T + 1000 });
      await runWithCallContext(ctx, () => callKind(c, 'unary', {}));
      await runWithCallContext(ctx, () => callKind(c, 'bidi', {}, { callOptions: { deadline: T + 400 } }));
      await runWithCallContext(ctx, () => callKind(c, 'clientStream', {}, { callOptions: { deadline: T + 5000 } }));
      expect(seen.map((o) => asMs(o.deadline))).toEqual([T + 975, T + 400, T + 975]);
    });

    it('does not inherit inside runDetached (the default applies instead)', async () => {
      const seen: grpc.InterceptorOptions[] = [];
      const c = client({ defaultTimeoutMs: 3000, now }, seen);
      await runWithCallContext(createCallContext({ deadline: T + 1000 }), () => runDetached(() => callKind(c, 'unary', {})));
      expect(asMs(seen[0].deadline)).toBe(T + 3000);
    });

    it('clamps a deadline beyond 24 days, so a grpc-js server accepts the call', async () => {
      const seen: grpc.InterceptorOptions[] = [];
      const c = client({}, seen);
      const { status, messages } = await callKind(c, 'unary', {}, { callOptions: { deadline: Date.now() + 30 * 86_400_000 } });
      expect(status.code).toBe(grpc.status.OK);
      const sent = asMs(seen[0].deadline)! - Date.now();
      expect(sent).toBeLessThanOrEqual(MAX_TIMEOUT_MS);
      expect(sent).toBeGreaterThan(MAX_TIMEOUT_MS - 5000);
      expect(messages[0].deadline as number).toBeGreaterThan(Date.now() + MAX_TIMEOUT_MS - 5000);
    });

    it('without the clamp a 30-day deadline wraps around on a grpc-js server (the reason for the clamp)', async () => {
      const raw = echoClient(server.address);
      clients.push(raw);
      const { status, messages } = await callKind(raw, 'unary', {}, { callOptions: { deadline: Date.now() + 30 * 86_400_000 } });
      // The server computes the timeout in 32 bits: its deadline lands in the past and its timer
      // fails the call at once, unless (as here) the handler answers in the same tick.
      if (status.code === grpc.status.OK) expect(messages[0].deadline as number).toBeLessThan(Date.now());
      else expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    });
  });

  describe('per-call settings through call options (all four call types)', () => {
    let T = 0;
    const now = () => T;
    beforeEach(() => {
      T = Date.now();
    });

    for (const kind of CALL_KINDS) {
      it(`${kind}: withResilience overrides the method policy for one call`, async () => {
        const seen: grpc.InterceptorOptions[] = [];
        const c = client({ defaultTimeoutMs: 2000, marginMs: 10, now }, seen);
        const ctx = createCallContext({ deadline: T + 1000 });
        await runWithCallContext(ctx, async () => {
          await callKind(c, kind, {}, { callOptions: withResilience({}, { deadline: { propagateDeadline: false } }) });
          await callKind(c, kind, {}, { callOptions: withResilience({}, { deadline: { marginMs: 100 } }) });
          await callKind(c, kind, {}, { callOptions: withResilience({ deadline: T + 50 }, { deadline: { minBudgetMs: 0 } }) });
        });
        expect(seen.map((o) => asMs(o.deadline))).toEqual([T + 2000, T + 900, T + 50]);
      });
    }
  });

  describe('fail fast: too little time left', () => {
    for (const kind of CALL_KINDS) {
      it(`${kind}: fails locally with DEADLINE_EXCEEDED, nothing reaches the server`, async () => {
        const events: ResilienceEvent[] = [];
        const seen: grpc.InterceptorOptions[] = [];
        const c = client({ marginMs: 10, minBudgetMs: 5, onEvent: (e) => events.push(e) }, seen);
        const before = received;
        const ctx = createCallContext({ traceId: 'ab'.repeat(16), timeoutMs: 12 }); // 12 - 10 = 2 ms ≤ 5
        const { status, messages } = await runWithCallContext(ctx, () => callKind(c, kind, { text: 'x' }));
        expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
        expect(status.details).toMatch(/not sent/);
        expect(status.details).toMatch(/deadline of the incoming call minus a 10 ms margin/);
        expect(localFailureKind(status.metadata)).toBe('deadline');
        expect(messages).toEqual([]);
        expect(seen).toHaveLength(0); // no inner call was created
        expect(received).toBe(before);
        expect(events).toEqual([
          expect.objectContaining({ type: 'deadline-fail-fast', method: ECHO_PATHS[kind], traceId: 'ab'.repeat(16) }),
        ]);
      });
    }

    it("explains a caller's own deadline that is too close", async () => {
      const c = client({});
      const { status } = await callKind(c, 'unary', {}, { callOptions: { deadline: Date.now() - 1 } });
      expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(status.details).toMatch(/0 ms left until the caller's deadline/);
    });

    it('delivers the status asynchronously, after the caller attached its listeners', async () => {
      const c = client({});
      let sync = true;
      const settled = new Promise<number>((resolve) => {
        const call = c.unary({}, new grpc.Metadata(), { deadline: Date.now() - 1 }, () => {});
        call.on('status', (s: grpc.StatusObject) => resolve(sync ? -1 : s.code));
      });
      sync = false;
      expect(await settled).toBe(grpc.status.DEADLINE_EXCEEDED);
    });

    it('composes under the trace interceptor: the local failure carries the trace id', async () => {
      const c = echoClient(server.address, { interceptors: [traceClientInterceptor(), deadlineClientInterceptor()] });
      clients.push(c);
      const ctx = createCallContext({ traceId: 'cd'.repeat(16), timeoutMs: 0 });
      const { status } = await runWithCallContext(ctx, () => callKind(c, 'bidi', {}));
      expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(status.metadata.get('x-trace-id')).toEqual(['cd'.repeat(16)]);
      expect(localFailureKind(status.metadata)).toBe('deadline');
    });

    it('a caller cancelling before the local failure is delivered gets CANCELLED, like a real call', async () => {
      const c = client({});
      const settled = new Promise<grpc.StatusObject>((resolve) => {
        const call = c.unary({}, new grpc.Metadata(), { deadline: Date.now() - 1 }, () => {});
        call.on('status', resolve);
        call.cancel();
      });
      expect((await settled).code).toBe(grpc.status.CANCELLED);
    });

    it('never touches the network: a fresh channel stays IDLE', async () => {
      const c = client({});
      const ctx = createCallContext({ timeoutMs: 0 });
      const { status } = await runWithCallContext(ctx, () => callKind(c, 'unary', {}));
      expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await sleep(50);
      expect(c.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.IDLE);
    });

    it('leaves no call behind: the channel goes idle (and a leaking short-circuit would not)', async () => {
      const idle = { 'grpc.client_idle_timeout_ms': 1000 };
      const ours = client({}, [], idle);
      // Control: a short-circuit that creates the inner call and abandons it, as grpc-js pitfall P7 describes.
      const leaking = echoClient(server.address, {
        ...idle,
        interceptors: [
          (options, nextCall) => {
            if (options.deadline === undefined) return new grpc.InterceptingCall(nextCall(options));
            nextCall({ ...options, deadline: undefined });
            return new grpc.InterceptingCall({
              start: (_md: grpc.Metadata, l: grpc.InterceptingListener) =>
                setImmediate(() => l.onReceiveStatus({ code: 4, details: 'x', metadata: new grpc.Metadata() })),
              cancelWithStatus: () => {},
              getPeer: () => '',
              sendMessage: () => {},
              sendMessageWithContext: () => {},
              startRead: () => {},
              halfClose: () => {},
              getAuthContext: () => null,
            });
          },
        ],
      });
      clients.push(leaking);
      for (const c of [ours, leaking]) {
        expect((await callKind(c, 'unary', {})).status.code).toBe(grpc.status.OK); // connects: READY
        for (const kind of CALL_KINDS) {
          expect((await callKind(c, kind, {}, { callOptions: { deadline: Date.now() - 5 } })).status.code).toBe(
            grpc.status.DEADLINE_EXCEEDED,
          );
        }
      }
      const deadline = Date.now() + 4000;
      while (ours.getChannel().getConnectivityState(false) !== grpc.connectivityState.IDLE && Date.now() < deadline) {
        await sleep(100);
      }
      expect(ours.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.IDLE);
      expect(leaking.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.READY);
    });
  });

  describe('cancellation linked to the call context', () => {
    it('cancels in-flight calls of every kind when the context is cancelled, and unlinks finished ones', async () => {
      const slow = await startEchoServer(answeringImpl(() => ({}), 5000));
      const c = echoClient(slow.address, { interceptors: [deadlineClientInterceptor()] });
      try {
        const ctx = createCallContext() as ServerCallState;
        const pending = runWithCallContext(ctx, () => CALL_KINDS.map((kind) => callKind(c, kind, {})));
        await sleep(100);
        ctx.cancel('cancelled');
        const results = await Promise.all(pending);
        for (const r of results) {
          expect(r.status.code).toBe(grpc.status.CANCELLED);
          expect(r.status.details).toMatch(/incoming call was cancelled/);
        }
      } finally {
        c.close();
        await slow.close();
      }
    });

    it('unsubscribes when the call ends (no listener kept per finished call)', async () => {
      const c = client({});
      const ctx = createCallContext() as ServerCallState;
      await runWithCallContext(ctx, async () => {
        for (const kind of CALL_KINDS) await callKind(c, kind, {});
      });
      const listeners = (ctx as unknown as { listeners?: Set<unknown> }).listeners;
      expect(listeners?.size ?? 0).toBe(0);
      expect(listeners).toBeDefined(); // the calls did link
    });

    it('fails a call started after the context was cancelled, without sending it', async () => {
      const c = client({});
      const before = received;
      const ctx = createCallContext({ timeoutMs: 60_000 }) as ServerCallState;
      ctx.cancel('cancelled');
      const { status } = await runWithCallContext(ctx, () => callKind(c, 'unary', {}));
      expect(status.code).toBe(grpc.status.CANCELLED);
      expect(status.details).toMatch(/not sent/);
      expect(received).toBe(before);
    });

    it('treats calls after a normal finish as background work: no deadline, no cancellation inherited', async () => {
      const seen: grpc.InterceptorOptions[] = [];
      const c = client({}, seen);
      const ctx = createCallContext({ timeoutMs: 30 }) as ServerCallState;
      ctx.finish();
      await sleep(40); // the inherited deadline would have passed
      const { status } = await runWithCallContext(ctx, () => callKind(c, 'unary', {}));
      expect(status.code).toBe(grpc.status.OK);
      expect(seen[0].deadline).toBeUndefined();
    });

    it('propagateCancellation: false keeps the call running when the context is cancelled', async () => {
      const c = client({ propagateCancellation: false });
      const ctx = createCallContext() as ServerCallState;
      const pending = runWithCallContext(ctx, () => callKind(c, 'unary', {}));
      ctx.cancel('cancelled');
      expect((await pending).status.code).toBe(grpc.status.OK);
    });
  });

  it('rejects invalid options at construction, naming them', () => {
    expect(() => deadlineClientInterceptor({ minBudgetMs: -1 })).toThrow(/deadline\.minBudgetMs/);
    expect(() => deadlineClientInterceptor({ timeoutMs: 5 } as never)).toThrow(/deadline: unknown option "timeoutMs"/);
    expect(() => deadlineClientInterceptor({ onEvent: 5 } as never)).toThrow(/deadline\.onEvent must be a function/);
  });
});
