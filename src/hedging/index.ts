export { hedgingClientInterceptor } from './interceptor';
export type { HedgingOptions } from './options';
export type { AdaptiveHedgeDelay, HedgeDelay, HedgingOverrides, HedgingPolicy } from './policy';
