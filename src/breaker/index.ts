export { breakerClientInterceptor, type BreakerInterceptor, type BreakerOptions } from './interceptor';
export { BreakerRegistry, createBreakerRegistry } from './registry';
export type { BreakerSnapshot } from './circuit';
export { breakerKey, DEFAULT_TARGET } from './key';
export {
  BREAKER_DEFAULTS,
  type BreakerKeyOptions,
  type BreakerScope,
  type BreakerTuning,
} from './options';
