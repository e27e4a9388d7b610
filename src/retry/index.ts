export { retryClientInterceptor } from './interceptor';
export type { RetryOptions } from './options';
export { DEFAULT_RETRY_POLICY, MAX_ATTEMPTS_LIMIT, type RetryOverrides, type RetryPolicy } from './policy';
export { backoffDelayMs, JITTER_MODES, type BackoffSettings, type JitterMode, type RandomSource } from './backoff';
export {
  DEFAULT_BUDGET,
  createRetryBudget,
  type RetryBudget,
  type RetryBudgetOptions,
  type RetryBudgetSnapshot,
} from './budget';
export { readPushback, PUSHBACK_KEY, type Pushback } from './pushback';
export { decideRetry, type FailedAttempt, type RetryContext, type RetryDecision } from './decide';
export { ATTEMPTS_KEY, PREVIOUS_ATTEMPTS_KEY, attemptsOf } from './wire';
export { DOUBLE_RETRY_WARNING_CODE, serviceConfigRetryPolicy } from './service-config';
