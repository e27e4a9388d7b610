import type * as grpc from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { resilienceCallOptions } from '../options/call-options';
import { resolveRetryOptions, type RetryOptions } from './options';
import { checkPolicy, type RetryPolicy } from './policy';
import { RetryingCall } from './retrying-call';
import { serviceConfigRetryPolicy, warnDoubleRetry } from './service-config';

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

  return (callOptions, nextCall) => {
    const method = callOptions.method_definition;
    const override = resilienceCallOptions(callOptions)?.retry;
    let policy: RetryPolicy | undefined;
    if (override !== false) {
      policy = shared.policyFor(method.path);
      if (override) policy = checkPolicy('withResilience: retry', { ...policy, ...override });
    }
    if (policy === undefined || policy.maxAttempts <= 1 || (method.requestStream && shared.bufferMaxBytes === 0)) {
      // Nothing to retry: hand the caller the next layer's call itself (grpc-js only uses the interface).
      return nextCall(callOptions) as grpc.InterceptingCall;
    }
    const call = new RetryingCall(callOptions, nextCall, shared, policy, callContextStorage.getStore());
    return call as unknown as grpc.InterceptingCall;
  };
}
