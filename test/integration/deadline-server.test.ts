import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callContextServerInterceptor } from '../../src/context/server-interceptor';
import { deadlineServerInterceptor, type DeadlineServerOptions } from '../../src/deadline';
import type { ResilienceEvent } from '../../src/telemetry';
import { ECHO_PATHS, echoClient, startEchoServer, type EchoClient, type TestServer } from '../helpers';
import { answeringImpl, CALL_KINDS, callKind } from '../helpers/call-kinds';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const traceparent = () => {
  const md = new grpc.Metadata();
  md.set('traceparent', `00-${TRACE}-b7ad6b7169203331-01`);
  return md;
};

/**
 * Metadata that makes the server see a deadline that has already passed on arrival: grpc-js sends a
 * hand-set `grpc-timeout` as is when the call has no deadline of its own.
 */
function expiredOnArrival(): grpc.Metadata {
  const md = traceparent();
  md.set('grpc-timeout', '0m');
  return md;
}

describe('deadline server interceptor (real servers)', () => {
  const servers: TestServer[] = [];
  const clients: grpc.Client[] = [];
  let handled = 0;
  const events: ResilienceEvent[] = [];

  async function start(options: DeadlineServerOptions | undefined): Promise<EchoClient> {
    const impl = answeringImpl(() => {
      handled++;
      return {};
    });
    const interceptors = options ? [callContextServerInterceptor(), deadlineServerInterceptor(options)] : [];
    const server = await startEchoServer(impl, { interceptors });
    servers.push(server);
    const client = echoClient(server.address);
    clients.push(client);
    return client;
  }

  let shedding: EchoClient;
  let perMethod: EchoClient;
  let unprotected: EchoClient;

  beforeAll(async () => {
    shedding = await start({ minRemainingMs: 100, onEvent: (e) => events.push(e) });
    perMethod = await start({ minRemainingMs: 5000, methods: { [ECHO_PATHS.unary]: { minRemainingMs: 0 } } });
    unprotected = await start(undefined);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.close();
  });

  for (const kind of CALL_KINDS) {
    it(`${kind}: a call expired on arrival is rejected, the handler never runs`, async () => {
      const before = handled;
      const { status, messages } = await callKind(shedding, kind, {}, { metadata: expiredOnArrival() });
      expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(messages).toEqual([]);
      expect(handled).toBe(before);
    });

    it(`${kind}: a call with less than minRemainingMs left is shed with an event and the trace id`, async () => {
      const before = handled;
      events.length = 0;
      const { status } = await callKind(shedding, kind, {}, { metadata: traceparent(), callOptions: { deadline: Date.now() + 50 } });
      expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(status.details).toMatch(/^Deadline too close on arrival: \d+ ms left, the server needs at least 100 ms; the handler was not run$/);
      expect(status.metadata.get('x-trace-id')).toEqual([TRACE]); // the context interceptor outside us still runs
      expect(handled).toBe(before);
      expect(events).toEqual([
        { type: 'deadline-shed', method: ECHO_PATHS[kind], remainingMs: expect.any(Number), traceId: TRACE },
      ]);
      expect((events[0] as { remainingMs: number }).remainingMs).toBeLessThanOrEqual(50);
    });

    it(`${kind}: a call with enough time, or with no deadline, runs`, async () => {
      const before = handled;
      expect((await callKind(shedding, kind, {}, { callOptions: { deadline: Date.now() + 5000 } })).status.code).toBe(grpc.status.OK);
      expect((await callKind(shedding, kind, {})).status.code).toBe(grpc.status.OK);
      expect(handled).toBe(before + 2);
    });
  }

  it('control: without the interceptor the handler of an expired unary call does run', async () => {
    const before = handled;
    await callKind(unprotected, 'unary', {}, { metadata: expiredOnArrival() });
    expect(handled).toBe(before + 1);
  });

  it('applies per-method minimums', async () => {
    const deadline = () => ({ callOptions: { deadline: Date.now() + 2000 } });
    expect((await callKind(perMethod, 'unary', {}, deadline())).status.code).toBe(grpc.status.OK);
    expect((await callKind(perMethod, 'serverStream', {}, deadline())).status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('decides with the injected clock', async () => {
    const ahead = await start({ now: () => Date.now() + 1000 });
    expect((await callKind(ahead, 'unary', {}, { callOptions: { deadline: Date.now() + 500 } })).status.code).toBe(
      grpc.status.DEADLINE_EXCEEDED,
    );
    expect((await callKind(ahead, 'unary', {}, { callOptions: { deadline: Date.now() + 5000 } })).status.code).toBe(grpc.status.OK);
  });

  it('rejects invalid options at construction, naming them', () => {
    expect(() => deadlineServerInterceptor({ minRemainingMs: -5 })).toThrow(/deadline\.minRemainingMs/);
    expect(() => deadlineServerInterceptor({ methods: { '/a.B/C': { min: 1 } as never } })).toThrow(
      /deadline\.methods\["\/a\.B\/C"\]: unknown option "min"/,
    );
    expect(() => deadlineServerInterceptor({ minRemaining: 1 } as never)).toThrow(/deadline: unknown option "minRemaining"/);
  });
});
