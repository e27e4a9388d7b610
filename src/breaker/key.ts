import { serviceOf } from '../internal/method-keys';
import { peerTarget } from '../internal/target';
import type { BreakerScope } from './options';

export { DEFAULT_TARGET } from '../internal/target';

/**
 * The breaker key of a call: the target followed by the method path (`dns:users:50051/users.v1.Users/Get`)
 * or, with the service scope, by `/` and the service (`dns:users:50051/users.v1.Users`).
 */
export function breakerKey(target: string, path: string, scope: BreakerScope): string {
  return scope === 'method' ? target + path : `${target}/${serviceOf(path)}`;
}

/** Entries kept by a `BreakerKeys` before it starts afresh (callers with endless distinct methods). */
const MAX_CACHED_KEYS = 10_000;

/** What the breaker interceptor needs to know about a call, worked out once per channel and method. */
export interface CallKey {
  /** The breaker key (see `breakerKey`). */
  readonly key: string;
  readonly target: string;
  /**
   * The peer the first such call reported before it started (the channel target), undefined with
   * a fixed target. The calls that follow report this same string object: grpc-js builds a new
   * one per call, and each new string must be flattened and hashed again by every map it is looked
   * up in (a retry budget's, say).
   */
  readonly peer: string | undefined;
}

/**
 * Call keys by the peer an unstarted call reports (the channel target) and method path. Bounded:
 * past `MAX_CACHED_KEYS` the cache is dropped and refilled as calls come.
 */
export class BreakerKeys {
  private readonly byPeer = new Map<string, Map<string, CallKey>>();
  private size = 0;

  constructor(
    private readonly scope: BreakerScope,
    /** The `target` option: used in place of the channel target when set. */
    private readonly fixedTarget: string | undefined,
  ) {}

  /** `peer`: what the unstarted call reports; undefined (not asked) with a fixed target. */
  of(peer: string | undefined, path: string): CallKey {
    return this.byPeer.get(peer ?? '')?.get(path) ?? this.add(peer, path);
  }

  private add(peer: string | undefined, path: string): CallKey {
    if (this.size >= MAX_CACHED_KEYS) {
      this.byPeer.clear();
      this.size = 0;
    }
    let keys = this.byPeer.get(peer ?? '');
    if (keys === undefined) this.byPeer.set(peer ?? '', (keys = new Map()));
    const target = this.fixedTarget ?? peerTarget(peer ?? '');
    const entry: CallKey = { key: breakerKey(target, path, this.scope), target, peer };
    keys.set(path, entry);
    this.size++;
    return entry;
  }
}
