import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callContextServerInterceptor } from '../../src/context/server-interceptor';
import { STATUS_DETAILS_KEY, encodeRichStatus, retryInfoDetail } from '../../src/details';
import { errorTranslationServerInterceptor, wrapService } from '../../src/errors';
import { echoClient, startEchoServer, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { visibleText } from '../helpers/leak-check';
import { callAny, type CallType, type Observed } from '../helpers/stream-calls';

/**
 * Leak fuzz: 10,000 internal errors whose message, stack, cause, custom properties, `details`,
 * `metadata` and numeric `code` carry a unique marker, raised every way in all four call types,
 * on four servers (wrapService async style, wrapService callback style, plain grpc-js handlers, all
 * under the translator, and wrapService callback style alone), plus downstream-shaped errors,
 * errors whose code is 0 (`0`, `-0`, a getter that turns 0) and statuses picked the grpc-js way with
 * trailers. No marker may reach the client; every call must end with an error status (a hang would
 * end in DEADLINE_EXCEEDED, which is never expected here; OK would hide the failure).
 *
 * `LEAK_FUZZ_CALLS=100000 npx vitest run test/integration/errors-leak-fuzz.test.ts` runs a larger fuzz;
 * the summary line gives calls, leaks and calls ending OK after an error.
 */

const TOTAL = Number(process.env.LEAK_FUZZ_CALLS ?? 10_000);
const BATCH = 250;
const MARKER = /zq\d+q[0-9a-f]+/i;

type Kind =
  | 'error'
  | 'coded'
  | 'string'
  | 'object'
  | 'downstream'
  | 'wrapped-downstream'
  | 'undefined'
  | 'hostile'
  | 'zero'
  | 'zero-literal'
  | 'negative-zero'
  | 'zero-getter'
  | 'legacy';
const KINDS: readonly Kind[] = [
  'error',
  'coded',
  'string',
  'object',
  'downstream',
  'wrapped-downstream',
  'undefined',
  'hostile',
  'zero',
  'zero-literal',
  'negative-zero',
  'zero-getter',
  'legacy',
];

/** `alone`: wrapService callback style without the translator. */
type ServerName = 'wrapped' | 'callback' | 'raw' | 'alone';
interface Combo {
  readonly server: ServerName;
  readonly type: CallType;
  readonly style: string;
}
const COMBOS: readonly Combo[] = [
  ...(['throw', 'reject'] as const).map((style) => ({ server: 'wrapped' as const, type: 'unary' as const, style })),
  ...['throw', 'reject', 'generator', 'partial'].map((style) => ({ server: 'wrapped' as const, type: 'serverStream' as const, style })),
  ...['throw', 'reject'].map((style) => ({ server: 'wrapped' as const, type: 'clientStream' as const, style })),
  ...['throw', 'reject', 'partial'].map((style) => ({ server: 'wrapped' as const, type: 'bidi' as const, style })),
  ...(['callback', 'alone'] as const).flatMap((server) => [
    { server, type: 'unary' as const, style: 'callback' },
    { server, type: 'unary' as const, style: 'callback-sync' },
    { server, type: 'unary' as const, style: 'callback-trailers' },
    { server, type: 'clientStream' as const, style: 'callback' },
    { server, type: 'serverStream' as const, style: 'emit' },
    { server, type: 'bidi' as const, style: 'emit' },
  ]),
  ...(['unary', 'clientStream'] as const).flatMap((type) =>
    ['raw-callback', 'raw-throw'].map((style) => ({ server: 'raw' as const, type, style })),
  ),
  ...(['serverStream', 'bidi'] as const).flatMap((type) => ['raw-emit', 'raw-throw'].map((style) => ({ server: 'raw' as const, type, style }))),
];

interface Spec extends Combo {
  readonly kind: Kind;
  readonly marker: string;
  readonly code: number;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildSpecs(): Spec[] {
  const random = prng(20260527);
  const specs: Spec[] = [];
  const pick = <T,>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  // Every combination at least once, then random ones.
  const pairs = COMBOS.flatMap((combo) => KINDS.map((kind) => ({ combo, kind })));
  for (let i = 0; i < TOTAL; i++) {
    let { combo, kind } = i < pairs.length ? pairs[i] : { combo: pick(COMBOS), kind: pick(KINDS) };
    // callback(undefined) is grpc-js for "success without a value", not a failure.
    if (combo.style.includes('callback') && kind === 'undefined') kind = 'string';
    const marker = `ZQ${i}Q${Math.floor(random() * 2 ** 32).toString(16)}`;
    // In-range codes sometimes (a status the grpc-js way), a marker number otherwise.
    const code = random() < 0.5 ? 1 + Math.floor(random() * 16) : 100_000 + i;
    specs.push({ ...combo, kind, marker, code });
  }
  return specs;
}

/** Downstream-shaped: what a failed outgoing call rejects with, secrets everywhere. */
function downstreamError(spec: Spec): grpc.ServiceError {
  const code = spec.code <= 16 ? spec.code : grpc.status.UNAVAILABLE;
  const metadata = new grpc.Metadata();
  metadata.set(`x-secret-${spec.marker.toLowerCase()}`, spec.marker);
  metadata.set(
    STATUS_DETAILS_KEY,
    encodeRichStatus(code, spec.marker, [
      { type: 'ErrorInfo', value: { reason: 'LEAK', domain: spec.marker, metadata: { m: spec.marker } } },
      retryInfoDetail(25),
    ]),
  );
  return Object.assign(new Error(`${code} ${spec.marker}`), { code, details: spec.marker, metadata });
}

function secretTrailers(marker: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('x-secret', marker);
  metadata.set(`x-${marker.toLowerCase()}`, 'key carries the marker');
  return metadata;
}

function makeError(spec: Spec): unknown {
  const m = spec.marker;
  switch (spec.kind) {
    case 'error': {
      const metadata = new grpc.Metadata();
      metadata.set('x-secret', m);
      metadata.set('x-secret-bin', Buffer.from(m));
      metadata.set(`x-${m.toLowerCase()}`, 'key carries the marker');
      const error = Object.assign(new Error(`db failed ${m}`, { cause: new Error(`root cause ${m}`) }), {
        code: 100_000 + Number(m.slice(2, m.indexOf('Q', 2))),
        details: `details ${m}`,
        metadata,
        secret: m,
      });
      error.name = `Err${m}`;
      error.stack = `Err${m}: db failed\n    at secret (/srv/${m}.js:1:1)`;
      return error;
    }
    case 'coded':
      return Object.assign(new Error(`coded ${m}`), { code: spec.code, details: `details ${m}`, metadata: new grpc.Metadata() });
    case 'string':
      return `thrown string ${m}`;
    case 'object':
      return { message: `object ${m}`, code: spec.code, details: `details ${m}`, metadata: { secret: m }, [m]: m };
    case 'downstream':
      return downstreamError(spec);
    case 'wrapped-downstream':
      return new Error(`B failed ${m}`, { cause: downstreamError(spec) });
    case 'undefined':
      return undefined;
    case 'zero':
      return Object.assign(new Error(`zero ${m}`), { code: 0, metadata: secretTrailers(m) });
    case 'zero-literal':
      return { code: 0, details: `zero ${m}`, metadata: secretTrailers(m) };
    case 'negative-zero':
      return Object.assign(new Error(`negative zero ${m}`), { code: -0, details: `details ${m}`, metadata: secretTrailers(m) });
    case 'zero-getter': {
      // Reads 13 for grpc-js's two checks, then 0 for the value it keeps.
      let reads = 0;
      return {
        get code() {
          return ++reads <= 2 ? 13 : 0;
        },
        details: `getter ${m}`,
        metadata: secretTrailers(m),
      };
    }
    case 'legacy':
      return { code: spec.code <= 16 ? spec.code : grpc.status.NOT_FOUND, details: `legacy ${m}`, metadata: secretTrailers(m) };
    case 'hostile':
      return new Proxy(new Error(m), {
        get(target, key) {
          if (key === 'then') return undefined;
          throw new Error(`trap ${m} ${String(key)}`);
        },
        has() {
          throw new Error(`trap ${m}`);
        },
      });
  }
}

const specs = buildSpecs();
const specOf = (call: { metadata: grpc.Metadata }): Spec => specs[Number(call.metadata.get('x-fuzz-id')[0])];
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;
type Reader = grpc.ServerReadableStream<EchoMessage, EchoMessage>;
type Writer = grpc.ServerWritableStream<EchoMessage, EchoMessage>;
type Duplex = grpc.ServerDuplexStream<EchoMessage, EchoMessage>;
type Callback = grpc.sendUnaryData<EchoMessage>;

/** wrapService, async style: sync throws, rejections, generators failing before and after output. */
const wrappedImpl = {
  unary(call: Unary) {
    const spec = specOf(call);
    if (spec.style === 'throw') throw makeError(spec);
    return tick().then(() => Promise.reject(makeError(spec)));
  },
  serverStream(call: Writer) {
    const spec = specOf(call);
    if (spec.style === 'throw') throw makeError(spec);
    if (spec.style === 'reject') return tick().then(() => Promise.reject(makeError(spec)));
    return (async function* () {
      if (spec.style === 'partial') yield { text: 'partial' };
      throw makeError(spec);
    })();
  },
  clientStream(call: Reader) {
    const spec = specOf(call);
    if (spec.style === 'throw') throw makeError(spec);
    return (async () => {
      for await (const _ of call as AsyncIterable<EchoMessage>) throw makeError(spec);
      return { text: 'unreachable' };
    })();
  },
  bidi(call: Duplex) {
    const spec = specOf(call);
    if (spec.style === 'throw') throw makeError(spec);
    if (spec.style === 'reject') {
      return (async () => {
        for await (const _ of call as AsyncIterable<EchoMessage>) throw makeError(spec);
      })();
    }
    return (async function* () {
      for await (const m of call as AsyncIterable<EchoMessage>) {
        yield { text: `echo ${String(m.text)}` };
        throw makeError(spec);
      }
    })();
  },
};

/** wrapService, grpc-js callback style: callback(err), callback(err, null, trailers) and emit('error', err). */
const callbackImpl = {
  unary(call: Unary, callback: Callback) {
    const spec = specOf(call);
    if (spec.style === 'callback-sync') return callback(makeError(spec) as grpc.ServiceError);
    if (spec.style === 'callback-trailers') {
      return setImmediate(() => callback(makeError(spec) as grpc.ServiceError, null, secretTrailers(spec.marker)));
    }
    setImmediate(() => callback(makeError(spec) as grpc.ServiceError));
  },
  clientStream(call: Reader, callback: Callback) {
    call.once('data', () => callback(makeError(specOf(call)) as grpc.ServiceError));
  },
  serverStream(call: Writer) {
    call.write({ text: 'partial' });
    setImmediate(() => call.emit('error', makeError(specOf(call))));
  },
  bidi(call: Duplex) {
    call.once('data', () => {
      call.write({ text: 'echo' });
      call.emit('error', makeError(specOf(call)));
    });
  },
};

/** Plain grpc-js handlers (not wrapped): only synchronous raises, the way grpc-js survives them. */
const rawImpl: grpc.UntypedServiceImplementation = {
  unary(call: Unary, callback: Callback) {
    const spec = specOf(call);
    if (spec.style === 'raw-throw') throw makeError(spec);
    callback(makeError(spec) as grpc.ServiceError);
  },
  clientStream(call: Reader, callback: Callback) {
    const spec = specOf(call);
    if (spec.style === 'raw-throw') throw makeError(spec);
    callback(makeError(spec) as grpc.ServiceError);
  },
  serverStream(call: Writer) {
    const spec = specOf(call);
    if (spec.style === 'raw-throw') throw makeError(spec);
    call.write({ text: 'partial' });
    call.emit('error', makeError(spec));
  },
  bidi(call: Duplex) {
    const spec = specOf(call);
    if (spec.style === 'raw-throw') throw makeError(spec);
    call.emit('error', makeError(spec));
  },
};

describe(`leak fuzz: ${TOTAL.toLocaleString('en')} internal errors raised every way, all four call types`, () => {
  const servers: TestServer[] = [];
  const clients = new Map<ServerName, EchoClient>();
  const logged: string[] = [];
  const unexpected: unknown[] = [];
  const onUnexpected = (reason: unknown) => unexpected.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnexpected);
    process.on('uncaughtException', onUnexpected);
    const interceptors = () => [
      callContextServerInterceptor(),
      errorTranslationServerInterceptor({ logger: (entry) => logged.push(entry.traceId) }),
    ];
    const impls: Record<ServerName, grpc.UntypedServiceImplementation> = {
      wrapped: wrapService(wrappedImpl),
      callback: wrapService(callbackImpl),
      raw: rawImpl,
      alone: wrapService(callbackImpl),
    };
    for (const name of ['wrapped', 'callback', 'raw', 'alone'] as const) {
      const server = await startEchoServer(impls[name], name === 'alone' ? {} : { interceptors: interceptors() });
      servers.push(server);
      clients.set(name, echoClient(server.address));
    }
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnexpected);
    process.off('uncaughtException', onUnexpected);
    for (const client of clients.values()) client.close();
    for (const server of servers) await server.close();
  });

  it('no marker reaches the client, every call ends with a safe error status, each failure is logged once', async () => {
    const started = performance.now();
    const leaks: string[] = [];
    const okAfterError: string[] = [];
    const problems: string[] = [];
    const codes = new Map<number, number>();
    for (let from = 0; from < TOTAL; from += BATCH) {
      const batch = specs.slice(from, from + BATCH).map(async (spec, offset): Promise<void> => {
        const id = from + offset;
        const metadata = new grpc.Metadata();
        metadata.set('x-fuzz-id', String(id));
        const result: Observed = await callAny(clients.get(spec.server)!, spec.type, { text: 'go' }, metadata, {
          deadline: Date.now() + 20_000,
        });
        const label = `#${id} ${spec.server}/${spec.type}/${spec.style}/${spec.kind}`;
        const seen = visibleText(result.status) + JSON.stringify(result.messages);
        if (MARKER.test(seen)) leaks.push(`${label}: marker leaked: ${seen.slice(0, 300)}`);
        const code = result.status.code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (code === grpc.status.OK) okAfterError.push(`${label}: OK`);
        else if (code < 1 || code > 16 || code === grpc.status.DEADLINE_EXCEEDED) problems.push(`${label}: code ${code}`);
        if (!/^[A-Z][A-Za-z ]+ \(trace id [0-9a-f]{32}\)$/.test(result.status.details)) {
          problems.push(`${label}: message ${JSON.stringify(result.status.details)}`);
        }
        // Thrown (not picked the grpc-js way): only INTERNAL, or UNAVAILABLE for a transient dependency failure.
        const thrown = spec.server === 'wrapped' || spec.style === 'raw-throw';
        if (thrown && code !== grpc.status.INTERNAL && code !== grpc.status.UNAVAILABLE) problems.push(`${label}: thrown → code ${code}`);
      });
      await Promise.all(batch);
    }
    const seconds = (performance.now() - started) / 1000;
    // Figures for the closing note.
    console.info(
      `leak fuzz: ${TOTAL} calls in ${seconds.toFixed(1)} s: leaks = ${leaks.length}, OK after an error = ${okAfterError.length}, ` +
        `other problems = ${problems.length}; codes: ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    expect(leaks.slice(0, 10)).toEqual([]);
    expect(okAfterError.slice(0, 10)).toEqual([]);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(unexpected).toEqual([]);
    // Every failure on a translated server is logged once (the server without one logs nothing).
    const translatedCalls = specs.filter((spec) => spec.server !== 'alone').length;
    expect(logged).toHaveLength(translatedCalls);
    expect(new Set(logged).size).toBe(translatedCalls);
  }, Math.max(120_000, TOTAL * 20));
});
