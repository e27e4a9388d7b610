import type * as grpc from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { criticalityOf, type Criticality } from '../criticality/criticality';
import { deadlineOrInfinity } from '../internal/time';
import { asServerInterceptingCall, ForwardingServerCall } from '../internal/forwarding-server-call';
import type { PartialServerStatus } from '../internal/grpc-types';
import { emitSafely } from '../telemetry/emit';
import type { EventHandler } from '../telemetry/events';
import { AdaptiveLimit } from './adaptive-limit';
import { FixedLimit, type ConcurrencyLimit } from './limit';
import { Limiter } from './limiter';
import { eventLoopDelayMs } from './loop-delay';
import { resolveOverloadOptions, type LimitSetting, type OverloadOptions, type ResolvedOverloadOptions } from './options';
import { RejectionStatuses } from './reject';

/** A cancel this close to the deadline is the deadline passing (the client's timer fires first). */
const DEADLINE_SLACK_MS = 25;

/** What every call to one method goes through: the limiters that count it, and its criticality when it carries none. */
interface MethodPlan {
  /** Outermost first: the server's limit (unary calls), then the method's own. */
  readonly limiters: readonly Limiter[];
  /** Whether the call's latency teaches the limits (unary calls only). */
  readonly sampled: boolean;
  readonly criticality: Criticality;
}

/** Shared by every call of one interceptor. */
interface Shared {
  readonly clock: () => number;
  readonly onEvent: EventHandler | undefined;
  readonly statuses: RejectionStatuses;
}

/**
 * Overload protection for a server: a concurrency limit (adaptive by default) on the calls in
 * flight, shared out by criticality. A call over its criticality's share is refused as soon as its
 * headers arrive, before any handler runs, with RESOURCE_EXHAUSTED and a jittered RetryInfo;
 * nothing is queued. Place it after the context interceptor (the refusal then carries the trace id)
 * and after deadline shedding (a call that cannot finish in time is refused for that first).
 */
export function overloadServerInterceptor(options?: OverloadOptions): grpc.ServerInterceptor {
  const o = resolveOverloadOptions(options);
  const loopDelay = o.loopDelayMs ?? eventLoopDelayMs;
  const makeLimit = (setting: LimitSetting): ConcurrencyLimit =>
    setting === 'adaptive'
      ? new AdaptiveLimit({ ...o.tuning, loopDelayMs: () => loopDelay(o.clock()) }, o.clock())
      : new FixedLimit(setting, { windowMs: o.tuning.windowMs, loopDelayMs: () => loopDelay(o.clock()) }, o.clock());
  const server = new Limiter('server', makeLimit(o.limit), o.shares);
  loopDelay(o.clock()); // starts the event-loop monitor before the first window
  const shared: Shared = { clock: o.clock, onEvent: o.onEvent, statuses: new RejectionStatuses(o.retryAfterMs, o.random) };
  // Only registered methods reach interceptors: the map is bounded by the server's services.
  const plans = new Map<string, MethodPlan>();

  return (descriptor, call) => {
    const path = descriptor.path;
    let plan = plans.get(path);
    if (plan === undefined) {
      plan = planFor(path, !descriptor.requestStream && !descriptor.responseStream, server, o, makeLimit);
      plans.set(path, plan);
    }
    return plan.limiters.length === 0
      ? asServerInterceptingCall(call)
      : asServerInterceptingCall(new OverloadCall(call, path, plan, shared));
  };
}

function planFor(
  path: string,
  unary: boolean,
  server: Limiter,
  o: ResolvedOverloadOptions,
  makeLimit: (setting: LimitSetting) => ConcurrencyLimit,
): MethodPlan {
  const own = o.forMethod(path);
  const limiters: Limiter[] = unary ? [server] : [];
  if (own?.limit !== undefined) limiters.push(new Limiter(path, makeLimit(own.limit), o.shares));
  return { limiters, sampled: unary, criticality: own?.criticality ?? 'default' };
}

/** One call: admitted (counted until its status or cancellation) or refused at its headers. */
class OverloadCall extends ForwardingServerCall {
  /** When the call was admitted (the shared clock); -1 before, or when refused. */
  private startedAt = -1;
  private refused = false;

  constructor(
    inner: grpc.ServerInterceptingCallInterface,
    private readonly method: string,
    private readonly plan: MethodPlan,
    private readonly shared: Shared,
  ) {
    super(inner);
  }

  override onReceiveMetadata(metadata: grpc.Metadata): void {
    const criticality = criticalityOf(metadata) ?? this.plan.criticality;
    const limiters = this.plan.limiters;
    for (let i = 0; i < limiters.length; i++) {
      if (limiters[i].tryAcquire(criticality)) continue;
      for (let j = 0; j < i; j++) limiters[j].release(-1, false, 0);
      this.refuse(limiters[i], criticality);
      return;
    }
    this.startedAt = this.shared.clock();
    super.onReceiveMetadata(metadata);
  }

  override onReceiveMessage(message: unknown): void {
    if (!this.refused) super.onReceiveMessage(message);
  }

  override onReceiveHalfClose(): void {
    if (!this.refused) super.onReceiveHalfClose();
  }

  override sendStatus(status: PartialServerStatus): void {
    this.release(false);
    super.sendStatus(status);
  }

  override onCancel(): void {
    // grpc-js calls onCancel at the end of every call; after our status it is a no-op here.
    if (this.startedAt >= 0) {
      // A cancel at the deadline is a timeout (a latency sample, and a sign of overload); any other
      // cancel is the client giving up, which says nothing about our load.
      const timedOut = deadlineOrInfinity(this.inner.getDeadline()) - Date.now() <= DEADLINE_SLACK_MS;
      this.release(timedOut, !timedOut);
    }
    super.onCancel();
  }

  private release(timedOut: boolean, unsampled = false): void {
    const startedAt = this.startedAt;
    if (startedAt < 0) return;
    this.startedAt = -1;
    const now = this.shared.clock();
    const latencyMs = this.plan.sampled && !unsampled ? now - startedAt : -1;
    for (const limiter of this.plan.limiters) {
      const update = limiter.release(latencyMs, timedOut, now);
      if (update && this.shared.onEvent) {
        emitSafely(this.shared.onEvent, { type: 'overload-limit', scope: limiter.scope, inFlight: limiter.inFlight, ...update });
      }
    }
  }

  private refuse(limiter: Limiter, criticality: Criticality): void {
    this.refused = true;
    const { status, retryAfterMs } = this.shared.statuses.next();
    if (this.shared.onEvent) {
      emitSafely(this.shared.onEvent, {
        type: 'overload-reject',
        method: this.method,
        criticality,
        scope: limiter.scope,
        limit: limiter.current,
        inFlight: limiter.inFlight,
        retryAfterMs,
        traceId: callContextStorage.getStore()?.traceId,
      });
    }
    super.sendStatus(status);
  }
}
