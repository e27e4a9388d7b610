import type { BreakerScope } from './options';

/** Target name used when neither the option nor the channel gives one. */
export const DEFAULT_TARGET = 'default';

/**
 * The channel target of a call that has not started yet. Before `start`, grpc-js reports the
 * channel's target (`dns:host:port`) as the peer; afterwards it reports the connected address.
 */
export function channelTarget(call: { getPeer(): string }): string {
  const peer = call.getPeer();
  return peer && peer !== 'unknown' ? peer : DEFAULT_TARGET;
}

/**
 * The breaker key of a call: the target followed by the method path (`dns:users:50051/users.v1.Users/Get`)
 * or, with the service scope, by `/` and the service (`dns:users:50051/users.v1.Users`).
 */
export function breakerKey(target: string, path: string, scope: BreakerScope): string {
  if (scope === 'method') return target + path;
  const end = path.lastIndexOf('/');
  return end > 0 ? target + path.slice(0, end) : target + path;
}
