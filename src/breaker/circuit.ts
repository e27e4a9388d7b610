import CircuitBreaker from 'opossum';
import { emitSafely } from '../telemetry/emit';
import type { BreakerState } from '../telemetry/events';
import { LazyWindow, NO_ROTATION_TIMER, type WindowStatus } from './lazy-window';
import type { ResolvedBreakerTuning } from './options';
import { FAILURE, NEUTRAL, SUCCESS, type Outcome } from './outcome';

/**
 * The longest retry hint a breaker gives: the default `maxPushbackMs` of the retry interceptor,
 * beyond which a wait is read as "do not retry" rather than as a time to come back.
 */
export const MAX_RETRY_HINT_MS = 30_000;

/** `admit` result for a call the breaker refuses. */
export const REJECTED = -1;

/** The one call let through while half-open: its outcome decides the breaker's next state. */
export class Probe {
  /** What opossum's action settles with (it holds the half-open slot until then). */
  readonly verdict: Promise<void>;
  resolve!: () => void;
  reject!: (reason: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.verdict = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** A generation number (≥ 0: admitted while closed), a Probe, or REJECTED. */
export type Ticket = number | Probe;

export const isProbe = (ticket: Ticket): ticket is Probe => typeof ticket === 'object';

/**
 * The action every breaker wraps: it settles the way the outcome it is given settles. One
 * breaker thus serves every call of its key; it never holds a captured call.
 */
const settleAs = (outcome: PromiseLike<void>): PromiseLike<void> => outcome;
/** The rejection reason of counted failures (opossum only needs something to reject with). */
const COUNTED_FAILURE = Object.freeze(new Error('call failed with a server fault'));
const ignore = (): void => {};

/** Read-only view of one breaker, for metrics and tests. */
export interface BreakerSnapshot {
  readonly key: string;
  readonly target: string;
  readonly state: BreakerState;
  /** Counted calls in the rolling window. */
  readonly calls: number;
  /** Of those, failures. */
  readonly failures: number;
  /** Calls admitted and not finished yet. */
  readonly inFlight: number;
  /** Milliseconds until the next probe is allowed (0 unless open). */
  readonly retryAfterMs: number;
}

/**
 * One breaker key: an opossum CircuitBreaker used as the state machine and rolling window, with
 * our own admission and accounting around it.
 *
 * - Calls admitted while closed are counted when they finish (so in-flight calls never dilute
 *   the failure rate, and a result from before a state change is dropped as stale): successes
 *   straight into opossum's window, failures through `fire`, whose rule decides the opening.
 * - While half-open, the first caller becomes the probe: it is fired through opossum at once,
 *   which closes the probe slot; its outcome (or `probeTimeoutMs` passing) closes or re-opens
 *   the breaker.
 */
export class Circuit {
  state: BreakerState = 'closed';
  /** When a call last used this breaker (registry LRU and idle eviction). */
  lastUsedAt: number;
  inFlight = 0;
  private generation = 0;
  private openedAt = 0;
  private probe: Probe | undefined;
  private stopped = false;
  private readonly breaker: CircuitBreaker<[PromiseLike<void>], void>;
  private readonly window: LazyWindow;

  constructor(
    readonly key: string,
    readonly target: string,
    private readonly tuning: ResolvedBreakerTuning,
    now: number,
  ) {
    this.lastUsedAt = now;
    this.breaker = new CircuitBreaker(settleAs as (outcome: PromiseLike<void>) => Promise<void>, {
      name: key,
      timeout: false, // deadlines govern how long a call may take
      errorThresholdPercentage: tuning.errorThresholdPercentage,
      volumeThreshold: tuning.volumeThreshold,
      resetTimeout: tuning.resetTimeoutMs,
      rollingCountTimeout: tuning.rollingWindowMs,
      rollingCountBuckets: tuning.rollingBuckets,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: NO_ROTATION_TIMER,
    });
    const status = this.breaker.status as unknown as WindowStatus;
    this.window = new LazyWindow(status, tuning.rollingWindowMs, tuning.rollingBuckets, now);
    this.breaker.on('open', () => this.enter('open'));
    this.breaker.on('halfOpen', () => this.enter('half-open'));
    this.breaker.on('close', () => this.enter('closed'));
  }

  /** Decides whether a call may go out now; admitted calls must be `settle`d exactly once. */
  admit(): Ticket {
    const breaker = this.breaker;
    if (breaker.closed || this.stopped) {
      this.inFlight++;
      return this.generation;
    }
    if (breaker.pendingClose) {
      // Half-open with the probe slot free: firing now takes the slot (opossum admits one).
      const probe = new Probe();
      this.probe = probe;
      this.inFlight++;
      breaker.fire(probe.verdict).then(undefined, ignore);
      // A probe that hangs (no deadline, a stuck server) must not hold the breaker half-open.
      probe.timer = setTimeout(() => this.settleProbe(probe, FAILURE), this.tuning.probeTimeoutMs);
      probe.timer.unref();
      return probe;
    }
    return REJECTED;
  }

  /** Records the outcome of an admitted call. */
  settle(ticket: Ticket, outcome: Outcome, now: number): void {
    this.inFlight--;
    if (this.stopped) return;
    if (isProbe(ticket)) {
      this.settleProbe(ticket, outcome);
      return;
    }
    if (outcome === NEUTRAL || ticket !== this.generation) return;
    this.window.catchUp(now);
    const bucket = this.window.current;
    if (outcome === SUCCESS) {
      // What a successful fire adds while closed, without its promises (the hot path): a success
      // cannot open a breaker, so opossum has nothing to decide.
      bucket.fires++;
      bucket.successes++;
    } else {
      // Counted and decided synchronously, with opossum's own rule (enough volume and a failure
      // rate above the threshold), so a call made right after the failing one already sees the
      // breaker open; opossum's open() then runs its state machine and reset timer.
      bucket.fires++;
      bucket.failures++;
      const { fires, failures } = this.breaker.stats;
      if (fires >= this.tuning.volumeThreshold && (failures / fires) * 100 > this.tuning.errorThresholdPercentage) {
        this.breaker.open();
      }
    }
  }

  /**
   * The retry hint a refused call carries: milliseconds until a call may get through. It only
   * ever advises the refused call (callers never hold back other requests on it), so it is sized
   * for a caller to act on: the rest of the open period, at most `MAX_RETRY_HINT_MS`; while the
   * probe is out, a tenth of the reset timeout, since the probe's first answer may close the
   * breaker and a caller told to wait a whole reset timeout would stay away long after.
   */
  retryAfterMs(now: number): number {
    if (this.state === 'open') return Math.min(MAX_RETRY_HINT_MS, Math.max(0, Math.ceil(this.openedAt + this.tuning.resetTimeoutMs - now)));
    if (this.state === 'half-open') return Math.min(MAX_RETRY_HINT_MS, Math.ceil(this.tuning.resetTimeoutMs / 10));
    return 0;
  }

  snapshot(now: number): BreakerSnapshot {
    this.window.catchUp(now);
    const stats = this.breaker.stats;
    return {
      key: this.key,
      target: this.target,
      state: this.state,
      calls: stats.fires,
      failures: stats.failures,
      inFlight: this.inFlight,
      retryAfterMs: this.retryAfterMs(now),
    };
  }

  /** Stops the breaker: its reset timer is cleared and later results are ignored. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.probe?.timer);
    this.probe = undefined;
    this.breaker.shutdown();
    if (this.state !== 'closed') {
      // For the key, the breaker is closed again: a later call starts a fresh one.
      const from = this.state;
      this.state = 'closed';
      emitSafely(this.tuning.onEvent, { type: 'breaker-state', key: this.key, target: this.target, from, to: 'closed', evicted: true });
    }
  }

  get isShutdown(): boolean {
    return this.stopped;
  }

  /** The probe's verdict, once: a later one (the call ending after its probe timed out) is ignored. */
  private settleProbe(probe: Probe, outcome: Outcome): void {
    if (this.probe !== probe) return;
    this.probe = undefined;
    clearTimeout(probe.timer);
    if (outcome === SUCCESS) probe.resolve();
    else if (outcome === FAILURE) probe.reject(COUNTED_FAILURE);
    else {
      // The probe was cancelled: no verdict. Back to open for another reset timeout, uncounted.
      this.breaker.open();
      probe.resolve();
    }
  }

  private enter(to: BreakerState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.generation++;
    const now = this.tuning.clock();
    if (to === 'open') this.openedAt = now;
    else if (to === 'closed') this.window.clear(now);
    emitSafely(this.tuning.onEvent, { type: 'breaker-state', key: this.key, target: this.target, from, to });
  }
}
