import * as grpc from '@grpc/grpc-js';
import { localFailureStatus } from '../status/local-failure';
import { emitSafely } from '../telemetry/emit';
import type { EventHandler } from '../telemetry/events';
import type { Circuit } from './circuit';

/** The call `nextCall` returns (grpc-js does not export its interface by name). */
export type InnerCall = ReturnType<Parameters<grpc.Interceptor>[1]>;

/**
 * Fails a call locally because its breaker refused it: UNAVAILABLE, a message naming the breaker,
 * the `breaker-open` marker and RetryInfo with the time until a call may get through. The inner
 * call grpc-js created eagerly is cancelled before it starts, so nothing is sent and the channel
 * does not keep counting it as active.
 */
export function rejectedCall(
  inner: InnerCall,
  circuit: Circuit,
  method: string,
  now: number,
  onEvent: EventHandler | undefined,
): grpc.InterceptingCall {
  const retryAfterMs = circuit.retryAfterMs(now);
  inner.cancelWithStatus(grpc.status.CANCELLED, 'Not sent: circuit breaker open');
  emitSafely(onEvent, { type: 'breaker-reject', key: circuit.key, method, target: circuit.target, retryAfterMs });
  const details =
    circuit.state === 'half-open'
      ? `Circuit breaker ${circuit.key} is half-open with its probe in flight; retry in ${retryAfterMs} ms`
      : `Circuit breaker ${circuit.key} is open; next probe in ${retryAfterMs} ms`;
  return new grpc.InterceptingCall(inner, new RejectingRequester(localFailureStatus(grpc.status.UNAVAILABLE, details, 'breaker-open', retryAfterMs)));
}

/** Answers with the rejection status on the next tick (callers finish `start`/`sendMessage` first); sends nothing. */
class RejectingRequester implements grpc.Requester {
  private cancelled = false;

  constructor(private readonly status: grpc.StatusObject) {}

  start = (_metadata: grpc.Metadata, listener: grpc.InterceptingListener): void => {
    process.nextTick(() => {
      listener.onReceiveStatus(
        this.cancelled ? { code: grpc.status.CANCELLED, details: 'Cancelled on client', metadata: new grpc.Metadata() } : this.status,
      );
    });
  };

  sendMessage = (): void => {};

  halfClose = (): void => {};

  cancel = (next: () => void): void => {
    this.cancelled = true;
    next();
  };
}
