import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientInterceptors,
  decodeErrorDetails,
  describeServiceError,
  encodeRichStatus,
  serverInterceptors,
  STATUS_DETAILS_KEY,
  type ResilienceEvent,
} from '../../src';
import { PUSHBACK_KEY } from '../../src/retry';
import { startRogueServer, type RogueServer } from '../helpers/raw-http2';
import { echoClient, startEchoServer, unary, type EchoMessage, type TestServer } from '../helpers';

/** A callback-style handler picking RESOURCE_EXHAUSTED with a pushback trailer, the grpc-js way. */
function overloaded(pushback: string) {
  let calls = 0;
  return {
    calls: () => calls,
    impl: {
      unary: (_call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
        calls++;
        if (calls > 1) return cb(null, { ok: true });
        const metadata = new grpc.Metadata();
        metadata.set('grpc-retry-pushback-ms', pushback);
        metadata.set('x-internal-shard', 'db-7.internal');
        cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'shard db-7 over quota', metadata });
      },
    },
  };
}

describe('a retry hint picked the grpc-js way survives translation', () => {
  let server: TestServer;
  let state: ReturnType<typeof overloaded>;
  beforeAll(async () => {
    state = overloaded('40');
    server = await startEchoServer(state.impl, { interceptors: serverInterceptors({ errors: { logger: false } }) });
  });
  afterAll(() => server.close());

  it('keeps the code and the pushback (as trailer and RetryInfo), drops the message and other trailers', async () => {
    const bare = echoClient(server.address);
    const r = await unary(bare, {});
    bare.close();
    expect(r.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(r.error?.details).not.toContain('db-7');
    expect(r.error?.metadata.get('grpc-retry-pushback-ms')).toEqual(['40']);
    expect(r.error?.metadata.get('x-internal-shard')).toEqual([]);
    const details = decodeErrorDetails(r.error!);
    expect(details.retryInfo?.retryDelay).toEqual({ seconds: 0, nanos: 40_000_000 });
  });

  it('so the client stack retries after the pushback', async () => {
    const fresh = overloaded('40');
    const s = await startEchoServer(fresh.impl, { interceptors: serverInterceptors({ errors: { logger: false } }) });
    const events: ResilienceEvent[] = [];
    const stack = clientInterceptors({ breaker: false, onEvent: (e) => events.push(e) });
    const client = echoClient(s.address, { interceptors: stack });
    const r = await unary(client, {});
    client.close();
    await s.close();
    expect(r.status.code).toBe(grpc.status.OK);
    expect(fresh.calls()).toBe(2);
    expect(events.find((e) => e.type === 'retry')).toMatchObject({ pushback: true, delayMs: 40 });
  });

  it('keeps a "do not retry" pushback', async () => {
    const stop = overloaded('-1');
    const s = await startEchoServer(stop.impl, { interceptors: serverInterceptors({ errors: { logger: false } }) });
    const client = echoClient(s.address);
    const r = await unary(client, {});
    client.close();
    await s.close();
    expect(r.error?.metadata.get('grpc-retry-pushback-ms')).toEqual(['-1']);
  });
});

describe('one reading of retry hints: describeServiceError agrees with the retry interceptor', () => {
  /** Rogue hints: each would make a naive reader wait an odd delay or retry when it must not. */
  const HINTS: Record<string, Record<string, string | string[]>> = {
    'negative RetryInfo': {
      [STATUS_DETAILS_KEY]: Buffer.from(
        encodeRichStatus(grpc.status.UNAVAILABLE, 'busy', [{ type: 'RetryInfo', value: { retryDelay: { seconds: -5, nanos: 0 } } }]),
      ).toString('base64'),
    },
    'pushback abc': { [PUSHBACK_KEY]: 'abc' },
    'pushback 1e3': { [PUSHBACK_KEY]: '1e3' },
    'multi-valued pushback': { [PUSHBACK_KEY]: ['10', '20'] },
    'pushback -1': { [PUSHBACK_KEY]: '-1' },
  };
  let rogue: RogueServer;
  beforeAll(async () => {
    // A Trailers-Only UNAVAILABLE (retried by default) with the hint the path names; `valid` asks for 5 ms.
    rogue = await startRogueServer((stream, headers) => {
      const name = decodeURIComponent(String(headers[':path']).split('/').pop() ?? '');
      const hint = HINTS[name] ?? { [PUSHBACK_KEY]: '5' };
      const status = { 'grpc-status': '14', 'grpc-message': 'busy', ...hint };
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...status }, { endStream: true });
    });
  });
  afterAll(() => rogue.close());

  async function callWithRetries(name: string): Promise<{ error: grpc.ServiceError; attempts: number }> {
    const stack = clientInterceptors({ retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 }, breaker: false });
    const client = new grpc.Client(rogue.address, grpc.credentials.createInsecure(), { interceptors: stack });
    const path = `/rogue.v1.S/${encodeURIComponent(name)}`;
    const before = rogue.requests.length;
    try {
      const error = await new Promise<grpc.ServiceError>((resolve) =>
        client.makeUnaryRequest(path, (v: Buffer) => v, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e!)),
      );
      return { error, attempts: rogue.requests.length - before };
    } finally {
      client.close();
      stack.dispose();
    }
  }

  for (const name of Object.keys(HINTS)) {
    it(`${name}: one attempt, and described as not retryable, with no delay`, async () => {
      const { error, attempts } = await callWithRetries(name);
      expect(error.code).toBe(grpc.status.UNAVAILABLE);
      expect(attempts).toBe(1);
      const described = describeServiceError(error);
      expect(described.retryable).toBe(false);
      expect(described.retryDelayMs).toBeUndefined();
    });
  }

  it('a valid pushback: retried after it, and described as retryable after 5 ms', async () => {
    const { error, attempts } = await callWithRetries('valid');
    expect(attempts).toBe(3);
    expect(describeServiceError(error)).toMatchObject({ retryable: true, retryDelayMs: 5 });
  });
});
