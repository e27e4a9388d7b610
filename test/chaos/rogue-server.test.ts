import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { afterAll, expect, it } from 'vitest';
import { clientInterceptors, decodeErrorDetails, describeServiceError, encodeRichStatus } from '../../src';
import { retryInfoDetail } from '../../src/details';
import { seededRandom, type Random } from '../../src/testing';
import { closeAll, ECHO_PATHS, echoClient, unary, type EchoClient } from '../helpers';
import { figure, watchUnhandled } from '../helpers/chaos';
import { grpcFrame, startRogueServer, type RogueServer } from '../helpers/raw-http2';

// Scenario 7b: a misbehaving server (plain node:http2) answers calls made through the full client
// stack with arbitrary statuses, messages, trailers, rogue `grpc-status-details-bin`, bogus
// pushback, spoofed resilience markers, broken frames, HTTP errors and stream resets. Every call
// must end on time with a status, `decodeErrorDetails` / `describeServiceError` must never throw,
// nothing may go unhandled, and nothing the server sent may come back to it in a later request.
const ANSWERS = 2_500;
const CONCURRENCY = 25;
const DEADLINE_MS = 1_000;
/** A call ends by its deadline; this much slack for timers on a busy host. */
const SLACK_MS = 150;
const SEED = 77;

let rogue: RogueServer | undefined;
let client: EchoClient | undefined;
let stack: ReturnType<typeof clientInterceptors> | undefined;

afterAll(() => closeAll(client, stack, rogue));

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const bytes = (random: Random, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
const printable = (random: Random, n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');

/** google.rpc.Status lookalikes: random bytes, truncated or inconsistent encodings, wrong Any contents. */
const rogueDetails: Array<(r: Random, t: string) => Buffer> = [
  (r) => bytes(r, 1 + Math.floor(r() * 200)),
  (r, t) => encodeRichStatus(14, t, [retryInfoDetail(Math.floor(r() * 1e6))]).subarray(0, Math.floor(r() * 40)),
  (r, t) => encodeRichStatus(Math.floor(r() * 100), `${t}${printable(r, 50)}`, []),
  (r, t) => {
    // An Any whose type URL says RetryInfo but whose value is garbage.
    const url = Buffer.from('type.googleapis.com/google.rpc.RetryInfo');
    const value = bytes(r, 20);
    const any = Buffer.concat([Buffer.from([0x0a, url.length]), url, Buffer.from([0x12, value.length]), value]);
    return Buffer.concat([Buffer.from([0x08, 14, 0x12, t.length]), Buffer.from(t), Buffer.from([0x1a, any.length]), any]);
  },
  (r, t) => Buffer.concat([Buffer.from([0x1a, 0xff, 0xff, 0xff, 0x0f]), Buffer.from(t), bytes(r, 10)]), // length far beyond the end
  (r, t) => Buffer.from(`not protobuf ${t} ${printable(r, 30)}`),
  () => Buffer.alloc(70_000, 0x1a), // deep nesting of empty Anys
];

/** One rogue answer, built from the seed of the request it answers. */
function answer(r: Random, t: string, stream: http2.ServerHttp2Stream): string {
  const status = pick(r, ['0', '1', '2', '4', '8', '13', '14', '16', '17', '99', '-1', 'abc', '1e3', '', t]);
  const trailers: http2.OutgoingHttpHeaders = {};
  if (status !== '') trailers['grpc-status'] = status;
  if (r() < 0.6) trailers['grpc-message'] = pick(r, [t, `%zz${t}%`, `${t}${printable(r, 500)}`, encodeURIComponent(`ü ${t}`)]);
  if (r() < 0.5) trailers['grpc-status-details-bin'] = pick(r, rogueDetails)(r, t).toString('base64');
  if (r() < 0.2) trailers['grpc-status-details-bin'] = `!!${t}!!`; // not base64 at all
  if (r() < 0.4) trailers['grpc-retry-pushback-ms'] = pick(r, ['-1', '0', '5', '20', 'abc', '1e3', '99999999999', t, ' 7']);
  if (r() < 0.15) trailers['x-resilience-local'] = pick(r, ['breaker-open', 'deadline', t]);
  if (r() < 0.1) trailers['x-resilience-degraded'] = 'fallback';
  if (r() < 0.1) trailers['grpc-previous-rpc-attempts'] = pick(r, ['2', t]);
  if (r() < 0.3) trailers[`x-${t}`] = t;

  const shape = pick(r, ['trailers-only', 'trailers-only', 'full', 'full', 'bad-frame', 'http-error', 'reset', 'no-status-end']);
  const base = { ':status': 200, 'content-type': 'application/grpc' };
  switch (shape) {
    case 'trailers-only':
      stream.respond({ ...base, ...trailers }, { endStream: true });
      break;
    case 'full':
    case 'bad-frame': {
      stream.respond(base, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      const payload = Buffer.from(JSON.stringify({ id: t }));
      const frame =
        shape === 'full'
          ? grpcFrame(payload)
          : pick(r, [grpcFrame(payload, { declaredLength: 1e6 }), grpcFrame(Buffer.from(`{${t}`)), grpcFrame(payload, { flag: 1 }), Buffer.from([0, 0])]);
      stream.end(frame);
      break;
    }
    case 'http-error':
      stream.respond({ ':status': pick(r, [400, 401, 403, 404, 429, 500, 502, 503, 504]), 'content-type': pick(r, ['text/html', 'application/grpc']), ...trailers }, { endStream: true });
      break;
    case 'reset':
      stream.close(pick(r, [http2.constants.NGHTTP2_REFUSED_STREAM, http2.constants.NGHTTP2_CANCEL, http2.constants.NGHTTP2_INTERNAL_ERROR, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 99]));
      break;
    default: // headers and a message, then the stream just ends without any status
      stream.respond(base);
      stream.end(grpcFrame(Buffer.from('{}')));
  }
  return shape;
}

it(`${ANSWERS.toLocaleString('en')} rogue answers through the client stack: no crash, no hang, error helpers never throw`, async () => {
  const watch = watchUnhandled();
  const shapes: Record<string, number> = {};
  const tokens: string[] = [];
  let served = 0;
  rogue = await startRogueServer((stream) => {
    const n = served++;
    const r = seededRandom(SEED * 1_000_003 + n);
    const token = `zq${n.toString(36)}r${Math.floor(r() * 1e6).toString(36)}`;
    tokens.push(token);
    const shape = answer(r, token, stream);
    shapes[shape] = (shapes[shape] ?? 0) + 1;
  });
  // The default stack with a fallback; no breaker, so every call reaches the rogue server.
  stack = clientInterceptors({
    breaker: false,
    retry: { maxAttempts: 3, initialBackoffMs: 5, budget: false },
    fallback: { [ECHO_PATHS.write]: () => ({ fallback: true }) },
  });
  client = echoClient(rogue.address, { interceptors: stack });

  const codes: Record<string, number> = {};
  const helperErrors: string[] = [];
  /** Errors describeServiceError could not describe at all. */
  let undescribable = 0;
  const late: number[] = [];
  let malformedDetails = 0;
  let calls = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (served < ANSWERS) {
        const i = calls++;
        const deadline = Date.now() + DEADLINE_MS;
        const r = await unary(client!, { id: `n${i}` }, { method: i % 3 === 0 ? 'write' : 'unary', callOptions: { deadline } });
        if (Date.now() - deadline > SLACK_MS) late.push(Date.now() - deadline);
        const code = r.error ? r.error.code : r.status.code;
        const name = grpc.status[code] ?? String(code);
        codes[name] = (codes[name] ?? 0) + 1;
        if (!r.error) continue;
        try {
          const decoded = decodeErrorDetails(r.error);
          if (decoded.malformed) malformedDetails++;
          JSON.stringify(decoded);
          const described = describeServiceError(r.error as unknown, { method: ECHO_PATHS.unary });
          // A code grpc-js could not parse (NaN, undefined) is described as UNKNOWN.
          const expected = Number.isInteger(r.error.code) ? r.error.code : grpc.status.UNKNOWN;
          if (described === undefined) undescribable++;
          else if (described.code !== expected) helperErrors.push(`describe code ${described.code} ≠ ${r.error.code}`);
          JSON.stringify(described); // a description must be loggable
        } catch (error) {
          helperErrors.push(String(error));
        }
      }
    }),
  );
  const unhandled = watch.stop();
  // Nothing a rogue answer carried was sent back in a later request (headers of every request).
  const echoedBack = rogue.requests.filter((h) => JSON.stringify(h).includes('zq')).length;

  figure('rogue-server', {
    answers: served,
    calls,
    shapes,
    clientCodes: codes,
    malformedDetails,
    helperErrors: helperErrors.length,
    undescribable,
    late: late.length,
    unhandled: unhandled.length,
    echoedBack,
  });

  expect(served).toBeGreaterThanOrEqual(ANSWERS);
  expect(unhandled).toEqual([]);
  expect(helperErrors.slice(0, 5)).toEqual([]);
  expect(undescribable).toBe(0);
  expect(late).toEqual([]);
  expect(echoedBack).toBe(0);
  expect(malformedDetails).toBeGreaterThan(0); // the rogue details did reach the helpers
}, 60_000);
