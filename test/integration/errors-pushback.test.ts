import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientInterceptors, decodeErrorDetails, serverInterceptors, type ResilienceEvent } from '../../src';
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
