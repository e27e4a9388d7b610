import * as grpc from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { criticalityResolver, type CriticalityResolver } from '../criticality/options';
import { asInterceptingCall, ForwardingCall } from '../internal/forwarding-call';
import type { InterceptingCallInterface } from '../internal/grpc-types';
import { LocallyFailedCall } from '../internal/locally-failed-call';
import { peerTarget } from '../internal/target';
import { localFailureKind, localFailureStatus } from '../status/local-failure';
import { emitSafely } from '../telemetry/emit';
import { resolveThrottleOptions, type ResolvedThrottleOptions, type ThrottleOptions } from './options';
import { ThrottleRegistry, type TargetThrottle } from './registry';

/** The throttle interceptor, with its per-target state. */
export type ThrottleInterceptor = grpc.Interceptor & { readonly registry: ThrottleRegistry };

/**
 * Client-side adaptive throttling per target (SRE "Handling Overload"): when a target rejects
 * more than 1 in K requests, calls are refused locally, before anything is sent, with probability
 * max(0, (requests − K·accepts) / (requests + 1)). A refused call fails with UNAVAILABLE and the
 * `throttled` local-failure marker; our retry interceptor never retries it.
 *
 * Place it below the retry interceptor (every attempt is a request) and above the breaker (calls
 * an open breaker refuses never reached the target, and are not counted). Criticalities are
 * throttled apart: rejected sheddable calls do not throttle critical ones.
 */
export function throttleClientInterceptor(options?: ThrottleOptions, resolveCriticality?: CriticalityResolver): ThrottleInterceptor {
  const o = resolveThrottleOptions(options);
  const registry = new ThrottleRegistry(o);
  const criticalityOf = resolveCriticality ?? criticalityResolver(undefined);
  const interceptor: grpc.Interceptor = (callOptions, nextCall) => {
    const path = callOptions.method_definition.path;
    const inner = nextCall(callOptions);
    const peer = inner.getPeer(); // before start: the channel target
    const now = o.clock();
    const criticality = criticalityOf(callOptions, path) ?? 'default';
    const entry = o.target === undefined ? registry.forPeer(peer, peerTarget, criticality, now) : registry.get(o.target, criticality, now);
    const probability = entry.throttle.probability(now);
    if (probability > 0 && o.random() < probability) return refuse(inner, peer, path, entry, probability, now, o);
    return asInterceptingCall(new ThrottledCall(inner, entry, o));
  };
  return Object.assign(interceptor, { registry });
}

function refuse(
  inner: InterceptingCallInterface,
  peer: string,
  method: string,
  entry: TargetThrottle,
  probability: number,
  now: number,
  o: ResolvedThrottleOptions,
): grpc.InterceptingCall {
  entry.throttle.rejected(now);
  // Refused here because the target is overloaded: the caller of the call being served must not retry on top.
  callContextStorage.getStore()?.noteRetriedOutgoingFailure?.();
  inner.cancelWithStatus(grpc.status.CANCELLED, 'Not sent: throttled');
  emitSafely(o.onEvent, {
    type: 'throttle-reject',
    method,
    target: entry.target,
    criticality: entry.criticality,
    probability,
    traceId: callContextStorage.getStore()?.traceId,
  });
  entry.maybeReport(now, o);
  const details = `Throttled: ${entry.target} accepts fewer than 1 in ${o.ratio} requests; not sent (p=${probability.toFixed(2)})`;
  return asInterceptingCall(new LocallyFailedCall(localFailureStatus(grpc.status.UNAVAILABLE, details, 'throttled'), peer));
}

/** An admitted call: its status says whether the target accepted it. */
class ThrottledCall extends ForwardingCall {
  constructor(
    inner: InterceptingCallInterface,
    private readonly entry: TargetThrottle,
    private readonly options: ResolvedThrottleOptions,
  ) {
    super(inner);
  }

  override onReceiveStatus(status: grpc.StatusObject): void {
    const code = status.code;
    // Not counted: the caller cancelled, or a layer below refused it without sending it.
    if (code !== grpc.status.CANCELLED && localFailureKind(status.metadata) === undefined) {
      const now = this.options.clock();
      if (this.options.rejected[code]) this.entry.throttle.rejected(now);
      else this.entry.throttle.accepted(now);
      this.entry.maybeReport(now, this.options);
    }
    super.onReceiveStatus(status);
  }
}
