export { CRITICALITY_HEADER, type Criticality } from './criticality';
export { criticalityClientInterceptor } from './client-interceptor';
export type { CriticalityOptions } from './options';
