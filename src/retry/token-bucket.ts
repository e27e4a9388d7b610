/**
 * The retry throttle of gRFC A6: every failed attempt takes one token, every success returns
 * `tokenRatio`, and retries are allowed only while more than half of `maxTokens` remain.
 * Kept in thousandths of a token so repeated fractional refills add up exactly.
 */
export class RetryTokenBucket {
  private milliTokens: number;
  private readonly maxMilli: number;
  private readonly ratioMilli: number;

  constructor(maxTokens: number, tokenRatio: number) {
    this.maxMilli = Math.round(maxTokens * 1000);
    this.ratioMilli = Math.round(tokenRatio * 1000);
    this.milliTokens = this.maxMilli;
  }

  /** Tokens currently held. */
  get tokens(): number {
    return this.milliTokens / 1000;
  }

  recordSuccess(): void {
    const next = this.milliTokens + this.ratioMilli;
    this.milliTokens = next > this.maxMilli ? this.maxMilli : next;
  }

  recordFailure(): void {
    const next = this.milliTokens - 1000;
    this.milliTokens = next < 0 ? 0 : next;
  }

  /** True while more than half of the bucket is left. */
  allowsRetry(): boolean {
    return this.milliTokens * 2 > this.maxMilli;
  }
}
