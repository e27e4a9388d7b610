import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPTS_KEY, attemptsOf, clientInterceptors, DEGRADED_KEY, isDegraded, type ClientStack } from '../../src';
import { closeAll, ECHO_PATHS, echoClient, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';

/**
 * `isDegraded()` and `attemptsOf()` report what this client did. A server sending the trailers
 * the client stack writes (`x-resilience-degraded: fallback`, `x-resilience-attempts: 7`) must not
 * make a normal answer look degraded or retried.
 */

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;

function spoofedTrailers(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(DEGRADED_KEY, 'fallback');
  metadata.set(ATTEMPTS_KEY, '7');
  return metadata;
}

describe('trailers a server sends cannot pose as the client stack’s markers', () => {
  let server: TestServer;
  const failuresLeft = new Map<string, number>();
  const clients: Record<string, EchoClient> = {};
  let stack: ClientStack;

  beforeAll(async () => {
    server = await startEchoServer({
      unary: (call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => {
        const id = String(call.request.id);
        const left = failuresLeft.get(id) ?? Number(call.request.failTimes ?? 0);
        failuresLeft.set(id, left - 1);
        if (left > 0) return callback({ code: grpc.status.UNAVAILABLE, details: 'busy', metadata: spoofedTrailers() });
        callback(null, { id }, spoofedTrailers());
      },
      // Always fails with the spoofed trailers; the client answers it from a fallback.
      write: (_call: Unary, callback: grpc.sendUnaryData<EchoMessage>) =>
        callback({ code: grpc.status.INTERNAL, details: 'down', metadata: spoofedTrailers() }),
    });
    stack = clientInterceptors({
      retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 },
      breaker: false,
      fallback: { [ECHO_PATHS.write]: () => ({ text: 'from the fallback' }) },
    });
    clients.stack = echoClient(server.address, { interceptors: stack });
    clients.plain = echoClient(server.address);
  });
  afterAll(() => closeAll(clients.stack, clients.plain, stack, server));

  for (const name of ['stack', 'plain']) {
    it(`${name} client: a normal OK answer is neither degraded nor retried`, async () => {
      const result = await unary(clients[name], { id: `${name}-ok` });
      expect(result.status.code).toBe(grpc.status.OK);
      expect(isDegraded(result.status)).toBe(false);
      expect(isDegraded(result.status.metadata)).toBe(false);
      expect(attemptsOf(result.status)).toBe(1);
      expect(attemptsOf(result.status.metadata)).toBe(1);
    });
  }

  it('plain client: a failure with the trailers is neither degraded nor retried', async () => {
    const result = await unary(clients.plain, { id: 'plain-fail', failTimes: 1 });
    expect(result.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(isDegraded(result.error)).toBe(false);
    expect(attemptsOf(result.error)).toBe(1);
  });

  it('stack client: a call retried once reports 2 attempts, not the server’s 7', async () => {
    const result = await unary(clients.stack, { id: 'stack-retried', failTimes: 1 });
    expect(result.status.code).toBe(grpc.status.OK);
    expect(attemptsOf(result.status)).toBe(2);
    expect(isDegraded(result.status)).toBe(false);
  });

  it('stack client: a fallback answer is degraded and reports the attempts made', async () => {
    const result = await unary(clients.stack, { id: 'stack-fallback' }, { method: 'write' });
    expect(result.response).toEqual({ text: 'from the fallback' });
    expect(isDegraded(result.status)).toBe(true);
    // INTERNAL is not retried for a non-idempotent method: one attempt.
    expect(attemptsOf(result.status)).toBe(1);
  });
});
