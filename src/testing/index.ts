export { faultInjector, type FaultEvent, type FaultInjector, type FaultInjectorOptions } from './injector';
export type { ErrorFault, FaultRule, FaultRules, OutageFault, StallFault, StatusCodeLike } from './rules';
export type { LatencySpec } from './latency';
export type { FaultDecision } from './decide';
export type { FaultCounters, FaultStats } from './stats';
export { seededRandom, type Random } from './random';
