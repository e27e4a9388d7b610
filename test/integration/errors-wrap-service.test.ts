import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { UserServiceClient, UserServiceService } from '../../examples/gen/example/users/v1/users';
import { callContextServerInterceptor } from '../../src/context/server-interceptor';
import { PublicError, errorTranslationServerInterceptor, wrapService } from '../../src/errors';
import { echoClient, sleep, startEchoServer, startServer, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { bidiCall, clientStreamCall, serverStreamCall, unaryCall } from '../helpers/stream-calls';

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;
type Writable = grpc.ServerWritableStream<EchoMessage, EchoMessage>;
type Duplex = grpc.ServerDuplexStream<EchoMessage, EchoMessage>;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const translated = () => ({ interceptors: [callContextServerInterceptor(), errorTranslationServerInterceptor({ logger: false })] });

async function serve(impl: object): Promise<{ server: TestServer; client: EchoClient; stop: () => Promise<void> }> {
  const server = await startEchoServer(impl as grpc.UntypedServiceImplementation, translated());
  const client = echoClient(server.address);
  return {
    server,
    client,
    stop: async () => {
      client.close();
      await server.close();
    },
  };
}

describe('wrapService: the four call types in every style', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  let ended: string[];
  beforeAll(async () => {
    s = await serve(
      wrapService({
        // Unary: async, and the returned value of a plain function.
        unary: async (call: Unary) => {
          await sleep(1);
          return { text: `hello ${String(call.request.text)}` };
        },
        write: (call: Unary) => ({ text: `sync ${String(call.request.text)}` }),
        // Server streaming chooses its style by the request text.
        serverStream: (call: Writable) => {
          const mode = String(call.request.text);
          if (mode === 'generator') {
            return (async function* () {
              for (let i = 0; i < 3; i++) yield { count: i };
            })();
          }
          if (mode === 'array') return [{ count: 0 }, { count: 1 }];
          if (mode === 'readable') return Readable.from([{ count: 7 }, { count: 8 }]);
          if (mode === 'async-writes') {
            return (async () => {
              call.write({ count: 1 });
              await sleep(2);
              call.write({ count: 2 });
            })();
          }
          if (mode === 'callback-late') {
            // grpc-js style: ends the stream itself, later; must not be ended early.
            setTimeout(() => {
              call.write({ count: 3 });
              call.end();
            }, 20);
            return undefined;
          }
          // grpc-js style returning the call itself (an `.on(...)` chain): must not be ended early either.
          setTimeout(() => {
            call.write({ count: 4 });
            call.end();
          }, 20);
          return call.on('cancelled', () => undefined) as unknown as undefined;
        },
        clientStream: async (call: AsyncIterable<EchoMessage>) => {
          let total = 0;
          for await (const m of call) total += m.count ?? 0;
          return { count: total };
        },
        bidi: (call: Duplex) => {
          if (call.metadata.get('mode')[0] === 'callback') {
            // grpc-js style with for-await: plain grpc-js would hang here (the loop destroys the stream).
            void (async () => {
              for await (const m of call as AsyncIterable<EchoMessage>) call.write({ text: `cb ${String(m.text)}` });
              call.end();
            })();
            return undefined;
          }
          if (call.metadata.get('mode')[0] === 'async') {
            return (async () => {
              for await (const m of call as AsyncIterable<EchoMessage>) call.write({ text: `async ${String(m.text)}` });
              ended.push('async');
            })();
          }
          return (async function* () {
            for await (const m of call as AsyncIterable<EchoMessage>) yield { text: `gen ${String(m.text)}` };
          })();
        },
      }),
    );
  });
  afterAll(() => s.stop());
  afterEach(() => {
    ended = [];
  });

  it('unary: async function and plain return value', async () => {
    expect((await unaryCall(s.client, { text: 'a' })).messages).toEqual([{ text: 'hello a' }]);
    expect((await unaryCall(s.client, { text: 'b' }, undefined, undefined, 'write')).messages).toEqual([{ text: 'sync b' }]);
  });

  it.each([
    ['generator', [0, 1, 2]],
    ['array', [0, 1]],
    ['readable', [7, 8]],
    ['async-writes', [1, 2]],
    ['callback-late', [3]],
    ['returns-call', [4]],
  ])('server streaming as %s', async (mode, counts) => {
    const result = await serverStreamCall(s.client, { text: mode });
    expect(result.status.code).toBe(grpc.status.OK);
    expect(result.messages.map((m) => m.count)).toEqual(counts);
  });

  it('client streaming reads requests with for await', async () => {
    const result = await clientStreamCall(s.client, [{ count: 1 }, { count: 2 }, { count: 39 }]);
    expect(result.messages).toEqual([{ count: 42 }]);
  });

  it.each([
    ['generator', undefined, 'gen'],
    ['async function', 'async', 'async'],
    ['grpc-js style with for await', 'callback', 'cb'],
  ])('bidi as %s', async (_label, mode, prefix) => {
    const metadata = new grpc.Metadata();
    if (mode) metadata.set('mode', mode);
    const result = await bidiCall(s.client, [{ text: 'x' }, { text: 'y' }], metadata, { deadline: Date.now() + 5000 });
    expect(result.status.code).toBe(grpc.status.OK);
    expect(result.messages).toEqual([{ text: `${prefix} x` }, { text: `${prefix} y` }]);
  });
});

describe('wrapService: callback-style handlers', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  let answers = 0;
  beforeAll(async () => {
    s = await serve(
      wrapService({
        // Answers twice: only the first answer counts.
        unary: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
          answers++;
          callback(null, { text: 'first' });
          callback(null, { text: 'second' });
        },
        // An async callback-style handler that rejects before answering: answered, not hung.
        write: async (_call: Unary, _callback: grpc.sendUnaryData<EchoMessage>) => {
          await sleep(1);
          throw new Error('rejected before answering');
        },
        clientStream: (call: grpc.ServerReadableStream<EchoMessage, EchoMessage>, callback: grpc.sendUnaryData<EchoMessage>) => {
          let n = 0;
          call.on('data', () => n++);
          call.on('end', () => callback(null, { count: n }));
        },
      }),
    );
  });
  afterAll(() => s.stop());

  it('answers once', async () => {
    expect((await unaryCall(s.client, {})).messages).toEqual([{ text: 'first' }]);
    expect(answers).toBe(1);
  });

  it('a rejected async callback-style handler gets INTERNAL, not a hang', async () => {
    const result = await unaryCall(s.client, {}, undefined, { deadline: Date.now() + 5000 }, 'write');
    expect(result.status.code).toBe(grpc.status.INTERNAL);
  });

  it('client streaming with data/end listeners', async () => {
    expect((await clientStreamCall(s.client, [{}, {}, {}])).messages).toEqual([{ count: 3 }]);
  });
});

describe('wrapService alone (no translator): callback-style errors get safe statuses', () => {
  const SECRET = 'password=hunter2';
  const secretTrailers = () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-secret', SECRET);
    return metadata;
  };
  /** Each way a grpc-js-style handler raises an error, chosen by the request text. */
  const raise = (how: string): { error: unknown; trailers?: grpc.Metadata } => {
    switch (how) {
      case 'error':
        return { error: new Error(`db failed ${SECRET}`) };
      case 'coded':
        return { error: Object.assign(new Error(`no row ${SECRET}`), { code: grpc.status.NOT_FOUND }) };
      case 'trailers':
        return { error: Object.assign(new Error(`no row ${SECRET}`), { code: grpc.status.NOT_FOUND }), trailers: secretTrailers() };
      case 'literal':
        return { error: { code: grpc.status.NOT_FOUND, details: `no row ${SECRET}`, metadata: secretTrailers() } };
      case 'internal-literal':
        return { error: { code: grpc.status.INTERNAL, details: `stack ${SECRET}`, metadata: secretTrailers() } };
      default:
        throw new Error(`unknown way ${how}`);
    }
  };
  let server: TestServer;
  let client: EchoClient;
  beforeAll(async () => {
    server = await startEchoServer(
      wrapService({
        unary: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
          if (call.request.text === 'ok') return callback(null, { text: 'ok' }, secretTrailers());
          const { error, trailers } = raise(String(call.request.text));
          setImmediate(() => callback(error as grpc.ServiceError, null, trailers));
        },
        clientStream: (call: grpc.ServerReadableStream<EchoMessage, EchoMessage>, callback: grpc.sendUnaryData<EchoMessage>) => {
          call.once('data', (m: EchoMessage) => {
            const { error, trailers } = raise(String(m.text));
            callback(error as grpc.ServiceError, null, trailers);
          });
        },
        serverStream: (call: Writable) => {
          call.write({ text: 'partial' });
          if (call.request.text === 'ok') return call.end(secretTrailers());
          call.emit('error', raise(String(call.request.text)).error);
        },
        bidi: (call: Duplex) => {
          call.once('data', (m: EchoMessage) => {
            call.write({ text: 'partial' });
            call.emit('error', raise(String(m.text)).error);
          });
        },
      }),
    );
    client = echoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  const expected: Record<string, [number, RegExp]> = {
    error: [grpc.status.INTERNAL, /^Internal error \(trace id [0-9a-f]{32}\)$/],
    coded: [grpc.status.NOT_FOUND, /^Not found \(trace id [0-9a-f]{32}\)$/],
    trailers: [grpc.status.NOT_FOUND, /^Not found \(trace id [0-9a-f]{32}\)$/],
    literal: [grpc.status.NOT_FOUND, /^Not found \(trace id [0-9a-f]{32}\)$/],
    'internal-literal': [grpc.status.INTERNAL, /^Internal error \(trace id [0-9a-f]{32}\)$/],
  };
  const ways: Record<string, string> = {
    error: 'cb(new Error(secret))',
    coded: 'cb(errWithCode)',
    trailers: 'cb(err, null, trailers)',
    literal: 'cb({ code, details, metadata })',
    'internal-literal': 'cb({ code: INTERNAL, details, metadata })',
  };
  for (const [how, [code, message]] of Object.entries(expected)) {
    for (const type of ['unary', 'clientStream'] as const) {
      it(`${type}: ${ways[how]} → ${grpc.status[code]}, generic message, no trailers`, async () => {
        const result =
          type === 'unary' ? await unaryCall(client, { text: how }) : await clientStreamCall(client, [{ text: how }, { text: how }]);
        expect(result.status.code).toBe(code);
        expect(result.status.details).toMatch(message);
        expect(JSON.stringify(result.status.metadata.toJSON())).not.toContain('hunter2');
        expect(result.status.metadata.get('x-secret')).toEqual([]);
      });
    }
    if (how === 'trailers') continue; // emit('error') has no trailer argument
    for (const type of ['serverStream', 'bidi'] as const) {
      it(`${type}: emit('error', …) as ${ways[how]} → ${grpc.status[code]}, generic message, no trailers`, async () => {
        const result =
          type === 'serverStream' ? await serverStreamCall(client, { text: how }) : await bidiCall(client, [{ text: how }]);
        expect(result.messages).toEqual([{ text: 'partial' }]);
        expect(result.status.code).toBe(code);
        expect(result.status.details).toMatch(message);
        expect(result.status.metadata.get('x-secret')).toEqual([]);
      });
    }
  }

  it('successful calls keep their trailers', async () => {
    expect((await unaryCall(client, { text: 'ok' })).status.metadata.get('x-secret')).toEqual([SECRET]);
    expect((await serverStreamCall(client, { text: 'ok' })).status.metadata.get('x-secret')).toEqual([SECRET]);
  });
});

describe('wrapService: a grpc-js-style stream emitting what grpc-js cannot convert', () => {
  const hostile = () =>
    new Proxy(new Error('hostile'), {
      get() {
        throw new Error('trap');
      },
      has() {
        throw new Error('trap');
      },
    });
  const VALUES: Record<string, () => unknown> = {
    undefined: () => undefined,
    null: () => null,
    'a string': () => 'a string',
    'a hostile Proxy': hostile,
  };
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);
  let s: Awaited<ReturnType<typeof serve>>;
  let alone: TestServer;
  let aloneClient: EchoClient;
  beforeAll(async () => {
    process.on('uncaughtException', onCrash);
    const impl = wrapService({
      serverStream: (call: Writable) => {
        call.write({ text: 'partial' });
        // Later, outside the handler's own run: a throw here is an uncaught exception.
        setImmediate(() => call.emit('error', VALUES[String(call.request.text)]()));
      },
      bidi: (call: Duplex) => {
        call.once('data', (m: EchoMessage) => call.emit('error', VALUES[String(m.text)]()));
      },
    });
    s = await serve(impl);
    alone = await startEchoServer(impl);
    aloneClient = echoClient(alone.address);
  });
  afterAll(async () => {
    process.off('uncaughtException', onCrash);
    aloneClient.close();
    await alone.close();
    await s.stop();
  });

  for (const name of Object.keys(VALUES)) {
    for (const translator of [true, false]) {
      it(`emit('error', ${name}) ${translator ? 'with' : 'without'} the translator → INTERNAL, no crash`, async () => {
        const client = translator ? s.client : aloneClient;
        const options = { deadline: Date.now() + 5000 };
        const stream = await serverStreamCall(client, { text: name }, undefined, options);
        expect(stream.messages).toEqual([{ text: 'partial' }]);
        expect(stream.status.code).toBe(grpc.status.INTERNAL);
        expect(stream.status.details).toMatch(/^Internal error \(trace id [0-9a-f]{32}\)$/);
        const bidi = await bidiCall(client, [{ text: name }], undefined, options);
        expect(bidi.status.code).toBe(grpc.status.INTERNAL);
        expect(crashes).toEqual([]);
      });
    }
  }
});

describe('wrapService: backpressure and cancellation', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  const state = { produced: 0, finallyRan: 0, blockedFinallyRan: 0, bidiFinallyRan: 0 };
  const payload = 'x'.repeat(64 * 1024);
  beforeAll(async () => {
    s = await serve(
      wrapService({
        async *serverStream(call: Writable) {
          try {
            if (call.request.text === 'blocked') {
              // Awaits something long: stopped when it next yields after the cancel.
              try {
                yield { count: 0 };
                await sleep(150);
                yield { count: 1 };
                state.produced += 1000; // never reached: the stream was cancelled
              } finally {
                state.blockedFinallyRan++;
              }
              return;
            }
            for (let i = 0; i < 5000; i++) {
              state.produced++;
              yield { count: i, text: payload };
            }
          } finally {
            state.finallyRan++;
          }
        },
        async *bidi(call: AsyncIterable<EchoMessage>) {
          try {
            for await (const m of call) yield m;
          } finally {
            state.bidiFinallyRan++;
          }
        },
      }),
    );
  });
  afterAll(() => s.stop());
  afterEach(() => {
    Object.assign(state, { produced: 0, finallyRan: 0, blockedFinallyRan: 0, bidiFinallyRan: 0 });
  });

  it('a generator is not run ahead of a client that stops reading', async () => {
    const stream = s.client.serverStream({ text: 'big' });
    let received = 0;
    stream.on('data', () => {
      received++;
      if (received === 5) stream.pause();
    });
    stream.on('error', () => undefined);
    await sleep(300);
    // 5,000 × 64 KiB would be 320 MiB; flow control holds the generator to a few MiB of buffers.
    expect(state.produced).toBeLessThan(200);
    const producedWhilePaused = state.produced;
    stream.cancel();
    await sleep(100);
    expect(state.finallyRan).toBe(1);
    expect(state.produced).toBeLessThanOrEqual(producedWhilePaused + 1);
  });

  it('a client cancel mid-stream stops the generator (its finally runs), no unhandled errors', async () => {
    const stream = s.client.serverStream({ text: 'big' });
    let received = 0;
    const done = new Promise<void>((resolve) => {
      stream.on('data', () => {
        received++;
        if (received === 3) stream.cancel();
      });
      stream.on('error', (e: grpc.ServiceError) => {
        expect(e.code).toBe(grpc.status.CANCELLED);
        resolve();
      });
    });
    await done;
    await sleep(100);
    expect(state.finallyRan).toBe(1);
  });

  it('a generator awaiting something when the client cancels is stopped at its next yield', async () => {
    const stream = s.client.serverStream({ text: 'blocked' });
    stream.on('data', () => stream.cancel());
    stream.on('error', () => undefined);
    await sleep(400);
    expect(state.blockedFinallyRan).toBe(1);
    expect(state.produced).toBe(0);
  });

  it('a bidi generator reading requests when the client cancels ends cleanly', async () => {
    const call = s.client.bidi();
    call.on('error', () => undefined);
    call.on('data', () => call.cancel());
    call.write({ text: 'one' });
    await sleep(200);
    expect(state.bidiFinallyRan).toBe(1);
  });
});

describe('wrapService: types flow from service definitions', () => {
  it('ts-proto definitions: typed handlers, a real ts-proto client', async () => {
    const server = await startServer(
      (srv) =>
        srv.addService(
          UserServiceService,
          wrapService(UserServiceService, {
            async getUser(call) {
              if (call.request.id === 'missing') throw new PublicError('NOT_FOUND', 'user not found', { reason: 'USER_NOT_FOUND' });
              return { user: { id: call.request.id, name: 'Ada', email: 'ada@example.com' } };
            },
            renameUser(call, callback) {
              callback(null, { user: { id: call.request.id, name: call.request.name, email: '' } });
            },
          }),
        ),
      translated(),
    );
    const client = new UserServiceClient(server.address, grpc.credentials.createInsecure());
    try {
      const ok = await new Promise<unknown>((resolve, reject) => client.getUser({ id: '7' }, (e, r) => (e ? reject(e) : resolve(r))));
      expect(ok).toEqual({ user: { id: '7', name: 'Ada', email: 'ada@example.com' } });
      const renamed = await new Promise<unknown>((resolve, reject) =>
        client.renameUser({ id: '7', name: 'Grace' }, (e, r) => (e ? reject(e) : resolve(r))),
      );
      expect(renamed).toEqual({ user: { id: '7', name: 'Grace', email: '' } });
      const missing = await new Promise<grpc.ServiceError>((resolve) => client.getUser({ id: 'missing' }, (e) => resolve(e!)));
      expect(missing.code).toBe(grpc.status.NOT_FOUND);
      expect(missing.details).toBe('user not found');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('@grpc/proto-loader definitions: method names as in the proto or camelCase', async () => {
    const definition = protoLoader.loadSync('example/users/v1/users.proto', {
      includeDirs: [path.join(__dirname, '../../proto')],
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      example: { users: { v1: { UserService: grpc.ServiceClientConstructor } } };
    };
    const Service = pkg.example.users.v1.UserService;
    const server = await startServer(
      (srv) =>
        srv.addService(
          Service.service,
          wrapService(Service.service, {
            GetUser: async (call) => ({ user: { id: (call as grpc.ServerUnaryCall<{ id: string }, unknown>).request.id, name: 'Loaded' } }),
            renameUser: async () => {
              throw new Error('not today');
            },
          }),
        ),
      translated(),
    );
    const client = new Service(server.address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...a: unknown[]) => unknown>;
    try {
      const user = await new Promise((resolve, reject) =>
        client.GetUser({ id: '9' }, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))),
      );
      expect(user).toMatchObject({ user: { id: '9', name: 'Loaded' } });
      const failed = await new Promise<grpc.ServiceError>((resolve) => client.RenameUser({ id: '9' }, (e: grpc.ServiceError) => resolve(e)));
      expect(failed.code).toBe(grpc.status.INTERNAL);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('class instances keep `this`', async () => {
    class Greeter {
      private readonly greeting = 'hi';
      async unary(call: Unary) {
        return { text: `${this.greeting} ${String(call.request.text)}` };
      }
    }
    const s = await serve(wrapService(new Greeter()));
    try {
      expect((await unaryCall(s.client, { text: 'there' })).messages).toEqual([{ text: 'hi there' }]);
    } finally {
      await s.stop();
    }
  });

  it('types: requests and responses are checked against the definition (tsc verifies the expected errors)', () => {
    const wrapped = wrapService(UserServiceService, {
      async getUser(call) {
        expectTypeOf(call.request.id).toEqualTypeOf<string>();
        return { user: { id: call.request.id, name: '', email: '' } };
      },
      renameUser(call, callback) {
        expectTypeOf(call.request.name).toEqualTypeOf<string>();
        callback(null, { user: undefined });
      },
    });
    expectTypeOf(wrapped).toHaveProperty('getUser');
    const renameUser = async () => ({ user: undefined });
    // @ts-expect-error GetUserResponse has no field `usr`
    wrapService(UserServiceService, { getUser: async () => ({ usr: {} }), renameUser });
    // @ts-expect-error the callback takes a GetUserResponse
    wrapService(UserServiceService, { getUser: (_call, callback) => callback(null, { name: 'x' }), renameUser });
    // @ts-expect-error every method of the definition needs a handler
    wrapService(UserServiceService, { getUser: async () => ({ user: undefined }) });
  });

  it('rejects names that are not methods of the definition, and bad options', () => {
    expect(() => wrapService(UserServiceService, { getUsr: async () => ({}) } as never)).toThrow(
      /"getUsr" is not a method of the service; methods: getUser, renameUser/,
    );
    expect(() => wrapService({ unary: async () => ({}) }, { mapErrors: () => undefined } as never)).toThrow(/unknown option "mapErrors"/);
    expect(() => wrapService({ unary: async () => ({}) }, { mapError: 'no' } as never)).toThrow(/mapError must be a function/);
  });
});
