import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { breakerClientInterceptor, type BreakerInterceptor } from '../../src/breaker';
import { DEGRADED_KEY, fallbackClientInterceptor, isDegraded, type FallbackContext, type FallbackMap } from '../../src/fallback';
import { createCallContext, currentCallContext, runWithCallContext, type CallContext } from '../../src/context';
import { localFailureKind, localFailureStatus } from '../../src/status';
import type { FallbackEvent, ResilienceEvent } from '../../src/telemetry';
import { callKind } from '../helpers/call-kinds';
import { closeAll, collectStream, echoClient, ECHO_PATHS, sleep, unary, type EchoClient, type EchoMessage } from '../helpers';
import { startScriptedServer, type Script, type ScriptedServer } from '../helpers/scripted-server';

const { OK, UNAVAILABLE, NOT_FOUND, INTERNAL, CANCELLED } = grpc.status;

let server: ScriptedServer | undefined;
let client: EchoClient | undefined;
let breaker: BreakerInterceptor | undefined;

afterEach(async () => {
  await closeAll(client, breaker, server);
  client = breaker = server = undefined;
});

async function setup(fallbacks: FallbackMap, script: Script, withBreaker = false) {
  const events: ResilienceEvent[] = [];
  const onEvent = (e: ResilienceEvent) => events.push(e);
  server = await startScriptedServer(script);
  const interceptors: grpc.Interceptor[] = [fallbackClientInterceptor(fallbacks, { onEvent })];
  if (withBreaker) {
    breaker = breakerClientInterceptor({ onEvent, volumeThreshold: 2, resetTimeoutMs: 60_000 });
    interceptors.push(breaker);
  }
  client = echoClient(server.address, { interceptors });
  const fallbackEvents = () => events.filter((e): e is FallbackEvent => e.type === 'fallback');
  return { server, client, events, fallbackEvents };
}

describe('fallbackClientInterceptor with a real server', () => {
  it('answers a server fault with the fallback response, and the caller can tell it is degraded', async () => {
    const seen: Array<{ request: unknown; code: number; ctx: FallbackContext }> = [];
    const { client, fallbackEvents } = await setup(
      {
        [ECHO_PATHS.unary]: (request: EchoMessage, error, ctx) => {
          seen.push({ request, code: error.code, ctx });
          return { id: request.id, text: 'from cache' };
        },
      },
      { code: UNAVAILABLE },
    );
    const metadata = new grpc.Metadata();
    metadata.set('tenant', 'acme');
    const result = await unary(client, { id: 'u1' }, { metadata });
    expect(result.error).toBeUndefined();
    expect(result.response).toEqual({ id: 'u1', text: 'from cache' });
    // Observable by the application: the call's 'status' event carries the flag in its metadata.
    expect(result.status.code).toBe(OK);
    expect(result.status.metadata.get(DEGRADED_KEY)).toEqual(['fallback']);
    expect(isDegraded(result.status)).toBe(true);
    expect(result.status.metadata.get('grpc-status-details-bin')).toEqual([]);

    expect(seen).toHaveLength(1);
    expect(seen[0].request).toEqual({ id: 'u1' });
    expect(seen[0].code).toBe(UNAVAILABLE);
    expect(seen[0].ctx).toMatchObject({ method: ECHO_PATHS.unary, reason: 'server-fault', key: `${seen[0].ctx.target}${ECHO_PATHS.unary}` });
    expect(seen[0].ctx.requestMetadata.get('tenant')).toEqual(['acme']);
    expect(fallbackEvents()).toEqual([
      expect.objectContaining({ type: 'fallback', method: ECHO_PATHS.unary, code: UNAVAILABLE, succeeded: true, reason: 'server-fault' }),
    ]);
  });

  it('leaves successful calls and client faults alone', async () => {
    let runs = 0;
    const { server, client } = await setup({ [ECHO_PATHS.unary]: () => (runs++, { text: 'fallback' }) }, { code: OK });
    const ok = await unary(client, { id: 'a' });
    expect(ok.response).toEqual({ id: 'a', served: true });
    expect(isDegraded(ok.status)).toBe(false);
    server.script = { code: NOT_FOUND };
    const notFound = await unary(client, { id: 'b' });
    expect(notFound.error?.code).toBe(NOT_FOUND);
    expect(runs).toBe(0);
  });

  it('answers calls the breaker refuses, without any traffic', async () => {
    const { server, client, fallbackEvents } = await setup(
      { [ECHO_PATHS.unary]: (_req, _err, ctx) => ({ text: `fallback (${ctx.reason})` }) },
      { code: UNAVAILABLE },
      true,
    );
    await unary(client, {});
    await unary(client, {});
    await sleep(5);
    expect(server.calls.unary).toBe(2);
    const refused = await unary(client, {});
    expect(refused.response).toEqual({ text: 'fallback (breaker-open)' });
    expect(isDegraded(refused.status)).toBe(true);
    expect(localFailureKind(refused.status.metadata)).toBeUndefined(); // the marker is not passed on
    expect(server.calls.unary).toBe(2);
    expect(fallbackEvents().map((e) => e.reason)).toEqual(['server-fault', 'server-fault', 'breaker-open']);
    expect(fallbackEvents()[2].key).toBe(breaker!.registry.snapshot()[0].key);
  });

  it('keeps the original error when the fallback throws, rejects or declines', async () => {
    const boom = new Error('cache down');
    let mode: 'throw' | 'reject' | 'decline' = 'throw';
    const { client, fallbackEvents } = await setup(
      {
        [ECHO_PATHS.unary]: () => {
          if (mode === 'throw') throw boom;
          if (mode === 'reject') return Promise.reject(boom);
          return undefined;
        },
      },
      { code: INTERNAL },
    );
    for (const m of ['throw', 'reject', 'decline'] as const) {
      mode = m;
      const r = await unary(client, {});
      expect(r.error?.code).toBe(INTERNAL);
      expect(r.error?.details).toBe(`scripted ${INTERNAL}`);
      expect(isDegraded(r.status)).toBe(false);
    }
    expect(fallbackEvents().map((e) => [e.succeeded, e.error])).toEqual([
      [false, boom],
      [false, boom],
      [false, undefined],
    ]);
  });

  it('waits for an async fallback', async () => {
    const { client } = await setup(
      { [ECHO_PATHS.unary]: async (req: EchoMessage) => (await sleep(20), { id: req.id, text: 'slow cache' }) },
      { code: UNAVAILABLE },
    );
    const r = await unary(client, { id: 'z' });
    expect(r.response).toEqual({ id: 'z', text: 'slow cache' });
    expect(isDegraded(r.status)).toBe(true);
  });

  it('runs the fallback in the caller’s call context', async () => {
    let seen: CallContext | undefined;
    const { client } = await setup(
      {
        [ECHO_PATHS.unary]: async () => {
          await sleep(1);
          seen = currentCallContext();
          return { text: 'ctx' };
        },
      },
      { code: UNAVAILABLE },
    );
    const ctx = createCallContext({ method: 'job' });
    const r = await runWithCallContext(ctx, () => unary(client, {}));
    expect(r.response).toEqual({ text: 'ctx' });
    expect(seen?.traceId).toBe(ctx.traceId);
  });

  it('reports CANCELLED when the caller cancels while the fallback is working', async () => {
    const { client } = await setup({ [ECHO_PATHS.unary]: () => sleep(100).then(() => ({ text: 'late' })) }, { code: UNAVAILABLE });
    const outcome = await new Promise<{ code: number; status: grpc.StatusObject }>((resolve) => {
      let code = -1;
      const call = client.unary({}, new grpc.Metadata(), {}, (err: grpc.ServiceError | null) => (code = err ? err.code : OK));
      call.on('status', (status: grpc.StatusObject) => resolve({ code, status }));
      setTimeout(() => call.cancel(), 40);
    });
    expect(outcome.code).toBe(CANCELLED);
    expect(isDegraded(outcome.status)).toBe(false);
  });

  it('answers a call a lower interceptor failed locally for lack of time (reason "deadline")', async () => {
    // Stands in for the deadline interceptor: fails the call locally, releasing the inner call.
    const noTimeLeft: grpc.Interceptor = (options, nextCall) => {
      const inner = nextCall(options);
      inner.cancelWithStatus(CANCELLED, 'not sent');
      return new grpc.InterceptingCall(inner, {
        start: (_md, listener) =>
          process.nextTick(() => listener.onReceiveStatus(localFailureStatus(grpc.status.DEADLINE_EXCEEDED, 'no time left', 'deadline'))),
        sendMessage: () => {},
        halfClose: () => {},
      });
    };
    const reasons: string[] = [];
    server = await startScriptedServer({ code: OK });
    client = echoClient(server.address, {
      interceptors: [fallbackClientInterceptor({ [ECHO_PATHS.unary]: (_r, _e, ctx) => (reasons.push(ctx.reason), { text: 'cached' }) }), noTimeLeft],
    });
    const r = await unary(client, {});
    expect(r.response).toEqual({ text: 'cached' });
    expect(isDegraded(r.status)).toBe(true);
    expect(reasons).toEqual(['deadline']);
    expect(server.calls.unary).toBe(0);
  });

  describe('server-streaming', () => {
    it('streams the fallback messages (array or async iterable) when the stream failed before any message', async () => {
      let asyncMode = false;
      const { client } = await setup(
        {
          [ECHO_PATHS.serverStream]: (req: EchoMessage) => {
            const messages = [{ id: req.id, index: 0 }, { id: req.id, index: 1 }];
            if (!asyncMode) return messages;
            return (async function* () {
              for (const m of messages) {
                await sleep(1);
                yield m;
              }
            })();
          },
        },
        { code: UNAVAILABLE },
      );
      for (const mode of [false, true]) {
        asyncMode = mode;
        const r = await collectStream(client.serverStream({ id: 's' }));
        expect(r.error).toBeUndefined();
        expect(r.messages).toEqual([{ id: 's', index: 0 }, { id: 's', index: 1 }]);
        expect(r.status.code).toBe(OK);
        expect(isDegraded(r.status)).toBe(true);
      }
    });

    it('does not mix fallback messages into a stream that already delivered some', async () => {
      let runs = 0;
      const { client } = await setup(
        { [ECHO_PATHS.serverStream]: () => (runs++, [{ text: 'fallback' }]) },
        { code: UNAVAILABLE, messagesBeforeStatus: 1 },
      );
      const r = await collectStream(client.serverStream({ id: 'p' }));
      expect(r.messages).toEqual([{ id: 'p', index: 0 }]);
      expect(r.error?.code).toBe(UNAVAILABLE);
      expect(runs).toBe(0);
    });

    it('keeps the error when a streaming fallback returns something that is not iterable', async () => {
      const { client, fallbackEvents } = await setup({ [ECHO_PATHS.serverStream]: () => ({ text: 'one object' }) }, { code: UNAVAILABLE });
      const r = await collectStream(client.serverStream({}));
      expect(r.error?.code).toBe(UNAVAILABLE);
      expect(r.messages).toEqual([]);
      expect(fallbackEvents()[0]).toMatchObject({ succeeded: false, error: expect.any(TypeError) });
    });
  });

  it('ignores client-streaming and bidi methods', async () => {
    let runs = 0;
    const never = () => (runs++, { text: 'fallback' });
    const { client } = await setup({ [ECHO_PATHS.clientStream]: never, [ECHO_PATHS.bidi]: never }, { code: UNAVAILABLE });
    expect((await callKind(client, 'clientStream', {})).status.code).toBe(UNAVAILABLE);
    expect((await callKind(client, 'bidi', {})).status.code).toBe(UNAVAILABLE);
    expect(runs).toBe(0);
  });

  it('validates its options, naming the entry', () => {
    expect(() => fallbackClientInterceptor({ 'pkg.S/M': () => ({}) })).toThrow(/fallback: "pkg.S\/M" is not a full method path/);
    expect(() => fallbackClientInterceptor({ '/pkg.S/M': 'cached' as never })).toThrow(/fallback\["\/pkg.S\/M"\] must be a function/);
    expect(() => fallbackClientInterceptor([] as never)).toThrow(/fallback must be an object/);
    expect(() => fallbackClientInterceptor({}, { scope: 'host' as never })).toThrow(/fallback options.scope must be one of 'method', 'service'/);
  });
});
