/**
 * A back replica's capacity: `slots` units of work at a time (think of a database connection
 * pool), the rest waiting first come, first served, without bound, as a plain Node.js service
 * queues. A caller that went away while waiting (cancelled, or its deadline passed) is skipped
 * when its turn comes, so no work is done for it; work already started is finished.
 */

interface Waiter {
  readonly cancelled: () => boolean;
  readonly resolve: (granted: boolean) => void;
}

export type Delay = (ms: number) => Promise<void>;

const sleep: Delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class WorkPool {
  private busy = 0;
  private queue: Waiter[] = [];
  private head = 0;
  /** Units of work done, and waiters skipped because their caller had gone. */
  done = 0;
  skipped = 0;

  constructor(
    readonly slots: number,
    private readonly delay: Delay = sleep,
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`WorkPool slots must be a positive integer; got ${slots}`);
  }

  /** Calls waiting for a slot (some may have been cancelled and not yet skipped). */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Does `ms` of work once a slot is free; false (nothing done) when the caller went away first. */
  async run(ms: number, cancelled: () => boolean): Promise<boolean> {
    if (!(await this.acquire(cancelled))) return false;
    try {
      await this.delay(ms);
      this.done++;
      return true;
    } finally {
      this.release();
    }
  }

  private acquire(cancelled: () => boolean): Promise<boolean> | boolean {
    if (this.busy < this.slots) {
      this.busy++;
      return true;
    }
    return new Promise((resolve) => this.queue.push({ cancelled, resolve }));
  }

  /** Hands the slot to the next waiter still wanted, or frees it. */
  private release(): void {
    while (this.head < this.queue.length) {
      const next = this.queue[this.head++];
      this.compact();
      if (next.cancelled()) {
        this.skipped++;
        next.resolve(false);
        continue;
      }
      next.resolve(true);
      return;
    }
    this.busy--;
  }

  /** Drops the consumed front of the queue now and then (shift() on a long array copies it every time). */
  private compact(): void {
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
