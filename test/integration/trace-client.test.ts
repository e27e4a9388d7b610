import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientInterceptors, createCallContext, parseTraceParent, runWithCallContext, traceClientInterceptor } from '../../src';
import { echoClient, startEchoServer, unary, type EchoMessage, type TestServer } from '../helpers';

const VALID_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A bare server that reports the raw trace headers it received. */
const impl = {
  unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
    if (call.request.fail) return cb({ code: grpc.status.UNAVAILABLE, details: 'down' });
    const h = (k: string) => call.metadata.get(k)[0] as string | undefined;
    cb(null, { traceparent: h('traceparent'), xTraceId: h('x-trace-id'), custom: h('x-request-id') });
  },
};

describe('client trace interceptor', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startEchoServer(impl); // no server interceptors: the wire is what we check
  });
  afterAll(() => server.close());

  it('sends only traceparent by default, from the current context, with a new span id per call', async () => {
    const client = echoClient(server.address, { interceptors: clientInterceptors() });
    const ctx = createCallContext({ traceId: VALID_ID });
    const [r1, r2] = await runWithCallContext(ctx, () => Promise.all([unary(client, {}), unary(client, {})]));
    client.close();
    const p1 = parseTraceParent(r1.response?.traceparent);
    const p2 = parseTraceParent(r2.response?.traceparent);
    expect(p1?.traceId).toBe(VALID_ID);
    expect(p2?.traceId).toBe(VALID_ID);
    expect(p1?.parentId).not.toBe(p2?.parentId);
    expect(r1.response?.xTraceId).toBeUndefined();
  });

  it('sends the plain header too when configured, under a configurable name', async () => {
    const client = echoClient(server.address, {
      interceptors: [traceClientInterceptor({ sendTraceIdHeader: true, traceIdHeader: 'x-request-id' })],
    });
    const r = await runWithCallContext(createCallContext({ traceId: VALID_ID }), () => unary(client, {}));
    client.close();
    expect(r.response?.custom).toBe(VALID_ID);
    expect(parseTraceParent(r.response?.traceparent)?.traceId).toBe(VALID_ID);
  });

  it('leaves alone ids the caller set explicitly', async () => {
    const client = echoClient(server.address, { interceptors: clientInterceptors({ trace: { sendTraceIdHeader: true } }) });
    const explicit = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const md = new grpc.Metadata();
    md.set('traceparent', explicit);
    const r1 = await runWithCallContext(createCallContext({ traceId: VALID_ID }), () => unary(client, {}, { metadata: md }));
    expect(r1.response?.traceparent).toBe(explicit);
    const md2 = new grpc.Metadata();
    md2.set('x-trace-id', 'c'.repeat(32));
    const r2 = await unary(client, {}, { metadata: md2 });
    client.close();
    expect(r2.response?.xTraceId).toBe('c'.repeat(32));
    expect(parseTraceParent(r2.response?.traceparent)?.traceId).toBe('c'.repeat(32));
  });

  it('starts a fresh trace per call outside any context', async () => {
    const client = echoClient(server.address, { interceptors: clientInterceptors() });
    const [a, b] = await Promise.all([unary(client, {}), unary(client, {})]);
    client.close();
    const ta = parseTraceParent(a.response?.traceparent)?.traceId;
    const tb = parseTraceParent(b.response?.traceparent)?.traceId;
    expect(ta).toMatch(/^[0-9a-f]{32}$/);
    expect(ta).not.toBe(tb);
  });

  it('a failed call tells the caller its trace id, without the server echoing it', async () => {
    const client = echoClient(server.address, { interceptors: clientInterceptors() });
    const r = await runWithCallContext(createCallContext({ traceId: VALID_ID }), () => unary(client, { fail: true }));
    const fresh = await unary(client, { fail: true });
    client.close();
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.error?.metadata.get('x-trace-id')).toEqual([VALID_ID]);
    expect(fresh.error?.metadata.get('x-trace-id')[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    [{ trace: { traceIdHeader: 'X-Trace' } }, /traceIdHeader must be a lowercase metadata key/],
    [{ trace: { traceIdHeader: 'trace-bin' } }, /traceIdHeader must be a lowercase metadata key/],
    [{ trace: { traceIdHeader: 'grpc-trace' } }, /traceIdHeader must be a lowercase metadata key/],
    [{ trace: { sendTraceIdHeader: 'yes' } }, /trace.sendTraceIdHeader must be true or false/],
    [{ trace: { traceparent: true } }, /trace: unknown option "traceparent"/],
    [{ tracing: {} }, /unknown option "tracing"/],
  ])('rejects bad options at construction (%#)', (options, message) => {
    expect(() => clientInterceptors(options as never)).toThrow(message);
  });
});
