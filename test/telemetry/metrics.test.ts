import * as grpc from '@grpc/grpc-js';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientInterceptors, PublicError, serverInterceptors, wrapService, type ClientStack } from '../../src';
import { ECHO_PATHS, EchoService, echoClient, startServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { startRogueServer, type RogueServer } from '../helpers/raw-http2';

/** A reader we collect from by hand: no export timers. */
class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

type Point = DataPoint<number | Histogram>;

async function collect(reader: ManualReader): Promise<Map<string, Point[]>> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  const out = new Map<string, Point[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) out.set(metric.descriptor.name, metric.dataPoints as Point[]);
  }
  return out;
}

/** Sum of counter values (or histogram counts) over points matching `attrs`. */
function total(points: Point[] | undefined, attrs: Record<string, unknown> = {}): number {
  let sum = 0;
  for (const p of points ?? []) {
    if (!Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)) continue;
    sum += typeof p.value === 'number' ? p.value : p.value.count;
  }
  return sum;
}

function histogramSum(points: Point[] | undefined): number {
  return (points ?? []).reduce((s, p) => s + (typeof p.value === 'number' ? 0 : (p.value.sum ?? 0)), 0);
}

describe('OpenTelemetry metrics: a scripted scenario yields exact counts', () => {
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  let server: TestServer;
  let client: EchoClient;
  let stack: ClientStack;
  const failuresLeft = new Map<string, number>();

  beforeAll(async () => {
    server = await startServer(
      (s) =>
        s.addService(
          EchoService,
          wrapService(EchoService, {
            // Fails each id `failTimes` times with UNAVAILABLE, then answers.
            async unary(call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>) {
              const id = call.request.id ?? '';
              const left = failuresLeft.get(id) ?? (call.request.failTimes as number) ?? 0;
              failuresLeft.set(id, left - 1);
              if (left > 0) throw new PublicError(grpc.status.UNAVAILABLE, 'try again');
              return { id };
            },
            // A bug: always an internal error (translated to a safe INTERNAL).
            async write() {
              throw new Error('secret database password in this message');
            },
          } as never),
        ),
      { interceptors: serverInterceptors({ metrics: { meterProvider }, errors: { logger: false } }) },
    );
    stack = clientInterceptors({
      target: 'echo',
      metrics: { meterProvider },
      retry: { maxAttempts: 3, initialBackoffMs: 2, maxBackoffMs: 4, random: () => 0.5 },
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 },
      fallback: { [ECHO_PATHS.write]: () => ({ fallback: true }) },
    });
    client = echoClient(server.address, { interceptors: stack });
  });

  afterAll(async () => {
    client.close();
    stack.dispose();
    await server.close();
    await meterProvider.shutdown();
  });

  it('counts calls, attempts, retries, breaker transitions, rejections, fallbacks and translated errors', async () => {
    // 1. Two UNAVAILABLE, then OK: one call, three attempts, two retries.
    expect((await unary(client, { id: 'a', failTimes: 2 })).status.code).toBe(grpc.status.OK);
    // 2. OK at once.
    expect((await unary(client, { id: 'b' })).status.code).toBe(grpc.status.OK);
    // 3. Three non-idempotent writes fail INTERNAL (not retried), each answered by the fallback;
    //    the third opens the breaker.
    for (let i = 0; i < 3; i++) {
      const r = await unary(client, { id: `w${i}` }, { method: 'write' });
      expect(r.response).toEqual({ fallback: true });
    }
    // 4. The breaker is open: rejected locally, answered by the fallback.
    expect((await unary(client, { id: 'w3' }, { method: 'write' })).response).toEqual({ fallback: true });

    const m = await collect(reader);
    const unaryAttrs = { 'grpc.method': ECHO_PATHS.unary, 'grpc.target': 'echo' };
    const writeAttrs = { 'grpc.method': ECHO_PATHS.write, 'grpc.target': 'echo' };

    expect(total(m.get('grpc.client.call.duration'))).toBe(6);
    expect(total(m.get('grpc.client.call.duration'), { ...unaryAttrs, 'grpc.status': 'OK' })).toBe(2);
    expect(total(m.get('grpc.client.call.duration'), { ...writeAttrs, 'grpc.status': 'OK' })).toBe(4);

    expect(total(m.get('grpc.client.attempt.started'))).toBe(7);
    expect(total(m.get('grpc.client.attempt.started'), unaryAttrs)).toBe(4);
    expect(total(m.get('grpc.client.attempt.duration'))).toBe(7);
    expect(total(m.get('grpc.client.attempt.duration'), { ...unaryAttrs, 'grpc.status': 'UNAVAILABLE' })).toBe(2);
    expect(total(m.get('grpc.client.attempt.duration'), { ...unaryAttrs, 'grpc.status': 'OK' })).toBe(2);
    expect(total(m.get('grpc.client.attempt.duration'), { ...writeAttrs, 'grpc.status': 'INTERNAL' })).toBe(3);

    expect(total(m.get('grpc.client.call.retries'))).toBe(1);
    expect(histogramSum(m.get('grpc.client.call.retries'))).toBe(2);
    expect(total(m.get('grpc.client.call.retry_delay'))).toBe(1);
    expect(total(m.get('grpc.client.call.hedges'))).toBe(0);
    expect(histogramSum(m.get('grpc.client.call.retry_delay'))).toBeGreaterThan(0);

    expect(total(m.get('grpc.server.call.duration'))).toBe(7);
    expect(total(m.get('grpc.server.call.duration'), { 'grpc.status': 'UNAVAILABLE' })).toBe(2);
    expect(total(m.get('grpc.server.call.duration'), { 'grpc.status': 'INTERNAL' })).toBe(3);
    expect(total(m.get('grpc.server.call.duration'), { 'grpc.status': 'OK' })).toBe(2);

    expect(total(m.get('grpc_resilience.breaker.transitions'), { 'grpc_resilience.breaker.state': 'open' })).toBe(1);
    expect(total(m.get('grpc_resilience.breaker.transitions'))).toBe(1);
    expect(total(m.get('grpc_resilience.breaker.open'))).toBe(1);
    expect(total(m.get('grpc_resilience.breaker.rejections'), writeAttrs)).toBe(1);
    expect(total(m.get('grpc_resilience.fallbacks'), writeAttrs)).toBe(4);
    expect(total(m.get('grpc_resilience.retry.budget_exhausted'))).toBe(0);

    expect(total(m.get('grpc_resilience.server.errors_translated'), { 'grpc.status': 'INTERNAL', 'grpc_resilience.error.kind': 'internal' })).toBe(3);
    expect(total(m.get('grpc_resilience.server.errors_translated'), { 'grpc.status': 'UNAVAILABLE', 'grpc_resilience.error.kind': 'public' })).toBe(2);
  });

  it('bounds the grpc.method attribute', async () => {
    const own = new ManualReader();
    const provider = new MeterProvider({ readers: [own] });
    const s = clientInterceptors({ metrics: { meterProvider: provider, maxMethods: 1 }, retry: false, breaker: false });
    const c = echoClient(server.address, { interceptors: s });
    await unary(c, { id: 'x' });
    await unary(c, { id: 'y' }, { method: 'write' });
    c.close();
    const points = (await collect(own)).get('grpc.client.call.duration') ?? [];
    expect(points.map((p) => p.attributes['grpc.method']).sort()).toEqual([ECHO_PATHS.unary, 'other']);
    await provider.shutdown();
  });

  it('a hedged call records one hedge, two attempts started, and no retry', async () => {
    const own = new ManualReader();
    const provider = new MeterProvider({ readers: [own] });
    const stalled = await startServer((srv) =>
      srv.addService(EchoService, {
        // The first attempt of each id stalls; the hedge answers.
        unary: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
          const id = call.request.id ?? '';
          if (!failuresLeft.has(id)) failuresLeft.set(id, 0);
          else cb(null, { id });
        },
      } as never),
    );
    const s = clientInterceptors({
      target: 'echo',
      metrics: { meterProvider: provider },
      retry: { methods: { [ECHO_PATHS.unary]: { idempotent: true } } },
      hedging: { delay: 20 },
    });
    const c = echoClient(stalled.address, { interceptors: s });
    expect((await unary(c, { id: 'hedged' })).status.code).toBe(grpc.status.OK);
    c.close();
    s.dispose();
    await stalled.close();
    const m = await collect(own);
    expect(total(m.get('grpc.client.call.hedges'))).toBe(1);
    expect(histogramSum(m.get('grpc.client.call.hedges'))).toBe(1);
    expect(total(m.get('grpc.client.call.retries'))).toBe(0);
    expect(total(m.get('grpc.client.call.retry_delay'))).toBe(0);
    expect(total(m.get('grpc.client.attempt.started'))).toBe(2);
    expect(total(m.get('grpc.client.attempt.duration'), { 'grpc.status': 'CANCELLED' })).toBe(1);
    expect(total(m.get('grpc.client.attempt.duration'), { 'grpc.status': 'OK' })).toBe(1);
    await provider.shutdown();
  });
});

describe('metric attributes a rogue server cannot multiply', () => {
  let rogue: RogueServer;
  beforeAll(async () => {
    // Answers `grpc-status` with the number the request path ends in (/rogue.v1.S/<method>C<code>).
    rogue = await startRogueServer((stream, headers) => {
      const code = /C(\d+)$/.exec(String(headers[':path']))?.[1] ?? '14';
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': code, 'grpc-message': 'rogue' }));
      stream.end();
    });
  });
  afterAll(() => rogue.close());

  /** One unary call per method name, in turn; the rogue answers each with the code the name ends in. */
  async function callMethods(client: grpc.Client, methods: readonly string[]): Promise<void> {
    const bytes = (value: unknown) => Buffer.from(JSON.stringify(value ?? {}));
    for (const method of methods) {
      await new Promise<void>((resolve) =>
        client.makeUnaryRequest(`/rogue.v1.S/${method}`, bytes, (b: Buffer) => b, {}, new grpc.Metadata(), {}, () => resolve()),
      );
    }
  }

  it('status codes outside 0–16 share one grpc.status value', async () => {
    const own = new ManualReader();
    const provider = new MeterProvider({ readers: [own] });
    const stack = clientInterceptors({ metrics: { meterProvider: provider }, retry: false, breaker: false });
    const client = new grpc.Client(rogue.address, grpc.credentials.createInsecure(), { interceptors: stack });
    try {
      await callMethods(client, [5, 14, ...Array.from({ length: 60 }, (_, i) => 100 + i * 50)].map((code) => `C${code}`));
      const m = await collect(own);
      for (const name of ['grpc.client.call.duration', 'grpc.client.attempt.duration']) {
        const values = new Set((m.get(name) ?? []).map((p) => p.attributes['grpc.status']));
        expect([...values].sort(), name).toEqual(['NOT_FOUND', 'UNAVAILABLE', 'UNKNOWN']);
        expect(total(m.get(name), { 'grpc.status': 'UNKNOWN' })).toBe(60);
      }
    } finally {
      client.close();
      stack.dispose();
      await provider.shutdown();
    }
  });

  it('breaker keys on breaker transitions are bounded like methods and targets', async () => {
    const own = new ManualReader();
    const provider = new MeterProvider({ readers: [own] });
    const stack = clientInterceptors({
      target: 'rogue',
      metrics: { meterProvider: provider, maxBreakerKeys: 2 },
      retry: false,
      breaker: { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeoutMs: 60_000 },
    });
    const client = new grpc.Client(rogue.address, grpc.credentials.createInsecure(), { interceptors: stack });
    try {
      // Five methods, each failing UNAVAILABLE: five breakers open.
      await callMethods(client, ['M1C14', 'M2C14', 'M3C14', 'M4C14', 'M5C14']);
      const m = await collect(own);
      const transitions = m.get('grpc_resilience.breaker.transitions') ?? [];
      expect(total(transitions)).toBe(5);
      const keys = transitions.map((p) => p.attributes['grpc_resilience.breaker.key']).sort();
      expect(keys).toEqual(['other', 'rogue/rogue.v1.S/M1C14', 'rogue/rogue.v1.S/M2C14']);
      expect(total(transitions, { 'grpc_resilience.breaker.key': 'other' })).toBe(3);
    } finally {
      client.close();
      stack.dispose();
      await provider.shutdown();
    }
  });

  it('rejects a bad maxBreakerKeys, naming it', () => {
    expect(() => clientInterceptors({ metrics: { maxBreakerKeys: 0 } })).toThrow(/metrics\.maxBreakerKeys/);
  });
});
