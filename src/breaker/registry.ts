import { objectOption } from '../internal/validate';
import { Circuit, type BreakerSnapshot } from './circuit';
import { resolveBreakerTuning, TUNING_KEYS, type BreakerTuning, type ResolvedBreakerTuning } from './options';

/**
 * The breakers of one or more clients, keyed by target and method (or service), created on first
 * use. Bounded two ways, both evaluated lazily when calls come in (no sweeping timer):
 * - at most `maxBreakers`: creating one more shuts down the least recently used;
 * - a breaker unused for `idleEvictionMs` (and with no call in flight) is shut down.
 * A shut-down breaker has cleared its timer and holds no reference from the registry.
 */
export class BreakerRegistry {
  readonly tuning: ResolvedBreakerTuning;
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly circuits = new Map<string, Circuit>();
  private newest: Circuit | undefined;
  private nextIdleCheckAt = Infinity;
  private disposed = false;

  constructor(options?: BreakerTuning, name = 'breaker') {
    this.tuning = resolveBreakerTuning(objectOption<BreakerTuning>(name, options, TUNING_KEYS), name);
  }

  /** Number of live breakers. */
  get size(): number {
    return this.circuits.size;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The breaker for `key`, created if needed and marked used; undefined after `dispose()`. */
  acquire(key: string, target: string, now: number): Circuit | undefined {
    if (this.disposed) return undefined;
    let circuit = this.circuits.get(key);
    if (circuit === undefined) {
      circuit = new Circuit(key, target, this.tuning, now);
      this.circuits.set(key, circuit);
      if (this.circuits.size > this.tuning.maxBreakers) this.evictLeastRecent();
      if (this.nextIdleCheckAt === Infinity) this.nextIdleCheckAt = now + this.tuning.idleEvictionMs;
    } else if (circuit !== this.newest) {
      this.circuits.delete(key);
      this.circuits.set(key, circuit);
    }
    this.newest = circuit;
    circuit.lastUsedAt = now;
    if (now >= this.nextIdleCheckAt) this.evictIdle(now);
    return circuit;
  }

  /** Shuts down breakers idle for `idleEvictionMs` with nothing in flight; returns how many. */
  evictIdle(now: number = this.tuning.clock()): number {
    const idleMs = this.tuning.idleEvictionMs;
    const limit = now - idleMs;
    let evicted = 0;
    this.nextIdleCheckAt = Infinity;
    for (const [key, circuit] of this.circuits) {
      if (circuit.lastUsedAt > limit) {
        this.nextIdleCheckAt = circuit.lastUsedAt + idleMs;
        break;
      }
      this.circuits.delete(key);
      if (circuit.inFlight > 0) {
        // A long call (a stream) keeps its breaker: count it as used now.
        circuit.lastUsedAt = now;
        this.circuits.set(key, circuit);
        this.newest = circuit;
        continue;
      }
      this.remove(circuit);
      evicted++;
    }
    return evicted;
  }

  /** A snapshot of one breaker, if it exists. */
  get(key: string): BreakerSnapshot | undefined {
    return this.circuits.get(key)?.snapshot(this.tuning.clock());
  }

  /** Snapshots of every live breaker, least recently used first. */
  snapshot(): BreakerSnapshot[] {
    const now = this.tuning.clock();
    return Array.from(this.circuits.values(), (c) => c.snapshot(now));
  }

  /** Shuts every breaker down; later calls pass through unprotected. Idempotent. */
  dispose(): void {
    this.disposed = true;
    for (const circuit of this.circuits.values()) circuit.shutdown();
    this.circuits.clear();
    this.newest = undefined;
    this.nextIdleCheckAt = Infinity;
  }

  private evictLeastRecent(): void {
    const first = this.circuits.values().next();
    if (first.done) return;
    this.circuits.delete(first.value.key);
    this.remove(first.value);
  }

  private remove(circuit: Circuit): void {
    if (this.newest === circuit) this.newest = undefined;
    circuit.shutdown();
  }
}

/** Creates a registry to share between breaker interceptors (e.g. of several clients). */
export function createBreakerRegistry(options?: BreakerTuning): BreakerRegistry {
  return new BreakerRegistry(options);
}
