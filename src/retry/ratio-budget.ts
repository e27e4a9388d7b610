/** Slots the window is divided into: memory is fixed, and counts expire one slot at a time. */
const SLOTS = 10;

/**
 * Retries may be at most `ratio` of the logical calls seen over the last `windowMs`, plus a
 * floor of `minPerSecond` retries per second so low-traffic clients can still retry.
 * Counts live in a ring of fixed slots that are expired lazily from the clock: no timers.
 */
export class RatioRetryBudget {
  private readonly requests = new Float64Array(SLOTS);
  private readonly retries = new Float64Array(SLOTS);
  private readonly slotMs: number;
  private readonly floor: number;
  /** Absolute index of the slot the ring's head stands for (time / slotMs). */
  private headSlot = -Infinity;
  private totalRequests = 0;
  private totalRetries = 0;

  constructor(
    private readonly ratio: number,
    minPerSecond: number,
    windowMs: number,
    private readonly now: () => number,
  ) {
    this.slotMs = windowMs / SLOTS;
    this.floor = (minPerSecond * windowMs) / 1000;
  }

  recordRequest(): void {
    const slot = this.advance();
    this.requests[slot]++;
    this.totalRequests++;
  }

  /** Takes one retry from the budget when there is room; false (and nothing taken) otherwise. */
  tryAcquire(): boolean {
    const slot = this.advance();
    if (this.totalRetries + 1 > this.ratio * this.totalRequests + this.floor) return false;
    this.retries[slot]++;
    this.totalRetries++;
    return true;
  }

  /** Counts over the current window (for metrics and tests). */
  snapshot(): { requests: number; retries: number; allowance: number } {
    this.advance();
    return {
      requests: this.totalRequests,
      retries: this.totalRetries,
      allowance: Math.floor(this.ratio * this.totalRequests + this.floor),
    };
  }

  /** Expires slots older than the window and returns the ring index for now. */
  private advance(): number {
    const slot = Math.floor(this.now() / this.slotMs);
    if (slot > this.headSlot) {
      const stale = slot - this.headSlot;
      if (stale >= SLOTS) {
        this.requests.fill(0);
        this.retries.fill(0);
        this.totalRequests = 0;
        this.totalRetries = 0;
      } else {
        for (let s = this.headSlot + 1; s <= slot; s++) {
          const i = ringIndex(s);
          this.totalRequests -= this.requests[i];
          this.totalRetries -= this.retries[i];
          this.requests[i] = 0;
          this.retries[i] = 0;
        }
      }
      this.headSlot = slot;
    }
    // A clock that steps back keeps counting into the head slot.
    return ringIndex(this.headSlot);
  }
}

function ringIndex(slot: number): number {
  return ((slot % SLOTS) + SLOTS) % SLOTS;
}
