import * as grpc from '@grpc/grpc-js';
import { encodeRichStatus, retryInfoDetail, STATUS_DETAILS_KEY } from '../details';
import type { PartialServerStatus } from '../internal/grpc-types';
import { readServices, type KnownMethods, type ServiceSource } from '../internal/services';
import { functionOption, integerOption, keysOf, numberOption, objectOption } from '../internal/validate';
import { decideFault, errorDecision, isFault, PASS, type FaultDecision } from './decide';
import { MAX_TIMER_MS } from '../internal/time';
import { callRandom, hashString, randomSeed } from './random';
import { compileOutage, compileRules, ruleFor, type ErrorPlan, type FaultPlan, type FaultRules, type OutageFault, type RuleSet } from './rules';
import { copyCounters, countDecision, emptyCounters, type FaultCounters, type FaultStats } from './stats';

/** Reported for every call that gets a fault. */
export interface FaultEvent {
  readonly method: string;
  /** The call's number within its method (its random stream); undefined for calls hit by an outage. */
  readonly sequence: number | undefined;
  readonly outage: boolean;
  readonly decision: FaultDecision;
}

export interface FaultInjectorOptions {
  /** Seed of the fault schedule, an integer 0 – 2^32−1 (default: random; read it back from `injector.seed`). */
  readonly seed?: number;
  /** The initial rules (default: none, every call passes). */
  readonly rules?: FaultRules;
  /** Called for every faulted call; a throwing handler is ignored. */
  readonly onFault?: (event: FaultEvent) => void;
  /** The service definitions served: each rule's key must name one of their methods or services. */
  readonly service?: ServiceSource | readonly ServiceSource[];
}

export interface FaultInjector {
  /** Register on a `grpc.Server` (`interceptors: [injector.interceptor]`). */
  readonly interceptor: grpc.ServerInterceptor;
  /** The seed in use. */
  readonly seed: number;
  /** True while an outage started with `down()` lasts. */
  readonly isDown: boolean;
  /** Calls currently held by a delay or a stall. */
  readonly heldCalls: number;
  /** Replaces the rules (validated first; on a bad rule the old ones stay). */
  setRules(rules: FaultRules): void;
  /**
   * Starts an outage: every call fails (default UNAVAILABLE) or, with `'stall'`, is held, regardless
   * of the rules. With `forMs` it ends by itself after that long. Calls in an outage do not advance
   * the seeded sequence, so the faults after it do not depend on how many calls it caught.
   */
  down(forMs?: number, fault?: OutageFault | 'stall'): void;
  /** Ends the outage. */
  up(): void;
  /** A snapshot of the counters. */
  stats(): FaultStats;
  /** Clears counters and sequences (and changes the seed when given): the schedule starts over. */
  reset(options?: { readonly seed?: number }): void;
  /**
   * Ends the outage timer, ends every held call with UNAVAILABLE and turns the interceptor into a
   * pass-through. Leaves no timers behind.
   */
  dispose(): void;
}

const UINT32_MAX = 4_294_967_295;
const PUSHBACK_KEY = 'grpc-retry-pushback-ms';
const STALL_FOREVER: FaultDecision = Object.freeze({ action: 'stall', durationMs: undefined });

/**
 * A fault-injection server interceptor for tests. Faults are decided and applied before the
 * handler runs (unary and server-streaming calls at half-close, client-streaming and bidi calls
 * at metadata), so a call that gets an injected error or an endless stall never reaches the handler.
 */
export function faultInjector(options?: FaultInjectorOptions): FaultInjector {
  const o = objectOption<FaultInjectorOptions>('faultInjector', options, keysOf<FaultInjectorOptions>({ seed: true, rules: true, onFault: true, service: true }));
  const seed = o.seed === undefined ? randomSeed() : integerOption('faultInjector.seed', o.seed, 0, 0, UINT32_MAX);
  const known = readServices(o.service, 'faultInjector.service');
  const rules = compileRules(o.rules, 'faultInjector.rules', known);
  const onFault = functionOption<(event: FaultEvent) => void>('faultInjector.onFault', o.onFault);
  return new Injector(seed, rules, onFault, known);
}

/** Per-method state: its random stream position and counters, and its resolved rule. */
interface MethodState {
  readonly hash: number;
  sequence: number;
  readonly counters: FaultCounters;
  rulesVersion: number;
  plan: FaultPlan | undefined;
}

/** A call the injector is holding (delay or stall). */
interface HeldCall {
  readonly call: grpc.ServerInterceptingCallInterface;
  timer: NodeJS.Timeout | undefined;
}

class Injector implements FaultInjector {
  readonly interceptor: grpc.ServerInterceptor = (descriptor, call) => this.intercept(descriptor, call);
  private currentSeed: number;
  private rules: RuleSet;
  private rulesVersion = 0;
  private methods = new Map<string, MethodState>();
  private total = emptyCounters();
  private outage: ErrorPlan | 'stall' | undefined;
  private outageTimer: NodeJS.Timeout | undefined;
  private readonly held = new Set<HeldCall>();
  private disposed = false;

  constructor(
    seed: number,
    rules: RuleSet,
    private readonly onFault: ((event: FaultEvent) => void) | undefined,
    private readonly known: KnownMethods | undefined,
  ) {
    this.currentSeed = seed;
    this.rules = rules;
  }

  get seed(): number {
    return this.currentSeed;
  }

  get isDown(): boolean {
    return this.outage !== undefined;
  }

  get heldCalls(): number {
    return this.held.size;
  }

  setRules(rules: FaultRules): void {
    this.rules = compileRules(rules, 'rules', this.known);
    this.rulesVersion++;
  }

  down(forMs?: number, fault?: OutageFault | 'stall'): void {
    if (this.disposed) throw new Error('faultInjector: down() after dispose()');
    const duration = forMs === undefined ? undefined : numberOption('down(forMs)', forMs, 0, 0, MAX_TIMER_MS);
    this.outage = fault === 'stall' ? 'stall' : compileOutage('down(fault)', fault);
    this.clearOutageTimer();
    if (duration !== undefined) {
      this.outageTimer = setTimeout(() => this.up(), duration);
      this.outageTimer.unref();
    }
  }

  up(): void {
    this.clearOutageTimer();
    this.outage = undefined;
  }

  stats(): FaultStats {
    const methods: Record<string, FaultCounters> = {};
    for (const [path, state] of this.methods) methods[path] = copyCounters(state.counters);
    return { total: copyCounters(this.total), methods };
  }

  reset(options?: { readonly seed?: number }): void {
    const o = objectOption<{ seed?: number }>('reset', options, ['seed']);
    if (o.seed !== undefined) this.currentSeed = integerOption('reset.seed', o.seed, 0, 0, UINT32_MAX);
    this.methods.clear();
    this.total = emptyCounters();
  }

  dispose(): void {
    this.disposed = true;
    this.up();
    for (const held of this.held) {
      clearTimeout(held.timer);
      held.call.sendStatus({ code: grpc.status.UNAVAILABLE, details: 'fault injector disposed', metadata: new grpc.Metadata() });
    }
    this.held.clear();
  }

  private clearOutageTimer(): void {
    if (this.outageTimer !== undefined) clearTimeout(this.outageTimer);
    this.outageTimer = undefined;
  }

  private intercept(
    descriptor: grpc.ServerMethodDefinition<unknown, unknown>,
    call: grpc.ServerInterceptingCallInterface,
  ): grpc.ServerInterceptingCall {
    if (this.disposed) return new grpc.ServerInterceptingCall(call);
    const path = descriptor.path;
    let held: HeldCall | undefined;
    const apply = (proceed: () => void) => {
      held = this.apply(this.decide(path), call, proceed);
    };
    // Client-streaming and bidi handlers start at metadata, the others at half-close: decide just before.
    const listener: grpc.ServerListener = descriptor.requestStream
      ? { onReceiveMetadata: (metadata, next) => apply(() => next(metadata)), onCancel: () => this.release(held) }
      : { onReceiveHalfClose: (next) => apply(next), onCancel: () => this.release(held) };
    return new grpc.ServerInterceptingCall(call, { start: (next) => next(listener) });
  }

  private decide(path: string): FaultDecision {
    if (this.disposed) return PASS;
    const method = this.method(path);
    let decision: FaultDecision;
    let sequence: number | undefined;
    const outage = this.outage;
    if (outage !== undefined) {
      decision = outage === 'stall' ? STALL_FOREVER : errorDecision(outage, 0, 0);
    } else {
      sequence = method.sequence++;
      if (method.rulesVersion !== this.rulesVersion) {
        method.plan = ruleFor(this.rules, path);
        method.rulesVersion = this.rulesVersion;
      }
      decision = method.plan ? decideFault(method.plan, callRandom(this.currentSeed, method.hash, sequence)) : PASS;
    }
    countDecision(method.counters, decision, outage !== undefined);
    countDecision(this.total, decision, outage !== undefined);
    if (this.onFault && isFault(decision)) {
      try {
        this.onFault({ method: path, sequence, outage: outage !== undefined, decision });
      } catch {
        // A test's observer must not change the fault it observes.
      }
    }
    return decision;
  }

  private method(path: string): MethodState {
    let state = this.methods.get(path);
    if (!state) {
      state = { hash: hashString(path), sequence: 0, counters: emptyCounters(), rulesVersion: -1, plan: undefined };
      this.methods.set(path, state);
    }
    return state;
  }

  /** Carries out a decision; returns the hold when the call is held. */
  private apply(decision: FaultDecision, call: grpc.ServerInterceptingCallInterface, proceed: () => void): HeldCall | undefined {
    if (decision.action === 'stall') return this.hold(call, decision.durationMs, proceed);
    const then = decision.action === 'error' ? () => call.sendStatus(faultStatus(decision)) : proceed;
    if (decision.delayMs > 0) return this.hold(call, decision.delayMs, then);
    then();
    return undefined;
  }

  /** Holds the call for `ms` (forever when undefined: until it ends or the injector is disposed). */
  private hold(call: grpc.ServerInterceptingCallInterface, ms: number | undefined, then: () => void): HeldCall {
    const held: HeldCall = { call, timer: undefined };
    this.held.add(held);
    if (ms !== undefined) {
      held.timer = setTimeout(() => {
        this.held.delete(held);
        then();
      }, ms);
      // Left ref'd on purpose: it is always cleared when the call ends, so a leak shows up as an open handle.
    }
    return held;
  }

  /** The call ended (grpc-js calls onCancel at the end of every call): drop its hold. */
  private release(held: HeldCall | undefined): void {
    if (!held) return;
    clearTimeout(held.timer);
    this.held.delete(held);
  }
}

/** The status of an injected failure, with pushback and RetryInfo trailers when asked for. */
function faultStatus(decision: Extract<FaultDecision, { action: 'error' }>): PartialServerStatus {
  const metadata = new grpc.Metadata();
  if (decision.pushbackMs !== undefined) metadata.set(PUSHBACK_KEY, String(decision.pushbackMs));
  if (decision.retryInfoMs !== undefined) {
    metadata.set(STATUS_DETAILS_KEY, encodeRichStatus(decision.code, decision.message, [retryInfoDetail(decision.retryInfoMs)]));
  }
  return { code: decision.code, details: decision.message, metadata };
}
