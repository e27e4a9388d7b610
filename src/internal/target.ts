/** Target name used when neither the option nor the channel gives one. */
export const DEFAULT_TARGET = 'default';

/**
 * The channel target of a call that has not started yet. Before `start`, grpc-js reports the
 * channel's target (`dns:host:port`) as the peer; afterwards it reports the connected address.
 */
export function channelTarget(call: { getPeer(): string }): string {
  return peerTarget(call.getPeer());
}

/** The target named by the peer an unstarted call reports (see `channelTarget`). */
export function peerTarget(peer: string): string {
  return peer && peer !== 'unknown' ? peer : DEFAULT_TARGET;
}
