import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientInterceptors,
  createCallContext,
  createLogHandler,
  PublicError,
  runWithCallContext,
  serverInterceptors,
  wrapService,
  type LogEntry,
} from '../../src';
import { ECHO_PATHS, EchoService, echoClient, startServer, unary, type EchoMessage, type TestServer } from '../helpers';

/** A pino-like logger that keeps what it is given. */
function captureLogger() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (fields: object, msg: string) => lines.push({ level, fields: fields as Record<string, unknown>, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const callEnd = (side: 'client' | 'server', code: number) => ({
  type: 'call-end' as const,
  side,
  method: '/a.B/C',
  target: 't',
  code,
  durationMs: 1.23456,
  attempts: 2,
  traceId: 'f'.repeat(32),
});

describe('createLogHandler', () => {
  it('maps codes to levels (defaults) with structured fields', () => {
    const { lines, logger } = captureLogger();
    const handle = createLogHandler(logger);
    handle(callEnd('client', grpc.status.OK));
    handle(callEnd('client', grpc.status.UNAVAILABLE));
    handle(callEnd('client', grpc.status.INTERNAL));
    handle(callEnd('client', grpc.status.NOT_FOUND));
    handle(callEnd('server', grpc.status.INTERNAL));
    handle(callEnd('server', grpc.status.UNKNOWN));
    handle(callEnd('server', grpc.status.INVALID_ARGUMENT));
    expect(lines.map((l) => `${l.fields.side} ${l.fields.code} ${l.level}`)).toEqual([
      'client UNAVAILABLE warn',
      'client INTERNAL warn',
      'client NOT_FOUND info',
      'server INTERNAL error',
      'server UNKNOWN error',
      'server INVALID_ARGUMENT info',
    ]);
    expect(lines[0].fields).toMatchObject({
      event: 'call-end',
      trace_id: 'f'.repeat(32),
      method: '/a.B/C',
      target: 't',
      code: 'UNAVAILABLE',
      attempt: 2,
      duration_ms: 1.235,
    });
  });

  it('takes level overrides by name or number, and function loggers', () => {
    const entries: LogEntry[] = [];
    const handle = createLogHandler((entry) => entries.push(entry), { clientLevels: { OK: 'debug', 14: 'error' } });
    handle(callEnd('client', grpc.status.OK));
    handle(callEnd('client', grpc.status.UNAVAILABLE));
    expect(entries.map((e) => [e.level, e.code])).toEqual([
      ['debug', 'OK'],
      ['error', 'UNAVAILABLE'],
    ]);
    expect(entries[0].msg).toBe('client call /a.B/C ended OK');
  });

  it.each([
    [() => createLogHandler({} as never), /logger must be a pino\/console-like object/],
    [() => createLogHandler(console, { clientLevels: { NOPE: 'warn' } }), /"NOPE" is not a gRPC status code/],
    [() => createLogHandler(console, { serverLevels: { OK: 'loud' as never } }), /must be one of silent, debug, info, warn, error/],
    [() => clientInterceptors({ logs: {} }), /level maps need a logger/],
  ])('rejects bad options (%#)', (build, message) => {
    expect(build).toThrow(message);
  });
});

describe('logs and events through real stacks', () => {
  let server: TestServer;
  const serverLog = captureLogger();

  const impl = wrapService(EchoService, {
    async unary(call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>) {
      if (call.request.fail === 'internal') throw new Error('a bug with a secret');
      if (call.request.fail === 'unavailable') throw new PublicError(grpc.status.UNAVAILABLE, 'busy');
      return { ok: true };
    },
  } as never);

  beforeAll(async () => {
    server = await startServer((s) => s.addService(EchoService, impl), { interceptors: serverInterceptors({ logger: serverLog.logger }) });
  });
  afterAll(() => server.close());

  it('client and server lines of one failed call share its trace id', async () => {
    const clientLog = captureLogger();
    const stack = clientInterceptors({ logger: clientLog.logger, retry: false, breaker: false });
    const client = echoClient(server.address, { interceptors: stack });
    const ctx = createCallContext();
    const r = await runWithCallContext(ctx, () => unary(client, { fail: 'internal' }));
    client.close();
    expect(r.status.code).toBe(grpc.status.INTERNAL);
    const clientLine = clientLog.lines.find((l) => l.fields.event === 'call-end');
    expect(clientLine).toMatchObject({ level: 'warn', fields: { trace_id: ctx.traceId, code: 'INTERNAL', side: 'client' } });
    const serverLines = serverLog.lines.filter((l) => JSON.stringify(l.fields).includes(ctx.traceId));
    expect(serverLines.length).toBeGreaterThan(0);
    expect(serverLines.some((l) => l.level === 'error')).toBe(true);
  });

  it('a throwing event handler or logger changes no call outcome', async () => {
    const outcomes = async (observe: object) => {
      const stack = clientInterceptors({
        ...observe,
        retry: { maxAttempts: 2, initialBackoffMs: 1, maxBackoffMs: 1 },
        fallback: { [ECHO_PATHS.write]: () => ({ degraded: true }) },
      });
      const quiet = 'logger' in observe ? {} : { errors: { logger: false as const } };
      const throwingServer = await startServer((s) => s.addService(EchoService, impl), { interceptors: serverInterceptors({ ...quiet, ...observe }) });
      const client = echoClient(throwingServer.address, { interceptors: stack });
      const results = [
        await unary(client, {}),
        await unary(client, { fail: 'internal' }),
        await unary(client, { fail: 'unavailable' }),
        await unary(client, {}, { method: 'write' }), // UNIMPLEMENTED on the server: not a server fault, no fallback
      ];
      client.close();
      stack.dispose();
      await throwingServer.close();
      return results.map((r) => ({ code: r.status.code, response: r.response, attempts: r.status.metadata.get('x-resilience-attempts') }));
    };
    const thrower = () => {
      throw new Error('observer failure');
    };
    const baseline = await outcomes({});
    const withThrowingHandler = await outcomes({ onEvent: thrower });
    const withThrowingLogger = await outcomes({ logger: { debug: thrower, info: thrower, warn: thrower, error: thrower } });
    const withThrowingFunctionLogger = await outcomes({ logger: thrower });
    expect(baseline.map((o) => o.code)).toEqual([grpc.status.OK, grpc.status.INTERNAL, grpc.status.UNAVAILABLE, grpc.status.UNIMPLEMENTED]);
    expect(withThrowingHandler).toEqual(baseline);
    expect(withThrowingLogger).toEqual(baseline);
    expect(withThrowingFunctionLogger).toEqual(baseline);
  });
});
