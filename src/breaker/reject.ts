import * as grpc from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import type { InterceptingCallInterface } from '../internal/grpc-types';
import { LocallyFailedCall } from '../internal/locally-failed-call';
import { localFailureStatus } from '../status/local-failure';
import { emitSafely } from '../telemetry/emit';
import type { EventHandler } from '../telemetry/events';
import type { Circuit } from './circuit';

/**
 * Fails a call locally because its breaker refused it: UNAVAILABLE, a message naming the breaker,
 * the `breaker-open` marker and RetryInfo with the time until a call may get through. The inner
 * call grpc-js created eagerly is cancelled before it starts, so nothing is sent and the channel
 * does not keep counting it as active.
 */
export function rejectedCall(
  inner: InterceptingCallInterface,
  circuit: Circuit,
  method: string,
  now: number,
  onEvent: EventHandler | undefined,
): grpc.InterceptingCall {
  const retryAfterMs = circuit.retryAfterMs(now);
  // Refused here: the caller of the call being served must not retry on top (retry at one tier).
  callContextStorage.getStore()?.noteRetriedOutgoingFailure?.();
  const peer = inner.getPeer(); // the channel target, for interceptors above that key by it
  inner.cancelWithStatus(grpc.status.CANCELLED, 'Not sent: circuit breaker open');
  emitSafely(onEvent, { type: 'breaker-reject', key: circuit.key, method, target: circuit.target, retryAfterMs });
  const details =
    circuit.state === 'half-open'
      ? `Circuit breaker ${circuit.key} is half-open with its probe in flight; retry in ${retryAfterMs} ms`
      : `Circuit breaker ${circuit.key} is open; next probe in ${retryAfterMs} ms`;
  const status = localFailureStatus(grpc.status.UNAVAILABLE, details, 'breaker-open', retryAfterMs);
  return new grpc.InterceptingCall(new LocallyFailedCall(status, peer));
}
