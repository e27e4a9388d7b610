import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientInterceptors, createCallContext, parseTraceParent, runWithCallContext } from '../../src';
import { echoClient, startEchoServer, unary, type EchoMessage, type TestServer } from '../helpers';

describe('with OpenTelemetry active', () => {
  let server: TestServer;
  const manager = new AsyncLocalStorageContextManager();
  const tracer = new BasicTracerProvider().getTracer('test');

  beforeAll(async () => {
    context.setGlobalContextManager(manager.enable());
    server = await startEchoServer({
      unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) =>
        cb(null, { traceparent: call.metadata.get('traceparent')[0] as string }),
    });
  });
  afterAll(async () => {
    await server.close();
    context.disable();
  });

  it('the traceparent we send is the active span’s', async () => {
    const client = echoClient(server.address, { interceptors: clientInterceptors() });
    const span = tracer.startSpan('outer');
    const r = await context.with(trace.setSpan(context.active(), span), () =>
      // Even inside one of our call contexts, the active span wins: both describe the same work.
      runWithCallContext(createCallContext(), () => unary(client, {})),
    );
    span.end();
    client.close();
    const sent = parseTraceParent(r.response?.traceparent);
    expect(sent?.traceId).toBe(span.spanContext().traceId);
    expect(sent?.parentId).toBe(span.spanContext().spanId);
    expect(sent?.traceFlags).toBe(span.spanContext().traceFlags);
  });

  it('can be turned off', async () => {
    const client = echoClient(server.address, { interceptors: clientInterceptors({ trace: { openTelemetry: false } }) });
    const span = tracer.startSpan('outer');
    const ctx = createCallContext();
    const r = await context.with(trace.setSpan(context.active(), span), () => runWithCallContext(ctx, () => unary(client, {})));
    span.end();
    client.close();
    expect(parseTraceParent(r.response?.traceparent)?.traceId).toBe(ctx.traceId);
  });
});
