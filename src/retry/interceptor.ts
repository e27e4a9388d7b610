import type * as grpc from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { resilienceCallOptions } from '../options/call-options';
import { resolveRetryOptions, type ResolvedRetryOptions, type RetryOptions } from './options';
import { checkPolicy, type RetryPolicy } from './policy';
import { RetryingCall } from './retrying-call';
import { serviceConfigRetryPolicy, warnDoubleRetry } from './service-config';

/** The settings of each retry interceptor, for the layers that share them (hedging). */
const settingsOf = new WeakMap<grpc.Interceptor, ResolvedRetryOptions>();

/**
 * Retries failed calls by starting fresh attempts below it (it sits inside the deadline
 * interceptor and outside the breaker). What is retried follows the status table and the
 * method's idempotency; waits follow capped exponential backoff with jitter or server pushback,
 * never past the deadline, within a per-target retry budget. Unary and server-streaming calls
 * are retried only until response headers or a message arrive; client-streaming and bidi calls
 * only with `bufferClientStreams`.
 */
export function retryClientInterceptor(options: RetryOptions = {}): grpc.Interceptor {
  const shared = resolveRetryOptions(options);
  const builtIn = serviceConfigRetryPolicy(shared.channelOptions);
  if (builtIn) warnDoubleRetry(`the channel options configure a service-config ${builtIn} as well as the retry interceptor`);

  const interceptor: grpc.Interceptor = (callOptions, nextCall) => {
    const method = callOptions.method_definition;
    const policy = callRetryPolicy(shared, callOptions);
    if (policy === undefined || policy.maxAttempts <= 1 || (method.requestStream && shared.bufferMaxBytes === 0)) {
      // Nothing to retry: hand the caller the next layer's call itself (grpc-js only uses the interface).
      return nextCall(callOptions) as grpc.InterceptingCall;
    }
    const call = new RetryingCall(callOptions, nextCall, shared, policy, callContextStorage.getStore());
    return call as unknown as grpc.InterceptingCall;
  };
  settingsOf.set(interceptor, shared);
  return interceptor;
}

/** The retry policy of one call: its method's, with the call's own overrides; undefined when the call turned retries off. */
export function callRetryPolicy(shared: ResolvedRetryOptions, callOptions: grpc.InterceptorOptions): RetryPolicy | undefined {
  const override = resilienceCallOptions(callOptions)?.retry;
  if (override === false) return undefined;
  const policy = shared.policyFor(callOptions.method_definition.path);
  return override ? checkPolicy('withResilience: retry', { ...policy, ...override }) : policy;
}

/** The settings of an interceptor made by `retryClientInterceptor`, else undefined. */
export function retrySettingsOf(interceptor: grpc.Interceptor): ResolvedRetryOptions | undefined {
  return settingsOf.get(interceptor);
}
