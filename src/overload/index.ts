export { overloadServerInterceptor } from './server-interceptor';
export type { AdaptiveTuning, LimitSetting, MethodOverloadOptions, OverloadOptions } from './options';
export type { CriticalityShares } from './admission';
