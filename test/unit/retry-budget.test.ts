import { describe, expect, it } from 'vitest';
import { createRetryBudget, DEFAULT_BUDGET } from '../../src/retry/budget';
import { RatioRetryBudget } from '../../src/retry/ratio-budget';
import { RetryTokenBucket } from '../../src/retry/token-bucket';

describe('RetryTokenBucket (gRFC A6 throttle)', () => {
  it('allows retries while more than half the tokens are left', () => {
    const bucket = new RetryTokenBucket(10, 0.1);
    for (let i = 0; i < 4; i++) bucket.recordFailure();
    expect(bucket.tokens).toBe(6);
    expect(bucket.allowsRetry()).toBe(true);
    bucket.recordFailure();
    expect(bucket.tokens).toBe(5); // exactly half: not more than half
    expect(bucket.allowsRetry()).toBe(false);
  });

  it('refills by tokenRatio per success, exactly (no float drift), capped at maxTokens', () => {
    const bucket = new RetryTokenBucket(10, 0.1);
    for (let i = 0; i < 5; i++) bucket.recordFailure();
    bucket.recordSuccess();
    expect(bucket.tokens).toBe(5.1);
    expect(bucket.allowsRetry()).toBe(true);
    for (let i = 0; i < 100; i++) bucket.recordSuccess();
    expect(bucket.tokens).toBe(10);
  });

  it('never goes below zero: after a long outage, recovery needs (max/2)/ratio successes', () => {
    const bucket = new RetryTokenBucket(10, 0.1);
    for (let i = 0; i < 1000; i++) bucket.recordFailure();
    expect(bucket.tokens).toBe(0);
    for (let i = 0; i < 50; i++) bucket.recordSuccess();
    expect(bucket.tokens).toBe(5);
    expect(bucket.allowsRetry()).toBe(false);
    bucket.recordSuccess();
    expect(bucket.allowsRetry()).toBe(true);
  });
});

describe('RatioRetryBudget', () => {
  it('allows ratio × requests plus the per-second floor over the window', () => {
    let now = 1_000_000;
    const budget = new RatioRetryBudget(0.1, 1, 10_000, () => now);
    for (let i = 0; i < 100; i++) budget.recordRequest();
    // 0.1 × 100 + 1/s × 10 s = 20 retries.
    let granted = 0;
    while (budget.tryAcquire()) granted++;
    expect(granted).toBe(20);
    expect(budget.snapshot()).toEqual({ requests: 100, retries: 20, allowance: 20 });
    now += 500;
    expect(budget.tryAcquire()).toBe(false);
  });

  it('expires counts slot by slot as the window slides (lazily, from the clock)', () => {
    let now = 0;
    const budget = new RatioRetryBudget(0.5, 0, 10_000, () => now);
    for (let i = 0; i < 10; i++) budget.recordRequest(); // slot 0
    now = 5_000;
    for (let i = 0; i < 10; i++) budget.recordRequest(); // slot 5
    expect(budget.snapshot().requests).toBe(20);
    now = 10_000; // slot 0 falls out of the window
    expect(budget.snapshot().requests).toBe(10);
    let granted = 0;
    while (budget.tryAcquire()) granted++;
    expect(granted).toBe(5);
    now = 15_000; // slot 5 (requests) falls out; the retries, in slot 10, stay
    expect(budget.snapshot()).toEqual({ requests: 0, retries: 5, allowance: 0 });
    now = 100_000; // far later: everything expired at once
    expect(budget.snapshot()).toEqual({ requests: 0, retries: 0, allowance: 0 });
  });

  it('with no traffic, the floor alone allows minPerSecond × window seconds', () => {
    const now = 0;
    const budget = new RatioRetryBudget(0.1, 2, 5_000, () => now);
    let granted = 0;
    while (budget.tryAcquire()) granted++;
    expect(granted).toBe(10);
  });

  it('a clock that steps back keeps counting into the current slot', () => {
    let now = 50_000;
    const budget = new RatioRetryBudget(1, 0, 10_000, () => now);
    budget.recordRequest();
    now = 20_000;
    budget.recordRequest();
    expect(budget.snapshot().requests).toBe(2);
  });
});

describe('createRetryBudget', () => {
  it('a retry needs both the token bucket and the ratio budget', () => {
    const now = 0;
    const budget = createRetryBudget({ maxTokens: 4, tokenRatio: 1, retryRatio: 0.5, minRetriesPerSecond: 0, clock: () => now });
    // Ratio budget empty (no requests yet): refused although the bucket is full.
    expect(budget.tryAcquireRetry()).toBe(false);
    for (let i = 0; i < 10; i++) budget.recordRequest();
    expect(budget.tryAcquireRetry()).toBe(true);
    budget.recordFailure();
    budget.recordFailure();
    expect(budget.snapshot().tokens).toBe(2);
    // Bucket at half: refused although the ratio budget has room.
    expect(budget.tryAcquireRetry()).toBe(false);
    expect(budget.snapshot()).toMatchObject({ requests: 10, retries: 1, allowance: 5 });
  });

  it('maxTokens: 0 turns the token bucket off', () => {
    const budget = createRetryBudget({ maxTokens: 0, clock: () => 0 });
    for (let i = 0; i < 50; i++) budget.recordFailure();
    expect(budget.snapshot().tokens).toBeUndefined();
    expect(budget.tryAcquireRetry()).toBe(true); // the 10-retry floor of the ratio budget
  });

  it('defaults: 10 tokens, ratio 0.1, 10 % of requests + 1/s over 10 s', () => {
    expect(DEFAULT_BUDGET).toEqual({ maxTokens: 10, tokenRatio: 0.1, retryRatio: 0.1, minRetriesPerSecond: 1, windowMs: 10_000 });
    const budget = createRetryBudget({ clock: () => 0 });
    expect(budget.snapshot()).toEqual({ tokens: 10, requests: 0, retries: 0, allowance: 10 });
  });

  it('rejects invalid options with a message naming the option', () => {
    expect(() => createRetryBudget({ maxTokens: -1 })).toThrow('retry.budget.maxTokens must be between 0 and 1000; got -1');
    expect(() => createRetryBudget({ retryRatio: 2 })).toThrow('retry.budget.retryRatio must be between 0 and 1; got 2');
    expect(() => createRetryBudget({ windowMs: 1000.5 })).toThrow('retry.budget.windowMs must be a whole number');
    expect(() => createRetryBudget({ tokenRatio: Number.NaN })).toThrow('retry.budget.tokenRatio must be a finite number');
    expect(() => createRetryBudget({ bogus: 1 } as never)).toThrow('retry.budget: unknown option "bogus"');
  });
});
