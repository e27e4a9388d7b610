import * as grpc from '@grpc/grpc-js';
import { seededRandom } from '../lib/random';

/**
 * The soak server's fault plan: a small random share of `echo`/`lookup` calls fail with
 * UNAVAILABLE (retries), and `flaky` has a full outage for 6 s of every 20 s: long enough to
 * put more than half of a 10 s breaker window in failure, so its breaker opens, probes after
 * its reset timeout, and closes again. Seeded, so runs are comparable.
 */
export const RANDOM_FAILURE_RATE = 0.02;
export const OUTAGE_EVERY_MS = 20_000;
export const OUTAGE_MS = 6_000;

/** The fault plan's randomness (xorshift32, same sequence every run). */
export const random = seededRandom(0x2545f491);

export function shouldFail(method: 'echo' | 'lookup' | 'flaky', now: number): boolean {
  if (method === 'flaky') return now % OUTAGE_EVERY_MS < OUTAGE_MS || random() < RANDOM_FAILURE_RATE;
  return random() < RANDOM_FAILURE_RATE;
}

export const INJECTED: grpc.StatusObject = {
  code: grpc.status.UNAVAILABLE,
  details: 'injected by the soak server',
  metadata: new grpc.Metadata(),
};
