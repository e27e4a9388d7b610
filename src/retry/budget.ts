import { functionOption, integerOption, keysOf, numberOption, objectOption } from '../internal/validate';
import type { Metadata } from '@grpc/grpc-js';
import { localFailureKind } from '../status/local-failure';
import type { StatusTable } from '../status/table';
import { RatioRetryBudget } from './ratio-budget';
import { RetryTokenBucket } from './token-bucket';

export interface RetryBudgetOptions {
  /** A6 token bucket size; retries stop while half or less is left. Default 10; 0 turns the bucket off. */
  readonly maxTokens?: number;
  /** Tokens a successful attempt returns (a failed attempt takes 1). Default 0.1. */
  readonly tokenRatio?: number;
  /** Retries allowed as a fraction of logical calls over the window. Default 0.1 (10 %). */
  readonly retryRatio?: number;
  /** Retries per second always allowed on top of the ratio, for low-traffic clients. Default 1. */
  readonly minRetriesPerSecond?: number;
  /** The window the ratio is measured over. Default 10 000 ms. */
  readonly windowMs?: number;
  /** Clock in ms (for tests). Default `Date.now`. */
  readonly clock?: () => number;
}

export interface RetryBudgetSnapshot {
  /** Tokens left in the A6 bucket (undefined when the bucket is off). */
  readonly tokens: number | undefined;
  /** Logical calls counted in the current window. */
  readonly requests: number;
  /** Retries taken in the current window. */
  readonly retries: number;
  /** Retries the ratio budget allows in the current window. */
  readonly allowance: number;
}

/**
 * Limits retries for one target so an outage cannot multiply load: a retry needs both the A6
 * token bucket (reacts to the failure rate) and the ratio budget (caps retry volume) to agree.
 * Share one instance between clients of the same target to share the budget.
 */
export interface RetryBudget {
  /** A logical call started. */
  recordRequest(): void;
  /** An attempt succeeded. */
  recordSuccess(): void;
  /** An attempt failed with a server-side transient code (or the server said "do not retry"). */
  recordFailure(): void;
  /** Takes one retry when both budgets allow it; false (nothing taken) otherwise. */
  tryAcquireRetry(): boolean;
  snapshot(): RetryBudgetSnapshot;
}

export const DEFAULT_BUDGET = Object.freeze({
  maxTokens: 10,
  tokenRatio: 0.1,
  retryRatio: 0.1,
  minRetriesPerSecond: 1,
  windowMs: 10_000,
});

const BUDGET_KEYS = keysOf<RetryBudgetOptions>({ maxTokens: true, tokenRatio: true, retryRatio: true, minRetriesPerSecond: true, windowMs: true, clock: true });

class CombinedRetryBudget implements RetryBudget {
  constructor(
    private readonly bucket: RetryTokenBucket | undefined,
    private readonly ratio: RatioRetryBudget,
  ) {}

  recordRequest(): void {
    this.ratio.recordRequest();
  }

  recordSuccess(): void {
    this.bucket?.recordSuccess();
  }

  recordFailure(): void {
    this.bucket?.recordFailure();
  }

  tryAcquireRetry(): boolean {
    if (this.bucket !== undefined && !this.bucket.allowsRetry()) return false;
    return this.ratio.tryAcquire();
  }

  snapshot(): RetryBudgetSnapshot {
    return { tokens: this.bucket?.tokens, ...this.ratio.snapshot() };
  }
}

/** Builds a budget; throws a descriptive error on invalid options. */
export function createRetryBudget(options: RetryBudgetOptions = {}, name = 'retry.budget'): RetryBudget {
  const o = objectOption<RetryBudgetOptions>(name, options, BUDGET_KEYS);
  const maxTokens = numberOption(`${name}.maxTokens`, o.maxTokens, DEFAULT_BUDGET.maxTokens, 0, 1000);
  const tokenRatio = numberOption(`${name}.tokenRatio`, o.tokenRatio, DEFAULT_BUDGET.tokenRatio, 0.001, 1000);
  const retryRatio = numberOption(`${name}.retryRatio`, o.retryRatio, DEFAULT_BUDGET.retryRatio, 0, 1);
  const minPerSecond = numberOption(
    `${name}.minRetriesPerSecond`,
    o.minRetriesPerSecond,
    DEFAULT_BUDGET.minRetriesPerSecond,
    0,
    1000,
  );
  const windowMs = integerOption(`${name}.windowMs`, o.windowMs, DEFAULT_BUDGET.windowMs, 100, 3_600_000);
  const clock = functionOption<() => number>(`${name}.clock`, o.clock) ?? Date.now;
  const bucket = maxTokens > 0 ? new RetryTokenBucket(maxTokens, tokenRatio) : undefined;
  return new CombinedRetryBudget(bucket, new RatioRetryBudget(retryRatio, minPerSecond, windowMs, clock));
}

/** True for an object that implements `RetryBudget` (a shared instance passed as an option). */
export function isRetryBudget(value: unknown): value is RetryBudget {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RetryBudget).tryAcquireRetry === 'function' &&
    typeof (value as RetryBudget).recordRequest === 'function' &&
    typeof (value as RetryBudget).recordSuccess === 'function' &&
    typeof (value as RetryBudget).recordFailure === 'function'
  );
}

/**
 * Counts a failed attempt against the budget's token bucket when it says something about the
 * server: a code that may be retried, answered by the server (a local refusal by our own breaker
 * or deadline check says nothing about it).
 */
export function recordAttemptFailure(
  budget: RetryBudget | undefined,
  table: StatusTable,
  method: string,
  code: number,
  metadata: Metadata,
): void {
  if (budget && table.classify(code, method).retry !== 'never' && localFailureKind(metadata) === undefined) {
    budget.recordFailure();
  }
}
