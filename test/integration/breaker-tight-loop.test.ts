import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientInterceptors, type ResilienceEvent } from '../../src';
import { echoClient, startEchoServer, unary, type TestServer } from '../helpers';

describe('locally failed calls never starve timers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startEchoServer({
      unary: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNAVAILABLE, details: 'down' }),
    });
  });
  afterAll(() => server.close());

  it('a caller looping on an open breaker still lets the reset timer fire (the breaker half-opens mid-loop)', async () => {
    const events: ResilienceEvent[] = [];
    const stack = clientInterceptors({
      retry: false,
      breaker: { volumeThreshold: 5, resetTimeoutMs: 100 },
      onEvent: (e) => events.push(e),
    });
    const client = echoClient(server.address, { interceptors: stack });
    let ticks = 0;
    const interval = setInterval(() => ticks++, 20);
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < 600) {
      await unary(client, {});
      calls++;
    }
    clearInterval(interval);
    client.close();
    stack.dispose();
    const transitions = events.flatMap((e) => (e.type === 'breaker-state' ? [`${e.from}>${e.to}`] : []));
    expect(calls).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThanOrEqual(10); // ~30 expected; a starved loop gives ~1
    expect(transitions).toContain('open>half-open');
  });
});
