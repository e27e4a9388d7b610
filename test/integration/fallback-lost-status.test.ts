import * as http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientInterceptors, isDegraded } from '../../src';
import { ECHO_PATHS, echoClient, unary } from '../helpers';
import { grpcFrame, startRogueServer, type RogueServer } from '../helpers/raw-http2';

describe('unary fallback when the response arrived but the status was lost', () => {
  let server: RogueServer;
  beforeAll(async () => {
    // Answers headers and one response message, then resets the stream before any trailers.
    server = await startRogueServer((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.write(grpcFrame(Buffer.from(JSON.stringify({ id: 'partial' }))), () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    });
  });
  afterAll(() => server.close());

  it('grpc-js discards the message and fails the call, so the fallback answers', async () => {
    const stack = clientInterceptors({ retry: false, breaker: false, fallback: { [ECHO_PATHS.unary]: () => ({ id: 'fallback' }) } });
    const client = echoClient(server.address, { interceptors: stack });
    const r = await unary(client, {});
    client.close();
    expect(r.error).toBeUndefined();
    expect(r.response).toEqual({ id: 'fallback' });
    expect(isDegraded(r.status)).toBe(true);
  });

  it('control: without a fallback the caller gets the failure, not the message', async () => {
    const client = echoClient(server.address, { interceptors: clientInterceptors({ retry: false, breaker: false }) });
    const r = await unary(client, {});
    client.close();
    expect(r.response).toBeUndefined();
    expect(r.error?.code).toBe(13);
  });
});
