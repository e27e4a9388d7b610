import { exhaustive } from '../internal/exhaustive';
import { isKnownStatusCode, STATUS_NAMES } from '../status/codes';
import { integerOption, keysOf, objectOption } from '../internal/validate';
import { BoundedValues } from './attributes';
import type { EventHandler, ResilienceEvent } from './events';
import { openTelemetry } from '../internal/otel';

type Attributes = Record<string, string | number | boolean>;
interface Histogram {
  record(value: number, attributes?: Attributes): void;
}
interface Counter {
  add(value: number, attributes?: Attributes): void;
}
interface ObservableResult {
  observe(value: number, attributes?: Attributes): void;
}
interface ObservableGauge {
  addCallback(callback: (result: ObservableResult) => void): void;
}
interface Meter {
  createObservableGauge(name: string, options?: { unit?: string; description?: string }): ObservableGauge;
  createHistogram(name: string, options?: { unit?: string; description?: string; advice?: { explicitBucketBoundaries?: number[] } }): Histogram;
  createCounter(name: string, options?: { unit?: string; description?: string }): Counter;
  createUpDownCounter(name: string, options?: { unit?: string; description?: string }): Counter;
}

export interface MetricsOptions {
  /** An OpenTelemetry `MeterProvider`; the global one from `@opentelemetry/api` by default. */
  readonly meterProvider?: { getMeter(name: string, version?: string): unknown };
  /** Distinct `grpc.method` values recorded before others become `other` (default 500). */
  readonly maxMethods?: number;
  /** Distinct `grpc.target` values recorded before others become `other` (default 100). */
  readonly maxTargets?: number;
  /** Distinct `grpc_resilience.breaker.key` values recorded before others become `other` (default 500). */
  readonly maxBreakerKeys?: number;
}

/** Latency buckets in seconds (gRFC A66's recommendation, trimmed). */
const LATENCY_BUCKETS = [
  0, 0.00001, 0.00005, 0.0001, 0.0003, 0.0006, 0.0008, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01,
  0.013, 0.016, 0.02, 0.025, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65, 0.8, 1,
  2, 5, 10, 20, 50, 100,
];

/**
 * The `grpc.status` attribute: the code's name. A code outside 0–16 (a rogue server's) is UNKNOWN,
 * gRPC's code for a status from an error space it does not know, so such codes add one value at most.
 */
function statusAttribute(code: number): string {
  return isKnownStatusCode(code) ? STATUS_NAMES[code] : 'UNKNOWN';
}

/**
 * A gauge reporting the last value set per attribute set when the SDK collects. Its attribute
 * sets are bounded by the callers (values from `BoundedValues`).
 */
function lastValueGauge(meter: Meter, name: string, options: { unit: string; description: string }): (value: number, attributes: Attributes) => void {
  const values = new Map<string, { value: number; attributes: Attributes }>();
  meter.createObservableGauge(name, options).addCallback((result) => {
    for (const { value, attributes } of values.values()) result.observe(value, attributes);
  });
  return (value, attributes) => values.set(Object.values(attributes).join('\u0000'), { value, attributes });
}

/**
 * An event handler that records OpenTelemetry metrics. Returns undefined when
 * `@opentelemetry/api` is not installed and no meter provider is given: nothing is recorded.
 */
export function createMetricsHandler(options: MetricsOptions = {}): EventHandler | undefined {
  const o = objectOption<MetricsOptions>('metrics', options, keysOf<MetricsOptions>({ meterProvider: true, maxMethods: true, maxTargets: true, maxBreakerKeys: true }));
  const provider = o.meterProvider ?? openTelemetry()?.metrics;
  if (!provider) return undefined;
  const meter = provider.getMeter('grpc-resilience') as Meter;
  const methods = new BoundedValues(integerOption('metrics.maxMethods', o.maxMethods, 500, 1, 100_000));
  const targets = new BoundedValues(integerOption('metrics.maxTargets', o.maxTargets, 100, 1, 100_000));
  const breakerKeys = new BoundedValues(integerOption('metrics.maxBreakerKeys', o.maxBreakerKeys, 500, 1, 100_000));
  const seconds = { unit: 's', advice: { explicitBucketBoundaries: LATENCY_BUCKETS } };
  const i = {
    attemptStarted: meter.createCounter('grpc.client.attempt.started', { unit: '{attempt}', description: 'Client attempts started, those still in flight included.' }),
    attemptDuration: meter.createHistogram('grpc.client.attempt.duration', { ...seconds, description: 'Time from the start to the end of one client attempt.' }),
    callDuration: meter.createHistogram('grpc.client.call.duration', { ...seconds, description: 'Time from the start to the end of a logical client call, all attempts included.' }),
    retries: meter.createHistogram('grpc.client.call.retries', { unit: '{retry}', description: 'Retries made by a client call (calls without retries are not recorded).', advice: { explicitBucketBoundaries: [1, 2, 3, 4, 5, 10] } }),
    hedges: meter.createHistogram('grpc.client.call.hedges', { unit: '{hedge}', description: 'Hedges made by a client call (calls without hedges are not recorded).', advice: { explicitBucketBoundaries: [1, 2, 3, 4, 5] } }),
    retryDelay: meter.createHistogram('grpc.client.call.retry_delay', { ...seconds, description: 'Total time a client call waited between attempts.' }),
    serverDuration: meter.createHistogram('grpc.server.call.duration', { ...seconds, description: 'Time from the start to the end of a served call.' }),
    breakerTransitions: meter.createCounter('grpc_resilience.breaker.transitions', { unit: '{transition}', description: 'Circuit breaker state changes.' }),
    breakerOpen: meter.createUpDownCounter('grpc_resilience.breaker.open', { unit: '{breaker}', description: 'Breakers currently open or half-open.' }),
    breakerRejections: meter.createCounter('grpc_resilience.breaker.rejections', { unit: '{call}', description: 'Calls failed locally because their breaker was open.' }),
    budgetExhausted: meter.createCounter('grpc_resilience.retry.budget_exhausted', { unit: '{retry}', description: 'Retries refused because the retry budget was spent.' }),
    giveUps: meter.createCounter('grpc_resilience.retry.give_ups', { unit: '{call}', description: 'Failed calls the retry interceptor stopped retrying, by reason.' }),
    fallbacks: meter.createCounter('grpc_resilience.fallbacks', { unit: '{call}', description: 'Calls answered by a fallback instead of the server.' }),
    failFast: meter.createCounter('grpc_resilience.deadline.fail_fast', { unit: '{call}', description: 'Client calls failed locally for lack of time, never sent.' }),
    shed: meter.createCounter('grpc_resilience.deadline.shed', { unit: '{call}', description: 'Incoming calls rejected on arrival for lack of time.' }),
    translated: meter.createCounter('grpc_resilience.server.errors_translated', { unit: '{error}', description: 'Server failures translated into safe public statuses.' }),
    overloadRejections: meter.createCounter('grpc_resilience.overload.rejections', {
      unit: '{call}',
      description: 'Incoming calls refused before their handler ran because a concurrency limit was reached, by criticality.',
    }),
    overloadLimit: lastValueGauge(meter, 'grpc_resilience.overload.limit', {
      unit: '{call}',
      description: 'The concurrency limit of a server (or of one method), as of its last window.',
    }),
    overloadInFlight: lastValueGauge(meter, 'grpc_resilience.overload.in_flight', {
      unit: '{call}',
      description: 'Calls in flight under a concurrency limit, as of its last window.',
    }),
    throttleRejections: meter.createCounter('grpc_resilience.throttle.rejections', {
      unit: '{call}',
      description: 'Client calls refused locally by adaptive throttling, never sent.',
    }),
    throttleProbability: lastValueGauge(meter, 'grpc_resilience.throttle.probability', {
      unit: '1',
      description: 'The probability adaptive throttling refuses a call to a target, by criticality.',
    }),
  };
  const attrs = (event: { method: string; target?: string }, extra?: Attributes): Attributes => ({
    'grpc.method': methods.get(event.method),
    'grpc.target': targets.get(event.target),
    ...extra,
  });

  return (event: ResilienceEvent) => {
    switch (event.type) {
      case 'attempt-start':
        i.attemptStarted.add(1, attrs(event));
        break;
      case 'attempt-end':
        i.attemptDuration.record(event.durationMs / 1000, attrs(event, { 'grpc.status': statusAttribute(event.code) }));
        break;
      case 'call-end':
        if (event.side === 'server') {
          i.serverDuration.record(event.durationMs / 1000, { 'grpc.method': methods.get(event.method), 'grpc.status': statusAttribute(event.code) });
          break;
        }
        i.callDuration.record(event.durationMs / 1000, attrs(event, { 'grpc.status': statusAttribute(event.code) }));
        if (event.attempts > 1) {
          const hedges = event.hedges ?? 0;
          const retries = event.attempts - 1 - hedges;
          if (hedges > 0) i.hedges.record(hedges, attrs(event));
          if (retries > 0) {
            i.retries.record(retries, attrs(event));
            i.retryDelay.record((event.retryDelayMs ?? 0) / 1000, attrs(event));
          }
        }
        break;
      case 'breaker-state': {
        const a = {
          'grpc.target': targets.get(event.target),
          'grpc_resilience.breaker.key': breakerKeys.get(event.key),
          'grpc_resilience.breaker.state': event.to,
        };
        i.breakerTransitions.add(1, a);
        const wasClosed = event.from === 'closed';
        const isClosed = event.to === 'closed';
        if (wasClosed !== isClosed) i.breakerOpen.add(isClosed ? -1 : 1, { 'grpc.target': a['grpc.target'] });
        break;
      }
      case 'breaker-reject':
        i.breakerRejections.add(1, attrs(event));
        break;
      case 'budget-exhausted':
        i.budgetExhausted.add(1, attrs(event));
        break;
      case 'give-up':
        i.giveUps.add(1, attrs(event, { 'grpc.status': statusAttribute(event.code), 'grpc_resilience.reason': event.reason }));
        break;
      case 'fallback':
        i.fallbacks.add(1, attrs(event, { 'grpc.status': statusAttribute(event.code), 'grpc_resilience.fallback.succeeded': event.succeeded }));
        break;
      case 'deadline-fail-fast':
        i.failFast.add(1, attrs(event));
        break;
      case 'deadline-shed':
        i.shed.add(1, { 'grpc.method': methods.get(event.method) });
        break;
      case 'error-translated':
        i.translated.add(1, { 'grpc.method': methods.get(event.method), 'grpc.status': statusAttribute(event.toCode), 'grpc_resilience.error.kind': event.kind });
        break;
      case 'overload-reject':
        i.overloadRejections.add(1, {
          'grpc.method': methods.get(event.method),
          'grpc_resilience.criticality': event.criticality,
          'grpc_resilience.overload.scope': event.scope === 'server' ? 'server' : 'method',
        });
        break;
      case 'overload-limit': {
        const a = { 'grpc_resilience.overload.scope': event.scope === 'server' ? 'server' : methods.get(event.scope) };
        i.overloadLimit(event.limit, a);
        i.overloadInFlight(event.inFlight, a);
        break;
      }
      case 'throttle-reject':
        i.throttleRejections.add(1, attrs(event, { 'grpc_resilience.criticality': event.criticality }));
        break;
      case 'throttle-probability':
        i.throttleProbability(event.probability, { 'grpc.target': targets.get(event.target), 'grpc_resilience.criticality': event.criticality });
        break;
      case 'retry':
        break; // counted by call-end (retries per call) and attempt-end
      case 'hedge':
        break;
      default:
        exhaustive(event);
    }
  };
}
