import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callContextServerInterceptor } from '../../src/context/server-interceptor';
import { STATUS_DETAILS_KEY, encodeRichStatus } from '../../src/details';
import {
  PublicError,
  decodeErrorDetails,
  describeServiceError,
  errorTranslationServerInterceptor,
  wrapService,
  type ErrorLogEntry,
  type ErrorTranslationOptions,
} from '../../src/errors';
import type { ResilienceEvent } from '../../src/telemetry';
import { formatTraceParent } from '../../src/trace';
import { echoClient, sleep, startEchoServer, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { bidiCall, clientStreamCall, serverStreamCall, unaryCall, type Observed } from '../helpers/stream-calls';

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;
type Writable = grpc.ServerWritableStream<EchoMessage, EchoMessage>;

const TRACE_ID = /\(trace id ([0-9a-f]{32})\)$/;

class UserNotFound extends Error {}

/** Every way a handler can fail, selected by the request text. */
function failingImpl(kind: string): never | EchoMessage | Promise<EchoMessage> {
  switch (kind) {
    case 'public':
      throw new PublicError(grpc.status.NOT_FOUND, 'user 42 not found', { reason: 'USER_NOT_FOUND' });
    case 'plain':
      throw new Error('password=hunter2');
    case 'string':
      throw 'db at 10.0.0.7 refused';
    case 'coded':
      throw Object.assign(new Error('secret'), { code: grpc.status.NOT_FOUND, details: 'secret details' });
    case 'undefined':
      throw undefined;
    case 'domain':
      throw new UserNotFound('row 42 missing in users_v2');
    case 'no-response':
      return undefined as unknown as EchoMessage;
    case 'reject':
      return Promise.reject(new Error('async secret'));
    default:
      return { text: 'ok' };
  }
}

interface Harness {
  server: TestServer;
  client: EchoClient;
  logs: ErrorLogEntry[];
  events: ResilienceEvent[];
}

async function startHarness(
  impl: grpc.UntypedServiceImplementation,
  options: ErrorTranslationOptions = {},
  withContext = true,
): Promise<Harness> {
  const logs: ErrorLogEntry[] = [];
  const events: ResilienceEvent[] = [];
  const translator = errorTranslationServerInterceptor({
    logger: (entry) => logs.push(entry),
    onEvent: (event) => events.push(event),
    allowedTrailers: ['x-retry-hint'],
    ...options,
  });
  const interceptors = withContext ? [callContextServerInterceptor(), translator] : [translator];
  const server = await startEchoServer(impl, { interceptors });
  return { server, client: echoClient(server.address), logs, events };
}

async function stopHarness(h: Harness | undefined): Promise<void> {
  h?.client.close();
  await h?.server.close();
}

/** The trace id in the message, which must also be in RequestInfo and the x-trace-id trailer. */
function traceIdOf(result: Observed): string {
  const match = TRACE_ID.exec(result.status.details);
  expect(match, `message "${result.status.details}" carries a trace id`).not.toBeNull();
  const traceId = match![1];
  expect(result.status.metadata.get('x-trace-id')).toEqual([traceId]);
  expect(decodeErrorDetails(result.status).requestInfo?.requestId).toBe(traceId);
  return traceId;
}

function expectGenericInternal(result: Observed): string {
  expect(result.status.code).toBe(grpc.status.INTERNAL);
  expect(result.status.details).toMatch(/^Internal error \(trace id [0-9a-f]{32}\)$/);
  const decoded = decodeErrorDetails(result.status);
  expect(decoded.errorInfo).toEqual({ reason: 'INTERNAL', domain: 'test.v1.EchoService', metadata: {} });
  expect(decoded.details.map((d) => d.type)).toEqual(['ErrorInfo', 'RequestInfo']);
  return traceIdOf(result);
}

describe('what the client sees (wrapService handlers)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(
      wrapService(
        {
          unary: (call: Unary) => failingImpl(String(call.request.text)),
          write: async (call: Unary) => failingImpl(String(call.request.text)),
          async *serverStream(call: Writable) {
            yield { text: 'first' };
            yield { text: 'second' };
            failingImpl(String(call.request.text));
          },
          async clientStream(call: AsyncIterable<EchoMessage>) {
            for await (const m of call) failingImpl(String(m.text));
            return { text: 'ok' };
          },
          async *bidi(call: AsyncIterable<EchoMessage>) {
            for await (const m of call) {
              yield { text: 'echo' };
              failingImpl(String(m.text));
            }
          },
        },
        { mapError: (e) => (e instanceof UserNotFound ? new PublicError('NOT_FOUND', 'user not found') : undefined) },
      ),
    );
  });
  afterAll(() => stopHarness(h));
  afterEach(() => {
    h.logs.length = 0;
    h.events.length = 0;
  });

  it('a PublicError passes with its code, message and details, plus RequestInfo and ErrorInfo domain', async () => {
    const result = await unaryCall(h.client, { text: 'public' });
    expect(result.status.code).toBe(grpc.status.NOT_FOUND);
    expect(result.status.details).toBe('user 42 not found');
    const decoded = decodeErrorDetails(result.status);
    expect(decoded.errorInfo).toEqual({ reason: 'USER_NOT_FOUND', domain: 'test.v1.EchoService', metadata: {} });
    const traceId = result.status.metadata.get('x-trace-id')[0];
    expect(decoded.requestInfo).toEqual({ requestId: traceId, servingData: '' });
    expect(decoded.status).toEqual({ code: grpc.status.NOT_FOUND, message: 'user 42 not found' });
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatchObject({ level: 'info', kind: 'public', code: 5, traceId });
    expect(h.events).toEqual([
      { type: 'error-translated', method: '/test.v1.EchoService/Unary', traceId, kind: 'public', fromCode: 5, toCode: 5 },
    ]);
  });

  it.each(['plain', 'string', 'coded', 'undefined', 'no-response', 'reject'])(
    'unary (sync) %s → INTERNAL with a generic message, ErrorInfo and RequestInfo; logged once',
    async (kind) => {
      const result = await unaryCall(h.client, { text: kind });
      const traceId = expectGenericInternal(result);
      expect(h.logs).toHaveLength(1);
      expect(h.logs[0]).toMatchObject({ level: 'error', kind: 'internal', traceId, method: '/test.v1.EchoService/Unary' });
    },
  );

  it.each(['plain', 'string', 'coded', 'undefined', 'no-response', 'reject'])('unary (async) %s → INTERNAL', async (kind) => {
    expectGenericInternal(await unaryCall(h.client, { text: kind }, undefined, undefined, 'write'));
  });

  it('a thrown object with a numeric code never picks the status (NOT_FOUND is not leaked as such)', async () => {
    const result = await unaryCall(h.client, { text: 'coded' });
    expect(result.status.code).toBe(grpc.status.INTERNAL);
    expect(h.logs[0].err).toMatchObject({ message: 'secret', code: 5, details: 'secret details' });
  });

  it('mapError turns a domain error into a PublicError', async () => {
    const result = await unaryCall(h.client, { text: 'domain' });
    expect(result.status.code).toBe(grpc.status.NOT_FOUND);
    expect(result.status.details).toBe('user not found');
    expect(decodeErrorDetails(result.status).errorInfo?.reason).toBe('NOT_FOUND');
    expect(h.logs[0]).toMatchObject({ kind: 'mapped' });
    expect(h.logs[0].err).toBeInstanceOf(UserNotFound);
  });

  it('server stream: an error after partial output → the messages, then INTERNAL', async () => {
    const result = await serverStreamCall(h.client, { text: 'plain' });
    expect(result.messages).toEqual([{ text: 'first' }, { text: 'second' }]);
    expectGenericInternal(result);
    expect(h.logs).toHaveLength(1);
  });

  it('server stream: a PublicError after partial output keeps its code and message', async () => {
    const result = await serverStreamCall(h.client, { text: 'public' });
    expect(result.messages).toHaveLength(2);
    expect(result.status.code).toBe(grpc.status.NOT_FOUND);
    expect(result.status.details).toBe('user 42 not found');
  });

  it('client stream: an error while reading requests → INTERNAL', async () => {
    expectGenericInternal(await clientStreamCall(h.client, [{ text: 'fine' }, { text: 'string' }]));
  });

  it('bidi: an error after an echo → the echo, then INTERNAL', async () => {
    const result = await bidiCall(h.client, [{ text: 'plain' }]);
    expect(result.messages).toEqual([{ text: 'echo' }]);
    expectGenericInternal(result);
  });

  it('the trace id the client sees is the incoming one, in message, RequestInfo, trailer and log', async () => {
    const metadata = new grpc.Metadata();
    const incoming = '4bf92f3577b34da6a3ce929d0e0e4736';
    metadata.set('traceparent', formatTraceParent(incoming, '00f067aa0ba902b7', 1));
    const result = await unaryCall(h.client, { text: 'plain' }, metadata);
    expect(traceIdOf(result)).toBe(incoming);
    expect(h.logs[0].traceId).toBe(incoming);
    expect(describeServiceError(result.error!)).toMatchObject({ code: 13, codeName: 'INTERNAL', traceId: incoming, reason: 'INTERNAL' });
  });

  it('successful calls are not touched and not logged', async () => {
    const result = await unaryCall(h.client, { text: 'fine' });
    expect(result.status.code).toBe(grpc.status.OK);
    expect(result.messages).toEqual([{ text: 'ok' }]);
    expect(result.status.metadata.get(STATUS_DETAILS_KEY)).toEqual([]);
    expect(h.logs).toHaveLength(0);
    expect(h.events).toHaveLength(0);
  });
});

describe('what the client sees (callback-style and unwrapped handlers)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      // Not wrapped: grpc-js itself turns these into statuses, the translator sees only the status.
      unary: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
        const text = String(call.request.text);
        const trailers = new grpc.Metadata();
        trailers.set('x-retry-hint', 'later');
        trailers.set('x-internal-host', 'db-7.internal');
        if (text === 'throw') throw new Error('sync secret');
        if (text === 'error') return callback(Object.assign(new Error('callback secret'), { metadata: trailers }));
        if (text === 'status') return callback({ code: grpc.status.NOT_FOUND, details: 'no row in users_v2', metadata: trailers });
        if (text === 'ok-trailers') return callback(null, { text: 'ok' }, trailers);
        callback(null, { text: 'ok' });
      },
      serverStream: (call: Writable) => {
        call.write({ text: 'partial' });
        if (call.request.text === 'status') {
          call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'acl row 7 says no' });
        } else {
          call.emit('error', new Error('stream secret'));
        }
      },
      // Wrapped callback style: the original error reaches the log.
      ...wrapService({
        write: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
          if (call.request.text === 'public') return callback(new PublicError('ALREADY_EXISTS', 'user exists', { reason: 'USER_EXISTS' }));
          callback(new Error('wrapped callback secret'));
        },
        bidi: (call: grpc.ServerDuplexStream<EchoMessage, EchoMessage>) => {
          call.on('data', () => call.emit('error', Object.assign(new Error('bidi secret'), { code: grpc.status.INVALID_ARGUMENT })));
        },
      }),
    });
  });
  afterAll(() => stopHarness(h));
  afterEach(() => {
    h.logs.length = 0;
    h.events.length = 0;
  });

  it('a synchronous throw (grpc-js UNKNOWN "Unknown error") → INTERNAL', async () => {
    expectGenericInternal(await unaryCall(h.client, { text: 'throw' }));
    expect(h.logs[0]).toMatchObject({ kind: 'internal', grpcStatus: { code: grpc.status.UNKNOWN } });
  });

  it('callback(new Error(msg)) → INTERNAL; the handler trailers are dropped except the allow-list', async () => {
    const result = await unaryCall(h.client, { text: 'error' });
    expectGenericInternal(result);
    expect(result.status.metadata.get('x-retry-hint')).toEqual(['later']);
    expect(result.status.metadata.get('x-internal-host')).toEqual([]);
  });

  it('callback({ code: NOT_FOUND, details }) → NOT_FOUND with a generic message', async () => {
    const result = await unaryCall(h.client, { text: 'status' });
    expect(result.status.code).toBe(grpc.status.NOT_FOUND);
    expect(result.status.details).toMatch(/^Not found \(trace id [0-9a-f]{32}\)$/);
    expect(decodeErrorDetails(result.status).errorInfo?.reason).toBe('NOT_FOUND');
    traceIdOf(result);
    expect(result.status.metadata.get('x-internal-host')).toEqual([]);
    expect(h.logs[0]).toMatchObject({ kind: 'grpc-status', grpcStatus: { code: 5, details: 'no row in users_v2' } });
  });

  it('trailers of successful calls are the handler’s own', async () => {
    const result = await unaryCall(h.client, { text: 'ok-trailers' });
    expect(result.status.metadata.get('x-internal-host')).toEqual(['db-7.internal']);
  });

  it('a stream error after partial output → the message, then INTERNAL', async () => {
    const result = await serverStreamCall(h.client, { text: 'error' });
    expect(result.messages).toEqual([{ text: 'partial' }]);
    expectGenericInternal(result);
  });

  it('a stream status picked the grpc-js way keeps its exposable code, not its message', async () => {
    const result = await serverStreamCall(h.client, { text: 'status' });
    expect(result.status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(result.status.details).toMatch(/^Permission denied \(trace id/);
  });

  it('wrapped callback(err): the original error object is logged (with its stack)', async () => {
    expectGenericInternal(await unaryCall(h.client, { text: 'x' }, undefined, undefined, 'write'));
    expect(h.logs).toHaveLength(1);
    expect((h.logs[0].err as Error).message).toBe('wrapped callback secret');
    expect((h.logs[0].err as Error).stack).toContain('errors-translation.test.ts');
  });

  it('wrapped callback(PublicError) sends its details', async () => {
    const result = await unaryCall(h.client, { text: 'public' }, undefined, undefined, 'write');
    expect(result.status.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(result.status.details).toBe('user exists');
    expect(decodeErrorDetails(result.status).errorInfo?.reason).toBe('USER_EXISTS');
  });

  it('wrapped grpc-js-style bidi: emit("error", err with code) keeps INVALID_ARGUMENT, logs the original', async () => {
    const result = await bidiCall(h.client, [{ text: 'a' }]);
    expect(result.status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(result.status.details).toMatch(/^Invalid argument \(trace id/);
    expect((h.logs[0].err as Error).message).toBe('bidi secret');
  });
});

describe('a legacy status with trailers is told apart from a dependency’s ServiceError', () => {
  let c: TestServer;
  let toC: EchoClient;
  let h: Harness;
  beforeAll(async () => {
    // C fails NOT_FOUND; B passes C's real ServiceError on, or picks a status with trailers itself.
    c = await startEchoServer({
      unary: (_call: Unary, callback: grpc.sendUnaryData<EchoMessage>) =>
        callback({ code: grpc.status.NOT_FOUND, details: 'C has no row' }),
    });
    toC = echoClient(c.address);
    h = await startHarness(
      wrapService({
        unary: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
          if (call.request.text === 'dependency') {
            toC.unary({}, (error: grpc.ServiceError | null, response?: EchoMessage) => callback(error, response));
            return;
          }
          const metadata = new grpc.Metadata();
          metadata.set('x-retry-hint', 'never');
          metadata.set('x-internal-host', 'db-7.internal');
          callback({ code: grpc.status.NOT_FOUND, details: 'no row 42 in users_v2', metadata });
        },
      }),
    );
  });
  afterAll(async () => {
    toC.close();
    await stopHarness(h);
    await c.close();
  });
  afterEach(() => {
    h.logs.length = 0;
  });

  it('callback({ code: NOT_FOUND, details, metadata }) stays NOT_FOUND, generic message, allow-listed trailers', async () => {
    const result = await unaryCall(h.client, { text: 'legacy' });
    expect(result.status.code).toBe(grpc.status.NOT_FOUND);
    expect(result.status.details).toMatch(/^Not found \(trace id [0-9a-f]{32}\)$/);
    expect(result.status.metadata.get('x-retry-hint')).toEqual(['never']);
    expect(result.status.metadata.get('x-internal-host')).toEqual([]);
    expect(h.logs[0]).toMatchObject({ kind: 'grpc-status', level: 'info', grpcStatus: { code: 5, details: 'no row 42 in users_v2' } });
  });

  it('a dependency’s real ServiceError passed to callback still follows the dependency table (C’s NOT_FOUND → INTERNAL)', async () => {
    const result = await unaryCall(h.client, { text: 'dependency' });
    expectGenericInternal(result);
    expect(h.logs[0]).toMatchObject({ kind: 'downstream', downstream: { code: grpc.status.NOT_FOUND, details: 'C has no row' } });
  });
});

describe('statuses picked the grpc-js way, every code 1–16', () => {
  let safe: Harness;
  let trusting: Harness;
  const impl: grpc.UntypedServiceImplementation = {
    unary: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) =>
      callback({ code: Number(call.request.count), details: `app message ${String(call.request.count)}` }),
    serverStream: (call: Writable) => {
      call.write({ text: 'partial' });
      call.emit('error', { code: Number(call.request.count), details: `app message ${String(call.request.count)}` });
    },
  };
  beforeAll(async () => {
    safe = await startHarness(impl);
    trusting = await startHarness(impl, { trustGrpcStatuses: true });
  });
  afterAll(async () => {
    await stopHarness(safe);
    await stopHarness(trusting);
  });

  // The codes an application picks on purpose (status table: exposable).
  const KEPT = new Set([3, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16]);
  const names = ['', 'Cancelled', 'Internal error', 'Invalid argument', 'Deadline exceeded', 'Not found', 'Already exists', 'Permission denied', 'Resource exhausted', 'Failed precondition', 'Aborted', 'Out of range', 'Not implemented', 'Internal error', 'Service unavailable', 'Data loss', 'Unauthenticated'];

  for (const type of ['unary', 'serverStream'] as const) {
    it(`${type}: default keeps exposable codes with a generic message, the rest → INTERNAL`, async () => {
      for (let code = 1; code <= 16; code++) {
        const result = type === 'unary' ? await unaryCall(safe.client, { count: code }) : await serverStreamCall(safe.client, { count: code });
        const expected = KEPT.has(code) ? code : grpc.status.INTERNAL;
        expect(result.status.code, `code ${code}`).toBe(expected);
        expect(result.status.details).toBe(`${names[expected]} (trace id ${result.status.metadata.get('x-trace-id')[0]})`);
        expect(decodeErrorDetails(result.status).errorInfo?.reason).toBe(grpc.status[expected]);
      }
    });

    it(`${type}: trusting mode keeps code and message verbatim (UNKNOWN → INTERNAL)`, async () => {
      for (let code = 1; code <= 16; code++) {
        const result =
          type === 'unary' ? await unaryCall(trusting.client, { count: code }) : await serverStreamCall(trusting.client, { count: code });
        if (code === grpc.status.UNKNOWN) {
          expectGenericInternal(result);
          continue;
        }
        expect(result.status.code).toBe(code);
        expect(result.status.details).toBe(`app message ${code}`);
        const decoded = decodeErrorDetails(result.status);
        expect(decoded.requestInfo?.requestId).toBe(result.status.metadata.get('x-trace-id')[0]);
        expect(decoded.debugInfo).toBeUndefined();
      }
    });
  }

  it('trusting mode keeps the handler’s own details but strips DebugInfo', async () => {
    const h = await startHarness(
      {
        unary: (_call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
          const metadata = new grpc.Metadata();
          metadata.set(
            STATUS_DETAILS_KEY,
            encodeRichStatus(3, 'bad', [
              { type: 'BadRequest', value: { fieldViolations: [{ field: 'a', description: 'b', reason: '', localizedMessage: undefined }] } },
              { type: 'DebugInfo', value: { stackEntries: ['at secret (/srv/app.js:1)'], detail: 'secret' } },
            ]),
          );
          callback({ code: 3, details: 'field a is bad', metadata });
        },
      },
      { trustGrpcStatuses: true },
    );
    try {
      const result = await unaryCall(h.client, {});
      expect(result.status.details).toBe('field a is bad');
      expect(decodeErrorDetails(result.status).details.map((d) => d.type)).toEqual(['ErrorInfo', 'BadRequest', 'RequestInfo']);
      expect(JSON.stringify(result.status.metadata.getMap())).not.toContain('secret');
    } finally {
      await stopHarness(h);
    }
  });
});

describe('logger, events, debug info and standalone use', () => {
  it('logs each original error exactly once with its trace id, through pino-style and console-style loggers', async () => {
    const calls: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
    const pinoLike = {
      error: (fields: object, msg: string) => calls.push({ level: 'error', fields: fields as Record<string, unknown>, msg }),
      warn: (fields: object, msg: string) => calls.push({ level: 'warn', fields: fields as Record<string, unknown>, msg }),
      info: (fields: object, msg: string) => calls.push({ level: 'info', fields: fields as Record<string, unknown>, msg }),
    };
    const errors = Array.from({ length: 20 }, (_, i) => new Error(`failure ${i}`, { cause: new Error(`root ${i}`) }));
    const h = await startHarness(
      wrapService({
        unary: async (call: Unary) => {
          await sleep(1);
          const n = Number(call.request.count);
          if (n < 0) return { text: 'ok' };
          throw errors[n];
        },
      }),
      { logger: pinoLike },
    );
    try {
      const results = await Promise.all([
        ...errors.map((_, i) => unaryCall(h.client, { count: i })),
        ...Array.from({ length: 10 }, () => unaryCall(h.client, { count: -1 })),
      ]);
      expect(calls).toHaveLength(errors.length);
      for (let i = 0; i < errors.length; i++) {
        const traceId = traceIdOf(results[i]);
        const logged = calls.filter((c) => c.fields.err === errors[i]);
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatchObject({ level: 'error', fields: { traceId, method: '/test.v1.EchoService/Unary', code: 13 } });
        expect(logged[0].msg).toContain(traceId);
        expect((logged[0].fields.err as Error).cause).toBe(errors[i].cause);
      }
    } finally {
      await stopHarness(h);
    }
  });

  it('a logger or event handler that throws never changes the outcome', async () => {
    const h = await startHarness(wrapService({ unary: async () => Promise.reject(new Error('x')) }), {
      logger: { error: () => { throw new Error('logger down'); } },
      onEvent: () => {
        throw new Error('metrics down');
      },
    });
    try {
      expectGenericInternal(await unaryCall(h.client, {}));
    } finally {
      await stopHarness(h);
    }
  });

  it('includeDebugInfo adds the stack in development, never when NODE_ENV=production', async () => {
    const impl = wrapService({ unary: async () => Promise.reject(new Error('debug me')) });
    const dev = await startHarness(impl, { includeDebugInfo: true });
    const previous = process.env.NODE_ENV;
    const restore = () => {
      if (previous === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = previous;
    };
    process.env.NODE_ENV = 'production';
    let prod: Harness | undefined;
    try {
      prod = await startHarness(impl, { includeDebugInfo: true });
    } finally {
      restore();
    }
    try {
      const devResult = await unaryCall(dev.client, {});
      const debug = decodeErrorDetails(devResult.status).debugInfo;
      expect(debug?.detail).toBe('debug me');
      expect(debug?.stackEntries.join('\n')).toContain('errors-translation.test.ts');
      const prodResult = await unaryCall(prod.client, {});
      expectGenericInternal(prodResult);
      expect(decodeErrorDetails(prodResult.status).debugInfo).toBeUndefined();
      // Built in development, running in production: still none.
      process.env.NODE_ENV = 'production';
      try {
        expect(decodeErrorDetails((await unaryCall(dev.client, {})).status).debugInfo).toBeUndefined();
      } finally {
        restore();
      }
    } finally {
      await stopHarness(dev);
      await stopHarness(prod);
    }
  });

  it.each(['Production', ' production', 'PRODUCTION\n', 'prod', 'prod-eu'])(
    'includeDebugInfo: NODE_ENV=%j counts as production (built there, or set later)',
    async (value) => {
      const impl = wrapService({ unary: async () => Promise.reject(new Error('debug me')) });
      const previous = process.env.NODE_ENV;
      const restore = () => {
        if (previous === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = previous;
      };
      const dev = await startHarness(impl, { includeDebugInfo: true });
      let built: Harness | undefined;
      process.env.NODE_ENV = value;
      try {
        built = await startHarness(impl, { includeDebugInfo: true });
        for (const h of [built, dev]) {
          const result = await unaryCall(h.client, {});
          expectGenericInternal(result);
          expect(decodeErrorDetails(result.status).debugInfo).toBeUndefined();
        }
      } finally {
        restore();
        await stopHarness(built);
        await stopHarness(dev);
      }
    },
  );

  it('without a call context it still translates, with a fresh trace id in message, RequestInfo and trailer', async () => {
    const h = await startHarness(wrapService({ unary: async () => Promise.reject(new Error('x')) }), {}, false);
    try {
      const a = await unaryCall(h.client, {});
      const b = await unaryCall(h.client, {});
      expect(expectGenericInternal(a)).not.toBe(expectGenericInternal(b));
      expect(h.logs.map((l) => l.traceId)).toEqual([traceIdOf(a), traceIdOf(b)]);
    } finally {
      await stopHarness(h);
    }
  });

  it('wrapService alone (no translator) still never leaks', async () => {
    const server = await startEchoServer(
      wrapService({
        unary: async () => Promise.reject(Object.assign(new Error('secret'), { code: 5, details: 'secret' })),
        write: async () => {
          throw new PublicError('FAILED_PRECONDITION', 'verify your e-mail first', { reason: 'EMAIL_UNVERIFIED' });
        },
      }),
    );
    const client = echoClient(server.address);
    try {
      const internal = await unaryCall(client, {});
      expect(internal.status.code).toBe(grpc.status.INTERNAL);
      expect(internal.status.details).toMatch(/^Internal error \(trace id [0-9a-f]{32}\)$/);
      const pub = await unaryCall(client, {}, undefined, undefined, 'write');
      expect(pub.status.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(pub.status.details).toBe('verify your e-mail first');
      expect(decodeErrorDetails(pub.status).errorInfo?.reason).toBe('EMAIL_UNVERIFIED');
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('error translation options are validated', () => {
  it.each([
    [{ domian: 'x' }, /unknown option "domian"/],
    [{ domain: '' }, /errors\.domain must be a non-empty string/],
    [{ mapError: 'nope' }, /errors\.mapError must be a function/],
    [{ logger: { log: () => undefined } }, /errors\.logger must be a logger with an error/],
    [{ allowedTrailers: ['X-Upper'] }, /allowedTrailers/],
    [{ allowedTrailers: ['grpc-status'] }, /allowedTrailers/],
    [{ includeDebugInfo: 'yes' }, /includeDebugInfo must be true or false/],
    [{ trustGrpcStatuses: 1 }, /trustGrpcStatuses must be true or false/],
    [{ downstream: { codes: { NOPE: 'UNAVAILABLE' } } }, /downstream\.codes: "NOPE"/],
    [{ downstream: { codes: { NOT_FOUND: 'OK' } } }, /downstream\.codes\["NOT_FOUND"\]/],
    [{ downstream: { deadlineMarginMs: -1 } }, /deadlineMarginMs/],
    [{ statusTable: { overrides: { NOPE: {} } } }, /errors\.statusTable/],
    [{ traceIdHeader: 'Bad Header' }, /traceIdHeader/],
  ])('rejects %j', (options, message) => {
    expect(() => errorTranslationServerInterceptor(options as ErrorTranslationOptions)).toThrow(message);
  });
});

describe('rich details over the wire', () => {
  it('every public detail type arrives equal to what the server sent (checked with an independent decoder too)', async () => {
    const thrown = new PublicError(grpc.status.INVALID_ARGUMENT, 'the order is invalid', [
      { reason: 'ORDER_INVALID', metadata: { orderId: '42' } },
      { fieldViolations: [{ field: 'items[0].qty', description: 'must be positive', reason: 'NOT_POSITIVE', localizedMessage: { locale: 'de', message: 'muss positiv sein' } }] },
      { retryDelayMs: 250 },
      { preconditionViolations: [{ type: 'STOCK', subject: 'sku:7', description: 'out of stock' }] },
      { quotaViolations: [{ subject: 'customer:9', description: 'orders per day', quotaDimensions: { region: 'eu' }, quotaValue: 10 }] },
      { resourceType: 'order', resourceName: 'orders/42', owner: 'customer:9' },
      { locale: 'en-GB', message: 'Please check the quantities.' },
      { links: [{ description: 'ordering rules', url: 'https://example.com/docs/orders' }] },
    ]);
    const h = await startHarness(wrapService({ unary: async () => Promise.reject(thrown) }));
    try {
      const result = await unaryCall(h.client, {});
      const traceId = result.status.metadata.get('x-trace-id')[0];
      const decoded = decodeErrorDetails(result.status);
      const [errorInfo, ...rest] = thrown.errorDetails;
      expect(decoded.details).toEqual([
        { type: 'ErrorInfo', value: { ...errorInfo.value, domain: 'test.v1.EchoService' } },
        ...rest,
        { type: 'RequestInfo', value: { requestId: traceId, servingData: '' } },
      ]);
      expect(decoded.unknownDetails).toEqual([]);
      // protobufjs, built from the same .proto files, reads the same bytes the same way.
      const root = protobuf.loadSync([
        path.join(__dirname, '../../proto/google/rpc/status.proto'),
        path.join(__dirname, '../../proto/google/rpc/error_details.proto'),
      ]);
      const Status = root.lookupType('google.rpc.Status');
      const raw = Status.decode(result.status.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer) as unknown as {
        code: number;
        message: string;
        details: Array<{ type_url: string; value: Uint8Array }>;
      };
      expect(raw.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(raw.message).toBe('the order is invalid');
      const names = raw.details.map((any) => any.type_url.replace('type.googleapis.com/', ''));
      expect(names).toEqual(decoded.details.map((d) => `google.rpc.${d.type}`));
      const bad = root.lookupType('google.rpc.BadRequest').toObject(root.lookupType('google.rpc.BadRequest').decode(raw.details[1].value));
      expect(bad).toEqual({
        fieldViolations: [
          { field: 'items[0].qty', description: 'must be positive', reason: 'NOT_POSITIVE', localizedMessage: { locale: 'de', message: 'muss positiv sein' } },
        ],
      });
    } finally {
      await stopHarness(h);
    }
  });
});

describe('a rogue server’s grpc-status-details-bin', () => {
  const rogueBytes: ReadonlyArray<[string, Buffer]> = [
    ['garbage (a varint that never ends)', Buffer.alloc(16, 0xff)],
    ['truncated', encodeRichStatus(5, 'a message', [{ type: 'RequestInfo', value: { requestId: 'r', servingData: 's' } }]).subarray(0, 9)],
    ['empty', Buffer.alloc(0)],
    // A Status whose one Any (field 3) has an ErrorInfo type URL and bytes that do not parse.
    [
      'a detail with broken bytes',
      Buffer.concat([
        encodeRichStatus(5, 'm', []),
        Buffer.from([0x1a, 0x2e, 0x0a, 0x28]),
        Buffer.from('type.googleapis.com/google.rpc.ErrorInfo'),
        Buffer.from([0x12, 0x02, 0x0a, 0x7f]),
      ]),
    ],
  ];
  let server: TestServer;
  let client: EchoClient;
  beforeAll(async () => {
    // No translation: the server sends whatever bytes it likes.
    server = await startEchoServer({
      unary: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
        const metadata = new grpc.Metadata();
        metadata.set(STATUS_DETAILS_KEY, rogueBytes[Number(call.request.count)][1]);
        callback({ code: grpc.status.NOT_FOUND, details: 'rogue', metadata });
      },
    });
    client = echoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it.each(rogueBytes.map(([label], i) => [label, i] as const))('%s: reported cleanly, never thrown', async (label, i) => {
    const result = await unaryCall(client, { count: i });
    expect(result.error?.code).toBe(grpc.status.NOT_FOUND);
    const decoded = decodeErrorDetails(result.error);
    if (label === 'empty') {
      // An empty Status is valid protobuf: code 0, no details.
      expect(decoded.status).toEqual({ code: 0, message: '' });
    } else if (label === 'a detail with broken bytes') {
      expect(decoded.malformed).toBeUndefined();
      expect(decoded.unknownDetails).toHaveLength(1);
    } else {
      expect(decoded.malformed?.name).toBe('MalformedStatusDetailsError');
      expect(decoded.details).toEqual([]);
    }
    expect(describeServiceError(result.error!)).toMatchObject({ code: grpc.status.NOT_FOUND, message: 'rogue' });
  });
});
