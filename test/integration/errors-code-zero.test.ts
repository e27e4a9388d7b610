import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeErrorDetails, serverInterceptors, wrapService, type ErrorLogEntry, type ResilienceEvent } from '../../src';
import { closeAll, echoClient, startEchoServer, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { visibleText } from '../helpers/leak-check';
import { callAny, type CallType } from '../helpers/stream-calls';

/**
 * An error whose code is 0 is no success: grpc-js would end the call OK with the error's message as
 * `grpc-message` and its metadata as trailers. Under the full server stack, wrapped or not, it must
 * be translated like any other internal failure and logged once.
 */

const SECRET = 'password=hunter2';

/** A `code` getter that reads 13 twice (grpc-js's checks) and then 0 (the value it keeps). */
function flippingCode(): { code: number; details: string; metadata: grpc.Metadata } {
  let reads = 0;
  return {
    get code() {
      reads++;
      return reads <= 2 ? 13 : 0;
    },
    details: `flip ${SECRET}`,
    metadata: secretTrailers(),
  };
}

function secretTrailers(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('x-secret', SECRET);
  return metadata;
}

const ERRORS: Record<string, () => unknown> = {
  'Error with code 0 and metadata': () => Object.assign(new Error(`db failed ${SECRET}`), { code: 0, metadata: secretTrailers() }),
  '{ code: 0, details, metadata }': () => ({ code: 0, details: `details ${SECRET}`, metadata: secretTrailers() }),
  'code -0': () => Object.assign(new Error(`negative zero ${SECRET}`), { code: -0, metadata: secretTrailers() }),
  'a code getter reading 13, 13, then 0': flippingCode,
};

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;
type Reader = grpc.ServerReadableStream<EchoMessage, EchoMessage>;
type Writer = grpc.ServerWritableStream<EchoMessage, EchoMessage>;
type Duplex = grpc.ServerDuplexStream<EchoMessage, EchoMessage>;
type Callback = grpc.sendUnaryData<EchoMessage>;

const errorOf = (call: { metadata: grpc.Metadata }) => ERRORS[String(call.metadata.get('x-error')[0])]() as grpc.ServiceError;

/** grpc-js style: callback(err) and emit('error', err), after partial output on streams. */
const impl = {
  unary(call: Unary, callback: Callback) {
    setImmediate(() => callback(errorOf(call)));
  },
  clientStream(call: Reader, callback: Callback) {
    call.once('data', () => callback(errorOf(call)));
  },
  serverStream(call: Writer) {
    call.write({ text: 'partial' });
    setImmediate(() => call.emit('error', errorOf(call)));
  },
  bidi(call: Duplex) {
    call.once('data', () => {
      call.write({ text: 'partial' });
      call.emit('error', errorOf(call));
    });
  },
};

describe('an error with code 0 under the full server stack never ends OK', () => {
  const logs: ErrorLogEntry[] = [];
  const events: ResilienceEvent[] = [];
  const servers: TestServer[] = [];
  const clients: Record<string, EchoClient> = {};

  beforeAll(async () => {
    const interceptors = () =>
      serverInterceptors({ errors: { logger: (entry) => logs.push(entry) }, onEvent: (event) => events.push(event) });
    for (const [name, service] of [
      ['wrapped', wrapService(impl)],
      ['plain', impl],
    ] as const) {
      const server = await startEchoServer(service as grpc.UntypedServiceImplementation, { interceptors: interceptors() });
      servers.push(server);
      clients[name] = echoClient(server.address);
    }
  });
  afterAll(() => closeAll(...Object.values(clients), ...servers));
  afterEach(() => {
    logs.length = 0;
    events.length = 0;
  });

  for (const handlers of ['wrapped', 'plain']) {
    for (const type of ['unary', 'clientStream', 'serverStream', 'bidi'] as const satisfies readonly CallType[]) {
      for (const kind of Object.keys(ERRORS)) {
        it(`${handlers} ${type}: ${kind} → INTERNAL, generic, trailers dropped, logged once`, async () => {
          const metadata = new grpc.Metadata();
          metadata.set('x-error', kind);
          const result = await callAny(clients[handlers], type, { text: 'go' }, metadata, { deadline: Date.now() + 5000 });
          expect(result.status.code).toBe(grpc.status.INTERNAL);
          expect(result.status.details).toMatch(/^Internal error \(trace id [0-9a-f]{32}\)$/);
          expect(visibleText(result.status)).not.toContain('hunter2');
          expect(result.status.metadata.get('x-secret')).toEqual([]);
          expect(decodeErrorDetails(result.status).errorInfo?.reason).toBe('INTERNAL');
          expect(logs).toHaveLength(1);
          expect(logs[0]).toMatchObject({ level: 'error', code: grpc.status.INTERNAL, kind: 'internal' });
          // The server's own call-end (metrics, logs) sees the failure, not an OK.
          const ends = events.filter((e) => e.type === 'call-end');
          expect(ends).toMatchObject([{ side: 'server', code: grpc.status.INTERNAL }]);
        });
      }
    }
  }

  it('a successful call is not touched and not logged', async () => {
    const ok = await startEchoServer(
      {
        unary: (call: Unary, callback: Callback) => callback(null, { text: 'ok' }, secretTrailers()),
        serverStream: (call: Writer) => {
          call.write({ text: 'one' });
          call.end(secretTrailers());
        },
      },
      { interceptors: serverInterceptors({ errors: { logger: (entry) => logs.push(entry) } }) },
    );
    const client = echoClient(ok.address);
    try {
      const unary = await callAny(client, 'unary', {});
      expect(unary.status.code).toBe(grpc.status.OK);
      expect(unary.status.metadata.get('x-secret')).toEqual([SECRET]);
      const stream = await callAny(client, 'serverStream', {});
      expect(stream.status.code).toBe(grpc.status.OK);
      expect(stream.messages).toEqual([{ text: 'one' }]);
      expect(stream.status.metadata.get('x-secret')).toEqual([SECRET]);
      expect(logs).toEqual([]);
    } finally {
      await closeAll(client, ok);
    }
  });
});
