export { deadlineClientInterceptor, type DeadlineClientOptions } from './client-interceptor';
export { deadlineServerInterceptor, type DeadlineServerOptions } from './server-interceptor';
export { DEFAULT_DEADLINE_POLICY, type DeadlineOverrides, type DeadlinePolicy } from './policy';
export { effectiveDeadline } from './effective';
export { MAX_TIMEOUT_MS } from '../internal/time';
