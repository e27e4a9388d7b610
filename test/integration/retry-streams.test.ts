import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { retryClientInterceptor } from '../../src/retry/interceptor';
import type { RetryOptions } from '../../src/retry/options';
import { attemptsOf } from '../../src/retry/wire';
import type { ResilienceEvent } from '../../src/telemetry/events';
import { collectStream, echoClient, sleep, startEchoServer, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { activeChannelCalls } from '../helpers/scripted-server';

const { OK, UNAVAILABLE } = grpc.status;

/** What the server does on one attempt of a streaming method. */
interface Behavior {
  /** Send response headers first. */
  headers?: boolean;
  /** Messages written before the status. */
  messages?: number;
  /** Final code (OK ends the stream normally). */
  code: grpc.status;
  /** Client-streaming/bidi: answer as soon as the call starts, before reading anything. */
  early?: boolean;
  /** Bidi: echo every message received, then end with `code` when the client ends. */
  echo?: boolean;
}

interface StreamServer extends TestServer {
  /** Per method: what each attempt received (client-streaming/bidi) or 1 for server streaming. */
  readonly attempts: { serverStream: number; clientStream: EchoMessage[][]; bidi: EchoMessage[][] };
}

const fail = (call: { emit(event: 'error', e: unknown): unknown }, code: grpc.status) =>
  call.emit('error', { code, details: `scripted ${grpc.status[code]}` });

async function startStreamServer(script: (attempt: number) => Behavior): Promise<StreamServer> {
  const attempts = { serverStream: 0, clientStream: [] as EchoMessage[][], bidi: [] as EchoMessage[][] };
  const server = await startEchoServer({
    serverStream: (call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) => {
      const b = script(attempts.serverStream++);
      if (b.headers) call.sendMetadata(new grpc.Metadata());
      for (let i = 0; i < (b.messages ?? 0); i++) call.write({ index: i, text: 'x'.repeat(call.request.count ?? 1) });
      if (b.code === OK) call.end();
      else fail(call, b.code);
    },
    clientStream: (call: grpc.ServerReadableStream<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
      const received: EchoMessage[] = [];
      const b = script(attempts.clientStream.push(received) - 1);
      const answer = () =>
        b.code === OK ? cb(null, { texts: received.map((m) => m.text) } as EchoMessage) : cb({ code: b.code, details: 'scripted' });
      if (b.early) return answer();
      call.on('data', (m: EchoMessage) => received.push(m));
      call.on('end', answer);
    },
    bidi: (call: grpc.ServerDuplexStream<EchoMessage, EchoMessage>) => {
      const received: EchoMessage[] = [];
      const b = script(attempts.bidi.push(received) - 1);
      if (b.early) return fail(call, b.code);
      let echoed = 0;
      call.on('data', (m: EchoMessage) => {
        received.push(m);
        if (b.echo && echoed < (b.messages ?? Infinity)) {
          echoed++;
          call.write({ echo: m.text });
          if (b.code !== OK && echoed === b.messages) fail(call, b.code);
        }
      });
      call.on('end', () => (b.code === OK ? call.end() : fail(call, b.code)));
    },
  });
  return Object.assign(server, { attempts });
}

let server: StreamServer | undefined;
let client: EchoClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
  client = server = undefined;
});

async function setup(script: (attempt: number) => Behavior, options: RetryOptions = {}) {
  const events: ResilienceEvent[] = [];
  server = await startStreamServer(script);
  client = echoClient(server.address, {
    interceptors: [retryClientInterceptor({ initialBackoffMs: 5, jitter: 'none', budget: false, onEvent: (e) => events.push(e), ...options })],
  });
  return { server, client, events };
}

/** Writes `texts` with `gapMs` between them, then ends; resolves with the unary outcome. */
function clientStream(client: EchoClient, texts: string[], gapMs = 0) {
  return new Promise<{ error: grpc.ServiceError | null; response?: EchoMessage; status: grpc.StatusObject }>((resolve) => {
    let outcome: { error: grpc.ServiceError | null; response?: EchoMessage } | undefined;
    let status: grpc.StatusObject | undefined;
    const settle = () => outcome && status && resolve({ ...outcome, status });
    const call = client.clientStream((error: grpc.ServiceError | null, response?: EchoMessage) => {
      outcome = { error, response };
      settle();
    });
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      settle();
    });
    void (async () => {
      for (const text of texts) {
        await new Promise<void>((done) => call.write({ text }, () => done()));
        if (gapMs > 0) await sleep(gapMs);
      }
      call.end();
    })();
  });
}

describe('server streaming', () => {
  it('a stream failing before its first message is retried; the caller sees each message once', async () => {
    const { server, client, events } = await setup((n) => (n < 2 ? { code: UNAVAILABLE } : { code: OK, messages: 3 }));
    const result = await collectStream(client.serverStream({ id: 's' }));
    expect(result.status.code).toBe(OK);
    expect(result.messages.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(server.attempts.serverStream).toBe(3);
    expect(attemptsOf(result.status)).toBe(3);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });

  it('a stream failing after its first message is not retried, and no message is duplicated', async () => {
    const { server, client, events } = await setup(() => ({ code: UNAVAILABLE, messages: 1 }));
    const result = await collectStream(client.serverStream({ id: 's' }));
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(result.messages.map((m) => m.index)).toEqual([0]);
    expect(server.attempts.serverStream).toBe(1);
    expect(events.find((e) => e.type === 'give-up')).toMatchObject({ reason: 'committed', attempts: 1 });
  });

  it('response headers commit the call: a failure after them is not retried', async () => {
    const { server, client } = await setup(() => ({ code: UNAVAILABLE, headers: true }));
    const stream = client.serverStream({ id: 'h' });
    let headerEvents = 0;
    stream.on('metadata', () => headerEvents++);
    const result = await collectStream(stream);
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(server.attempts.serverStream).toBe(1);
    expect(headerEvents).toBe(1);
  });

  it('flow control works across attempts: a large stream after a retry arrives whole', async () => {
    const { client } = await setup((n) => (n === 0 ? { code: UNAVAILABLE } : { code: OK, messages: 300 }));
    const result = await collectStream(client.serverStream({ id: 'big', count: 4_096 }));
    expect(result.status.code).toBe(OK);
    expect(result.messages).toHaveLength(300);
    expect(result.messages.map((m) => m.index)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});

describe('client streaming and bidi', () => {
  it('pass through unretried by default', async () => {
    const { server, client } = await setup(() => ({ code: UNAVAILABLE }));
    expect((await clientStream(client, ['a', 'b'])).status.code).toBe(UNAVAILABLE);
    expect(server.attempts.clientStream).toHaveLength(1);
    const bidi = client.bidi();
    bidi.write({ text: 'a' });
    bidi.end();
    expect((await collectStream(bidi)).status.code).toBe(UNAVAILABLE);
    expect(server.attempts.bidi).toHaveLength(1);
  });

  it('with bufferClientStreams, a failed client stream is replayed whole to the next attempt', async () => {
    const { server, client } = await setup((n) => ({ code: n === 0 ? UNAVAILABLE : OK }), { bufferClientStreams: { maxBytes: 1_024 } });
    const result = await clientStream(client, ['a', 'b', 'c']);
    expect(result.status.code).toBe(OK);
    expect(result.response).toEqual({ texts: ['a', 'b', 'c'] });
    expect(server.attempts.clientStream.map((r) => r.map((m) => m.text))).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
  });

  it('messages written during the backoff reach the next attempt once, in order', async () => {
    const { server, client } = await setup((n) => (n === 0 ? { code: UNAVAILABLE, early: true } : { code: OK }), {
      bufferClientStreams: { maxBytes: 1_024 },
      initialBackoffMs: 25,
    });
    const result = await clientStream(client, ['m1', 'm2', 'm3', 'm4'], 15);
    expect(result.status.code).toBe(OK);
    expect(result.response).toEqual({ texts: ['m1', 'm2', 'm3', 'm4'] });
    expect(server.attempts.clientStream).toHaveLength(2);
    expect(server.attempts.clientStream[1].map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(activeChannelCalls(client)).toBe(0);
  });

  it('a stream larger than maxBytes is not retried (the buffer is dropped)', async () => {
    const { server, client, events } = await setup((n) => ({ code: n === 0 ? UNAVAILABLE : OK }), { bufferClientStreams: { maxBytes: 40 } });
    const result = await clientStream(client, ['x'.repeat(20), 'y'.repeat(20), 'z'.repeat(20)]);
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(server.attempts.clientStream).toHaveLength(1);
    expect(events.find((e) => e.type === 'give-up')).toMatchObject({ reason: 'committed' });
  });

  it('bidi with buffering: retried before any response, never after one', async () => {
    const { server, client } = await setup((n) => (n === 0 ? { code: UNAVAILABLE, early: true } : { code: OK, echo: true }), {
      bufferClientStreams: { maxBytes: 1_024 },
    });
    const bidi = client.bidi();
    bidi.write({ text: 'a' });
    bidi.write({ text: 'b' });
    bidi.end();
    const ok = await collectStream(bidi);
    expect(ok.status.code).toBe(OK);
    expect(ok.messages).toEqual([{ echo: 'a' }, { echo: 'b' }]);
    expect(server.attempts.bidi).toHaveLength(2);

    const again = await setupAgain({ code: UNAVAILABLE, echo: true, messages: 1 });
    const stream = again.client.bidi();
    stream.write({ text: 'c' });
    const result = await collectStream(stream);
    expect(result.status.code).toBe(UNAVAILABLE);
    expect(result.messages).toEqual([{ echo: 'c' }]);
    expect(again.server.attempts.bidi).toHaveLength(1);
  });
});

/** A fresh server answering `behavior` to every attempt, and a fresh client with buffering. */
async function setupAgain(behavior: Behavior): Promise<{ server: StreamServer; client: EchoClient }> {
  client?.close();
  await server?.close();
  server = await startStreamServer(() => behavior);
  client = echoClient(server.address, {
    interceptors: [retryClientInterceptor({ initialBackoffMs: 5, jitter: 'none', budget: false, bufferClientStreams: { maxBytes: 1_024 } })],
  });
  return { server, client };
}
