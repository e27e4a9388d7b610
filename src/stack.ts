import type * as grpc from '@grpc/grpc-js';
import { breakerClientInterceptor, type BreakerOptions } from './breaker/interceptor';
import type { BreakerRegistry } from './breaker/registry';
import { fallbackClientInterceptor } from './fallback/interceptor';
import type { FallbackMap } from './fallback/options';
import { callContextServerInterceptor } from './context/server-interceptor';
import { criticalityClientInterceptor } from './criticality/client-interceptor';
import { criticalityResolver, type CriticalityOptions } from './criticality/options';
import { deadlineClientInterceptor, type DeadlineClientOptions } from './deadline/client-interceptor';
import { deadlineServerInterceptor, type DeadlineServerOptions } from './deadline/server-interceptor';
import { errorTranslationServerInterceptor } from './errors/server-interceptor';
import { hedgingClientInterceptor } from './hedging/interceptor';
import type { HedgingOptions } from './hedging/options';
import type { ErrorTranslationOptions } from './errors/options';
import type { ErrorLogger } from './errors/logger';
import { keysOf, objectOption } from './internal/validate';
import { overloadServerInterceptor } from './overload/server-interceptor';
import type { OverloadOptions } from './overload/options';
import { retryClientInterceptor } from './retry/interceptor';
import type { RetryOptions } from './retry/options';
import type { ServiceSource } from './internal/services';
import { resolveStatusTable, type StatusTable, type StatusTableOptions } from './status/table';
import { attemptObserverClientInterceptor, callObserverClientInterceptor } from './telemetry/client-observer';
import { observeHandler, type ObserveOptions } from './telemetry/observe';
import { callObserverServerInterceptor } from './telemetry/server-observer';
import { resolveTraceOptions, type TraceOptions } from './trace/options';
import { traceClientInterceptor } from './trace/client-interceptor';
import { throttleClientInterceptor } from './throttle/client-interceptor';
import type { ThrottleOptions } from './throttle/options';

/** Options every concern reads from the stack, not from its own section. */
type Shared = 'onEvent' | 'statusTable' | 'service';

export interface ClientStackOptions extends ObserveOptions {
  /**
   * Name of the target in breaker keys, retry budgets, events and metrics. Default: the channel
   * target grpc-js reports (`dns:host:port`).
   */
  readonly target?: string;
  /**
   * Service definitions of the services called: their proto `idempotency_level` marks methods safe
   * to retry, and every method key of the stack (retry, deadline, status table, fallback) must
   * name one of their methods or services.
   */
  readonly service?: ServiceSource | readonly ServiceSource[];
  /** The status table shared by every interceptor of the stack (or options for one). */
  readonly statusTable?: StatusTable | StatusTableOptions;
  /** Trace headers. */
  readonly trace?: TraceOptions;
  /** Deadline propagation and default deadlines; `false` leaves deadlines to grpc-js. */
  readonly deadline?: Omit<DeadlineClientOptions, Shared> | false;
  /** Retries; `false` disables them. */
  readonly retry?: Omit<RetryOptions, Shared | 'target'> | false;
  /** Hedging of idempotent calls (off unless given); hedges draw from the retry budget. */
  readonly hedging?: Omit<HedgingOptions, Shared | 'retry' | 'service' | 'target'> | false;
  /** Circuit breaking; `false` disables it. */
  readonly breaker?: Omit<BreakerOptions, Shared | 'target'> | false;
  /** Fallbacks keyed by method path, used when the breaker is open or a call fails with a server fault. */
  readonly fallback?: FallbackMap;
  /**
   * How calls are marked critical, default or sheddable (per method, or for the whole stack);
   * `false` sends no mark, not even one inherited from the call being served.
   */
  readonly criticality?: CriticalityOptions | false;
  /** Adaptive throttling per target (off unless given): calls refused locally while the target rejects too much. */
  readonly throttle?: Omit<ThrottleOptions, Shared | 'target'> | false;
}

/** The client interceptors, plus what a long-lived client needs to manage them. */
export type ClientStack = grpc.Interceptor[] & {
  /** The breakers of this stack (undefined when breaking is off). */
  readonly breakers: BreakerRegistry | undefined;
  /** Shuts down every breaker (clears their timers); call when closing the client. */
  dispose(): void;
};

export interface ServerStackOptions extends ObserveOptions {
  /** Service definitions served: every method key of the stack (deadline, status table) must name one of their methods or services. */
  readonly service?: ServiceSource | readonly ServiceSource[];
  /** How incoming trace ids are accepted and returned. */
  readonly trace?: TraceOptions;
  /** Load shedding of calls that arrive with too little time left; `false` disables it. */
  readonly deadline?: Omit<DeadlineServerOptions, Shared> | false;
  /**
   * Translation of failures into safe public statuses; `false` turns the translator off (plain
   * handlers then answer as grpc-js does; wrapService handlers still send safe statuses, unlogged).
   */
  readonly errors?: Omit<ErrorTranslationOptions, Shared | 'traceIdHeader'> | false;
  /** The status table (its `exposable` flags decide which chosen codes are kept). */
  readonly statusTable?: StatusTable | StatusTableOptions;
  /** Overload protection (off unless given): a concurrency limit, adaptive by default, shared out by criticality. */
  readonly overload?: Omit<OverloadOptions, Shared> | false;
}

const OBSERVE = { onEvent: true, metrics: true, logger: true, logs: true } as const;
const CLIENT_KEYS = keysOf<ClientStackOptions>({
  target: true,
  service: true,
  statusTable: true,
  trace: true,
  deadline: true,
  retry: true,
  hedging: true,
  breaker: true,
  fallback: true,
  criticality: true,
  throttle: true,
  ...OBSERVE,
});
const SERVER_KEYS = keysOf<ServerStackOptions>({ service: true, trace: true, deadline: true, overload: true, errors: true, statusTable: true, ...OBSERVE });

/** A concern's section of the stack options: an object, `false` (the concern is off) or undefined (defaults). */
function section<T extends object>(owner: string, name: string, value: T | false | undefined): T | undefined {
  if (value === false) return undefined;
  if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new TypeError(`${owner}: ${name} must be an object or false; got ${String(value)}`);
  }
  return (value ?? {}) as T;
}

/**
 * The client stack, outermost first: trace → criticality → (call observer) → fallback → deadline →
 * (hedging) → retry → (throttle) → breaker → (attempt observer). Observers are present only when
 * events, metrics or logs are asked for; fallback only when fallbacks are given; hedging and
 * throttle only when asked for.
 */
export function clientInterceptors(options: ClientStackOptions = {}): ClientStack {
  const o = objectOption<ClientStackOptions>('clientInterceptors options', options, CLIENT_KEYS);
  const statusTable = resolveStatusTable(o.statusTable, o.service);
  const onEvent = observeHandler(o);
  const { target, service } = o;
  const owner = 'clientInterceptors options';
  const deadline = section<Omit<DeadlineClientOptions, Shared>>(owner, 'deadline', o.deadline);
  const retry = section<Omit<RetryOptions, Shared | 'target'>>(owner, 'retry', o.retry);
  const breakerOptions = section<Omit<BreakerOptions, Shared | 'target'>>(owner, 'breaker', o.breaker);
  const hedging = o.hedging === undefined ? undefined : section<Omit<HedgingOptions, Shared>>(owner, 'hedging', o.hedging);
  const throttle = o.throttle === undefined ? undefined : section<Omit<ThrottleOptions, Shared | 'target'>>(owner, 'throttle', o.throttle);
  const criticality = o.criticality === false ? undefined : criticalityResolver(o.criticality);

  const list: grpc.Interceptor[] = [traceClientInterceptor(o.trace)];
  if (criticality) list.push(criticalityClientInterceptor(criticality));
  if (onEvent) list.push(callObserverClientInterceptor(onEvent, target));
  // Outside deadline and retry: it answers the final outcome, a call failed for lack of time included.
  if (o.fallback !== undefined) {
    list.push(fallbackClientInterceptor(o.fallback, { target, scope: breakerOptions?.scope, service, statusTable, onEvent }));
  }
  if (deadline) list.push(deadlineClientInterceptor({ ...deadline, service, onEvent }));
  const retrying = retry ? retryClientInterceptor({ ...retry, service, target, statusTable, onEvent }) : undefined;
  if (hedging) {
    const rules = retrying ? { retry: retrying, service } : { retry: false as const, service, target, statusTable };
    list.push(hedgingClientInterceptor({ ...hedging, ...rules, onEvent }));
  }
  if (retrying) list.push(retrying);
  // Below retry (every attempt is a request), above the breaker (what it refuses never reached the target).
  if (throttle) list.push(throttleClientInterceptor({ ...throttle, target, onEvent }, criticality));
  const breaker = breakerOptions ? breakerClientInterceptor({ ...breakerOptions, target, statusTable, onEvent }) : undefined;
  if (breaker) list.push(breaker);
  if (onEvent) list.push(attemptObserverClientInterceptor(onEvent, target));

  return Object.assign(list, {
    breakers: breaker?.registry,
    dispose: () => breaker?.dispose(),
  });
}

/**
 * The server stack, outermost first: call context + trace → (call observer) → deadline shedding →
 * (overload protection) → error translation. Register `wrapService` handlers (or callback handlers) with it.
 */
export function serverInterceptors(options: ServerStackOptions = {}): grpc.ServerInterceptor[] {
  const o = objectOption<ServerStackOptions>('serverInterceptors options', options, SERVER_KEYS);
  const trace = resolveTraceOptions(o.trace);
  const statusTable = resolveStatusTable(o.statusTable, o.service);
  const onEvent = observeHandler(o);
  const owner = 'serverInterceptors options';
  const deadline = section<Omit<DeadlineServerOptions, Shared>>(owner, 'deadline', o.deadline);
  const errors = section<Omit<ErrorTranslationOptions, Shared | 'traceIdHeader'>>(owner, 'errors', o.errors);
  const list: grpc.ServerInterceptor[] = [callContextServerInterceptor(o.trace)];
  if (onEvent) list.push(callObserverServerInterceptor(onEvent));
  if (deadline) list.push(deadlineServerInterceptor({ ...deadline, service: o.service, onEvent }));
  const overload = o.overload === undefined ? undefined : section<Omit<OverloadOptions, Shared>>(owner, 'overload', o.overload);
  if (overload) list.push(overloadServerInterceptor({ ...overload, onEvent }));
  if (errors) {
    list.push(
      errorTranslationServerInterceptor({
        ...errors,
        // One logger for the stack: the translator writes the original error of each failed call.
        logger: errors.logger ?? (o.logger as ErrorLogger | undefined),
        statusTable,
        traceIdHeader: trace.traceIdHeader,
        onEvent,
      }),
    );
  }
  return list;
}
