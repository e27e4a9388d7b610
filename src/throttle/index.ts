export { throttleClientInterceptor, type ThrottleInterceptor } from './client-interceptor';
export type { ThrottleOptions } from './options';
export type { ThrottleRegistry } from './registry';
