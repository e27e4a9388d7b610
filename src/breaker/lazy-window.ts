import { EventEmitter } from 'node:events';
import type CircuitBreaker from 'opossum';

/**
 * Given to opossum as its `rotateBucketController`: opossum then creates no bucket timer of its
 * own and registers a 'rotate' listener here, which we drop (we rotate each window lazily, see
 * LazyWindow), so a registry holds no reference to evicted breakers and no timer at all.
 */
class NoRotationTimer extends EventEmitter {
  override on(event: string | symbol, listener: (...args: unknown[]) => void): this {
    return event === 'rotate' ? this : super.on(event, listener);
  }
  override addListener(event: string | symbol, listener: (...args: unknown[]) => void): this {
    return this.on(event, listener);
  }
}

export const NO_ROTATION_TIMER: EventEmitter = new NoRotationTimer();

/** opossum's Status as far as we use it (`rotateBucket` is a public field it sets on itself). */
export interface WindowStatus {
  /** A copy of the bucket list, newest first (the buckets themselves, not copies). */
  readonly window: CircuitBreaker.Bucket[];
  rotateBucket(): void;
}

/**
 * opossum stores one latency sample per call in the current bucket even with percentiles off; we
 * never read them, so the current bucket gets a sink instead of an array (memory stays flat
 * however many calls a window holds).
 */
const LATENCY_SINK = Object.freeze({ push: () => 0, length: 0 }) as unknown as number[];

/**
 * Slides an opossum rolling window on demand instead of on a timer: before the window is read or
 * written, it rotates once per bucket interval that has passed since the last rotation.
 */
export class LazyWindow {
  /**
   * The bucket calls are counted into now. Counted with `bucket.fires++` and the like: opossum's
   * `status.increment(name)` does the same through one property access for every counter name,
   * which V8 then treats as megamorphic (several hundred instructions per count).
   */
  current!: CircuitBreaker.Bucket;
  private rotatedAt: number;
  private readonly bucketMs: number;

  constructor(
    private readonly status: WindowStatus,
    windowMs: number,
    private readonly buckets: number,
    now: number,
  ) {
    this.bucketMs = windowMs / buckets;
    this.rotatedAt = now;
    this.sinkLatency();
  }

  /** Rotates the buckets that have expired by `now`. */
  catchUp(now: number): void {
    const elapsed = now - this.rotatedAt;
    if (elapsed < this.bucketMs) return; // also a clock that went backwards
    const passed = Math.floor(elapsed / this.bucketMs);
    const rotations = Math.min(passed, this.buckets);
    for (let i = 0; i < rotations; i++) this.status.rotateBucket();
    this.rotatedAt += passed * this.bucketMs;
    this.sinkLatency();
  }

  /** Empties the window (a recovered breaker starts counting afresh). */
  clear(now: number): void {
    for (let i = 0; i < this.buckets; i++) this.status.rotateBucket();
    this.rotatedAt = now;
    this.sinkLatency();
  }

  /** After each rotation: the new current bucket, its latency samples going nowhere. */
  private sinkLatency(): void {
    this.current = this.status.window[0];
    this.current.latencyTimes = LATENCY_SINK;
  }
}
