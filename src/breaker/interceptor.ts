import type * as grpc from '@grpc/grpc-js';
import { asInterceptingCall, ForwardingCall } from '../internal/forwarding-call';
import type { InterceptingCallInterface } from '../internal/grpc-types';
import { objectOption } from '../internal/validate';
import type { StatusTable } from '../status/table';
import { isProbe, REJECTED, type Circuit, type Probe, type Ticket } from './circuit';
import { BreakerKeys } from './key';
import { KEY_OPTION_KEYS, resolveKeyOptions, TUNING_KEYS, type BreakerKeyOptions, type BreakerTuning } from './options';
import { breakerOutcome, SUCCESS, type Outcome } from './outcome';
import { BreakerRegistry } from './registry';
import { rejectedCall } from './reject';

export interface BreakerOptions extends BreakerTuning, BreakerKeyOptions {
  /**
   * A registry to use (shared with other interceptors); its tuning applies, so the tuning options
   * must not be given here as well. Default: a registry of this interceptor's own.
   */
  readonly registry?: BreakerRegistry;
}

/** The breaker interceptor, with its registry and a way to shut its breakers down. */
export type BreakerInterceptor = grpc.Interceptor & {
  readonly registry: BreakerRegistry;
  /** Shuts down every breaker of the registry (their timers included). */
  dispose(): void;
};

/**
 * Circuit breaking per target and method (or service), backed by opossum. Put it innermost: it
 * then sees every attempt a retry interceptor above makes.
 *
 * A call is admitted or refused when it is created; its final status is counted when it ends
 * (streaming calls included). Refused calls fail locally with UNAVAILABLE and RetryInfo.
 */
export function breakerClientInterceptor(options?: BreakerOptions): BreakerInterceptor {
  const name = 'breaker';
  const o = objectOption<BreakerOptions>(name, options, [...TUNING_KEYS, ...KEY_OPTION_KEYS, 'registry']);
  const keys = resolveKeyOptions(o, name);
  const registry = o.registry === undefined ? new BreakerRegistry(pickTuning(o), name) : sharedRegistry(o, name);
  const { clock, onEvent } = registry.tuning;
  const { target: fixedTarget, scope, table } = keys;
  const breakerKeys = new BreakerKeys(scope, fixedTarget);

  const interceptor: grpc.Interceptor = (callOptions, nextCall) => {
    const definition = callOptions.method_definition;
    const path = definition.path;
    const inner = nextCall(callOptions);
    const { key, target, peer } = breakerKeys.of(fixedTarget === undefined ? inner.getPeer() : undefined, path);
    const now = clock();
    const circuit = registry.acquire(key, target, now);
    if (circuit === undefined) return asInterceptingCall(inner);
    const ticket = circuit.admit();
    if (ticket === REJECTED) return rejectedCall(inner, circuit, path, now, onEvent);
    if (isProbe(ticket) && (definition.responseStream || definition.requestStream)) {
      return asInterceptingCall(new StreamProbeCall(inner, peer, circuit, ticket, path, table, clock));
    }
    return asInterceptingCall(new CountingCall(inner, peer, circuit, ticket, path, table, clock));
  };
  return Object.assign(interceptor, { registry, dispose: () => registry.dispose() });
}

function pickTuning(o: Partial<BreakerOptions>): BreakerTuning {
  const tuning: Record<string, unknown> = {};
  for (const key of TUNING_KEYS) if (o[key] !== undefined) tuning[key] = o[key];
  return tuning as BreakerTuning;
}

function sharedRegistry(o: Partial<BreakerOptions>, name: string): BreakerRegistry {
  if (!(o.registry instanceof BreakerRegistry)) {
    throw new TypeError(`${name}.registry must be a BreakerRegistry (from createBreakerRegistry()); got ${typeof o.registry}`);
  }
  const given = TUNING_KEYS.filter((key) => o[key] !== undefined);
  if (given.length > 0) {
    throw new TypeError(`${name}: ${given.join(', ')} cannot be combined with ${name}.registry; set them when creating the registry`);
  }
  return o.registry;
}

/**
 * An admitted call. Until it starts, it reports the peer string its key was found under (the same
 * string for every call to the target), so layers above that key maps by peer look it up cheaply.
 */
abstract class AdmittedCall extends ForwardingCall {
  constructor(
    inner: InterceptingCallInterface,
    private peerBeforeStart: string | undefined,
  ) {
    super(inner);
  }

  override start(metadata: grpc.Metadata, listener?: Partial<grpc.InterceptingListener>): void {
    this.peerBeforeStart = undefined; // from now on grpc-js knows best (the connected address)
    super.start(metadata, listener);
  }

  override getPeer(): string {
    return this.peerBeforeStart ?? super.getPeer();
  }
}

/** Counts the final status of an admitted call. */
class CountingCall extends AdmittedCall {
  constructor(
    inner: InterceptingCallInterface,
    peer: string | undefined,
    private readonly circuit: Circuit,
    private readonly ticket: Ticket,
    private readonly path: string,
    private readonly table: StatusTable,
    private readonly clock: () => number,
  ) {
    super(inner, peer);
  }

  override onReceiveStatus(status: grpc.StatusObject): void {
    this.circuit.settle(this.ticket, breakerOutcome(status.code, this.path, this.table), this.clock());
    super.onReceiveStatus(status);
  }
}

/**
 * A streaming call that is its breaker's probe gives its verdict as soon as the server answers
 * (response headers or a message), not when it ends: a long-lived stream must not hold the
 * breaker half-open, refusing every other call, for as long as it runs. A stream that ends
 * before answering gives its final status as the verdict.
 */
class StreamProbeCall extends AdmittedCall {
  private settled = false;

  constructor(
    inner: InterceptingCallInterface,
    peer: string | undefined,
    private readonly circuit: Circuit,
    private readonly probe: Probe,
    private readonly path: string,
    private readonly table: StatusTable,
    private readonly clock: () => number,
  ) {
    super(inner, peer);
  }

  override onReceiveMetadata(metadata: grpc.Metadata): void {
    this.verdict(SUCCESS);
    super.onReceiveMetadata(metadata);
  }

  override onReceiveMessage(message: unknown): void {
    this.verdict(SUCCESS);
    super.onReceiveMessage(message);
  }

  override onReceiveStatus(status: grpc.StatusObject): void {
    this.verdict(breakerOutcome(status.code, this.path, this.table));
    super.onReceiveStatus(status);
  }

  private verdict(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.circuit.settle(this.probe, outcome, this.clock());
  }
}
