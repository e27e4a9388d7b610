import * as grpc from '@grpc/grpc-js';
import type { CancelReason } from '../context/call-context';
import { callContextStorage, type CancellableContext } from '../context/scope';
import { resilienceCallOptions } from '../options/call-options';
import { functionOption, keysOf, objectOption } from '../internal/validate';
import { localFailureStatus } from '../status/local-failure';
import { emitSafely } from '../telemetry/emit';
import type { EventHandler } from '../telemetry/events';
import { effectiveDeadline, describeBinding } from './effective';
import { asInterceptingCall, ForwardingCall } from '../internal/forwarding-call';
import type { InterceptingCallInterface } from '../internal/grpc-types';
import { LocallyFailedCall } from '../internal/locally-failed-call';
import { readServices, type ServiceSource } from '../internal/services';
import { DeadlinePolicies, POLICY_FIELDS, policyFields, type DeadlineOverrides, type DeadlinePolicy } from './policy';
import { deadlineMs } from '../internal/time';

export interface DeadlineClientOptions extends DeadlineOverrides {
  /**
   * Overrides keyed by full method path (`/pkg.Service/Method`) or by service (`pkg.Service` or
   * `/pkg.Service/*`). A method entry applies on top of its service entry.
   */
  readonly methods?: Readonly<Record<string, DeadlineOverrides>>;
  /** Service definitions: each key of `methods` must name one of their methods or services. */
  readonly service?: ServiceSource | readonly ServiceSource[];
  /** Receives `deadline-fail-fast` events. */
  readonly onEvent?: EventHandler;
  /** The clock (epoch ms); for tests. */
  readonly now?: () => number;
}

const OPTION_KEYS = keysOf<DeadlineClientOptions>({
  ...(Object.fromEntries(POLICY_FIELDS.map((field) => [field, true])) as Record<keyof DeadlinePolicy, true>),
  methods: true,
  service: true,
  onEvent: true,
  now: true,
});

/**
 * Gives every outgoing call the earliest of: the caller's deadline, the current call context's
 * deadline minus a margin, and (when there is neither) a default timeout. A call with too little
 * time left fails locally with DEADLINE_EXCEEDED and is never sent. While the incoming call is
 * being handled, cancelling it cancels the outgoing calls it started.
 */
export function deadlineClientInterceptor(options: DeadlineClientOptions = {}): grpc.Interceptor {
  objectOption<DeadlineClientOptions>('deadline', options, OPTION_KEYS);
  const known = readServices(options.service, 'deadline.service');
  const policies = DeadlinePolicies.compile('deadline', policyFields(options), options.methods, known);
  const onEvent = functionOption<EventHandler>('deadline.onEvent', options.onEvent);
  const now = functionOption<() => number>('deadline.now', options.now) ?? Date.now;

  return (callOptions, nextCall) => {
    // Captured now, synchronously: listener callbacks do not reliably run in the caller's context.
    const ctx = callContextStorage.getStore();
    const method = callOptions.method_definition.path;
    const override = resilienceCallOptions(callOptions)?.deadline;
    const policy: DeadlinePolicy = override ? Object.assign({}, policies.forMethod(method), override) : policies.forMethod(method);
    if (ctx === undefined && callOptions.deadline === undefined && policy.defaultTimeoutMs === Infinity) {
      // No deadline from anywhere and no incoming call to link to: the call goes out as it is.
      return asInterceptingCall(nextCall(callOptions));
    }

    const t = now();
    if (ctx && ctx.finished && policy.propagateCancellation && ctx.signal.aborted && ctx.deadline > t) {
      // The incoming call was cancelled by its client: nobody wants this call's result.
      return failCancelled(ctx);
    }
    // Answered normally: what runs now is background work; it inherits neither deadline nor
    // cancellation. (Cancelled or timed out: keep inheriting, so a passed deadline fails fast.)
    const inherit = ctx && (!ctx.finished || ctx.signal.aborted) ? ctx : undefined;
    const callerDeadline = deadlineMs(callOptions.deadline);
    const inherited = inherit && policy.propagateDeadline ? inherit.deadline : Infinity;
    const deadline = effectiveDeadline(policy, callerDeadline, inherited, t);
    const remaining = deadline - t;
    if (remaining <= policy.minBudgetMs) {
      const why = describeBinding(policy, callerDeadline, inherited, inherit?.method);
      const details =
        `Deadline exceeded before sending: ${Math.max(0, Math.floor(remaining))} ms left until ${why}, ` +
        `and a call needs more than ${policy.minBudgetMs} ms (deadline.minBudgetMs); the call was not sent`;
      emitSafely(onEvent, { type: 'deadline-fail-fast', method, remainingMs: remaining, traceId: ctx?.traceId });
      return new grpc.InterceptingCall(
        new LocallyFailedCall(localFailureStatus(grpc.status.DEADLINE_EXCEEDED, details, 'deadline')),
      );
    }

    const inner = nextCall(deadline === callerDeadline || deadline === Infinity ? callOptions : withDeadline(callOptions, deadline));
    // Nothing to do once the call is made: hand the caller the next layer's call itself.
    if (!inherit || !policy.propagateCancellation) return asInterceptingCall(inner);
    return asInterceptingCall(new LinkedCall(inner, inherit));
  };
}

/** A copy of the options with another deadline (Object.assign: several times faster than a spread in V8). */
function withDeadline(options: grpc.InterceptorOptions, deadline: number): grpc.InterceptorOptions {
  const copy = Object.assign({}, options);
  copy.deadline = deadline;
  return copy;
}

/**
 * An outgoing call tied to the incoming call's cancellation until the outgoing call ends (its
 * status unsubscribes, so a long-lived incoming stream does not collect listeners).
 */
class LinkedCall extends ForwardingCall {
  private unsubscribe: (() => void) | undefined;

  constructor(inner: InterceptingCallInterface, ctx: CancellableContext) {
    super(inner);
    this.unsubscribe = ctx.onCancel((reason: CancelReason) => this.incomingCancelled(reason));
  }

  override onReceiveStatus(status: grpc.StatusObject): void {
    const done = this.unsubscribe;
    this.unsubscribe = undefined;
    done?.();
    super.onReceiveStatus(status);
  }

  private incomingCancelled(reason: CancelReason): void {
    this.unsubscribe = undefined;
    if (reason === 'deadline') {
      this.inner.cancelWithStatus(grpc.status.DEADLINE_EXCEEDED, 'Cancelled: the deadline of the incoming call passed');
    } else {
      this.inner.cancelWithStatus(grpc.status.CANCELLED, 'Cancelled: the incoming call was cancelled by its client');
    }
  }
}

/** Fails a call made after the incoming call was cancelled by its client: not sent. */
function failCancelled(ctx: CancellableContext): grpc.InterceptingCall {
  return new grpc.InterceptingCall(
    new LocallyFailedCall({
      code: grpc.status.CANCELLED,
      details: `Cancelled before sending: the incoming call ${ctx.method} was cancelled by its client; the call was not sent`,
      metadata: new grpc.Metadata(),
    }),
  );
}
