export { fallbackClientInterceptor } from './interceptor';
export type { FallbackContext, FallbackHandler, FallbackMap, FallbackOptions, FallbackReason } from './options';
export { DEGRADED_BY_FALLBACK, DEGRADED_KEY, isDegraded } from './degraded';
