import type * as grpc from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { resilienceCallOptions } from '../options/call-options';
import { callRetryPolicy } from '../retry/interceptor';
import { HedgingCall } from './hedging-call';
import { resolveHedgingOptions, type HedgingOptions } from './options';
import type { ResolvedHedgingPolicy } from './policy';

/**
 * Hedges idempotent unary and server-streaming calls: when the latest attempt has not answered
 * within the hedge delay, another is sent beside it, and the first to answer wins (the others
 * are cancelled). Put it just above the retry interceptor, whose budget hedges draw from and
 * whose rules hedged calls follow (see `HedgingOptions.retry`). Other calls pass through.
 */
export function hedgingClientInterceptor(options: HedgingOptions = {}): grpc.Interceptor {
  const shared = resolveHedgingOptions(options);
  const retry = shared.retry;

  return (callOptions, nextCall) => {
    const method = callOptions.method_definition;
    const policy = method.requestStream ? undefined : callHedgingPolicy(shared.policyFor(method.path), callOptions);
    // A call that turned retries off is hedged all the same, without retries.
    const rules = policy && (callRetryPolicy(retry, callOptions) ?? { ...retry.policyFor(method.path), maxAttempts: 1 });
    if (policy === undefined || policy.maxAttempts <= 1 || !rules!.idempotent) {
      // Not hedged: hand the caller the next layer's call itself (grpc-js only uses the interface).
      return nextCall(callOptions) as grpc.InterceptingCall;
    }
    const call = new HedgingCall(callOptions, nextCall, shared, policy, rules!, callContextStorage.getStore());
    return call as unknown as grpc.InterceptingCall;
  };
}

/** The hedging policy of one call: its method's, with the call's own overrides; undefined when the call turned hedging off. */
function callHedgingPolicy(policy: ResolvedHedgingPolicy, callOptions: grpc.InterceptorOptions): ResolvedHedgingPolicy | undefined {
  const override = resilienceCallOptions(callOptions)?.hedging;
  if (override === false) return undefined;
  return override ? { ...policy, ...override } : policy;
}
