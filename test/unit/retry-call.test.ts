import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryClientInterceptor } from '../../src/retry/interceptor';
import type { RetryOptions } from '../../src/retry/options';
import type { ResilienceEvent } from '../../src/telemetry/events';

type Attempt = ReturnType<grpc.NextCall>;

/** A scriptable attempt: records what it was sent; the test plays the server through `listener`. */
class FakeAttempt implements Attempt {
  listener: Partial<grpc.InterceptingListener> | undefined;
  readonly log: string[] = [];
  metadata: grpc.Metadata | undefined;
  constructor(
    readonly options: grpc.InterceptorOptions,
    private readonly onStart?: (attempt: FakeAttempt) => void,
  ) {}
  start(metadata: grpc.Metadata, listener?: Partial<grpc.InterceptingListener>): void {
    this.metadata = metadata;
    this.listener = listener;
    this.log.push('start');
    this.onStart?.(this);
  }
  sendMessageWithContext(context: { callback?: () => void }, message: unknown): void {
    this.log.push(`message:${JSON.stringify(message)}`);
    context.callback?.();
  }
  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }
  halfClose(): void {
    this.log.push('halfClose');
  }
  startRead(): void {
    this.log.push('startRead');
  }
  cancelWithStatus(code: grpc.status, details: string): void {
    this.log.push(`cancel:${code}`);
    queueMicrotask(() => this.fail(code, details));
  }
  getPeer(): string {
    return 'dns:fake:1';
  }
  getAuthContext(): null {
    return null;
  }
  fail(code: grpc.status, details = 'failed', trailers: Record<string, string> = {}): void {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
    this.listener?.onReceiveMessage?.(null);
    this.listener?.onReceiveStatus?.({ code, details, metadata });
  }
  succeed(response: unknown): void {
    this.listener?.onReceiveMetadata?.(new grpc.Metadata());
    this.listener?.onReceiveMessage?.(response);
    this.listener?.onReceiveStatus?.({ code: grpc.status.OK, details: '', metadata: new grpc.Metadata() });
  }
}

const unaryMethod = {
  path: '/test.v1.EchoService/Unary',
  requestStream: false,
  responseStream: false,
  requestSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  responseDeserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};

/** Drives one logical call through the interceptor the way the grpc-js surface does. */
function call(options: RetryOptions, onStart?: (attempt: FakeAttempt, index: number) => void, callOptions: Partial<grpc.InterceptorOptions> = {}) {
  const attempts: FakeAttempt[] = [];
  const events: ResilienceEvent[] = [];
  const interceptor = retryClientInterceptor({ initialBackoffMs: 1, jitter: 'none', onEvent: (e) => events.push(e), ...options });
  const nextCall: grpc.NextCall = (o) => {
    const attempt = new FakeAttempt(o, (a) => onStart?.(a, attempts.indexOf(a)));
    attempts.push(attempt);
    return attempt;
  };
  const received: string[] = [];
  let resolveStatus!: (s: grpc.StatusObject) => void;
  const status = new Promise<grpc.StatusObject>((r) => (resolveStatus = r));
  const top = interceptor({ method_definition: unaryMethod, ...callOptions } as grpc.InterceptorOptions, nextCall);
  return {
    attempts,
    events,
    received,
    status,
    top,
    run() {
      top.start(new grpc.Metadata(), {
        onReceiveMetadata: () => received.push('metadata'),
        onReceiveMessage: (m: unknown) => received.push(`message:${JSON.stringify(m)}`),
        onReceiveStatus: (s: grpc.StatusObject) => {
          received.push(`status:${s.code}`);
          resolveStatus(s);
        },
      });
      top.sendMessage({ id: 1 });
      top.halfClose();
      return this;
    },
  };
}

afterEach(() => vi.useRealTimers());

describe('RetryingCall with scripted attempts', () => {
  it('replays the request and half-close to each new attempt, with grpc-previous-rpc-attempts', async () => {
    const c = call({}, (a, i) => queueMicrotask(() => (i < 2 ? a.fail(grpc.status.UNAVAILABLE) : a.succeed({ ok: true })))).run();
    const status = await c.status;
    expect(status.code).toBe(grpc.status.OK);
    expect(c.attempts.map((a) => a.log)).toEqual([
      ['start', 'message:{"id":1}', 'halfClose'],
      ['start', 'message:{"id":1}', 'halfClose'],
      ['start', 'message:{"id":1}', 'halfClose'],
    ]);
    expect(c.attempts.map((a) => a.metadata?.get('grpc-previous-rpc-attempts')[0])).toEqual([undefined, '1', '2']);
    // Only the final attempt's response and status reach the caller, message before status.
    expect(c.received).toEqual(['metadata', 'message:{"ok":true}', 'status:0']);
  });

  it('a failure delivered synchronously inside start is retried once the caller has sent its request', async () => {
    const c = call({}, (a, i) => (i === 0 ? a.fail(grpc.status.UNAVAILABLE) : queueMicrotask(() => a.succeed({ ok: 2 })))).run();
    expect((await c.status).code).toBe(grpc.status.OK);
    expect(c.attempts[0].log).toEqual(['start']); // nothing sent to the attempt that had already ended
    expect(c.attempts[1].log).toEqual(['start', 'message:{"id":1}', 'halfClose']);
  });

  it('cancellation before start: no attempt is made and the caller still gets the status', async () => {
    const c = call({});
    c.top.cancelWithStatus(grpc.status.CANCELLED, 'early');
    c.run();
    const status = await c.status;
    expect(status).toMatchObject({ code: grpc.status.CANCELLED, details: 'early' });
    expect(c.attempts).toHaveLength(0);
  });

  it('the backoff timer is scheduled with the decided delay and cleared by a cancel', async () => {
    vi.useFakeTimers();
    const c = call({ initialBackoffMs: 300, maxBackoffMs: 300 }, (a) => queueMicrotask(() => a.fail(grpc.status.UNAVAILABLE))).run();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.attempts).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(299);
    expect(c.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.attempts).toHaveLength(2); // exactly at 300 ms
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1); // second backoff pending
    c.top.cancelWithStatus(grpc.status.CANCELLED, 'bye');
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect((await c.status).code).toBe(grpc.status.CANCELLED);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.attempts).toHaveLength(2);
  });

  it('per-attempt deadlines are the earlier of now + perAttemptTimeoutMs and the overall deadline', async () => {
    let now = 1_000_000;
    const deadline = now + 250;
    const c = call(
      { perAttemptTimeoutMs: 100, idempotent: true, now: () => now },
      (a, i) =>
        queueMicrotask(() => {
          now += 100;
          if (i < 2) a.fail(grpc.status.DEADLINE_EXCEEDED);
          else a.succeed({});
        }),
      { deadline },
    ).run();
    expect((await c.status).code).toBe(grpc.status.OK);
    const deadlines = c.attempts.map((a) => a.options.deadline);
    expect(deadlines[0]).toBe(1_000_100);
    expect(deadlines[1]).toBe(1_000_200); // the injected clock moved 100 ms during attempt 1
    expect(deadlines[2]).toBe(deadline); // now + 100 would pass the overall deadline: the overall one applies
  });

  it('without retries possible, the interceptor returns the next call itself (no wrapper)', () => {
    const interceptor = retryClientInterceptor({ maxAttempts: 1 });
    const attempt = new FakeAttempt({} as grpc.InterceptorOptions);
    expect(interceptor({ method_definition: unaryMethod } as grpc.InterceptorOptions, () => attempt)).toBe(attempt);
    const streaming = retryClientInterceptor();
    expect(streaming({ method_definition: { ...unaryMethod, requestStream: true } } as grpc.InterceptorOptions, () => attempt)).toBe(attempt);
  });
});
