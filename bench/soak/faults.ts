import * as grpc from '@grpc/grpc-js';

/**
 * The soak server's fault plan: a small random share of `echo`/`lookup` calls fail with
 * UNAVAILABLE (retries), and `flaky` has a full outage for the first second of every five
 * (its breaker opens, probes and closes again). Seeded, so runs are comparable.
 */
export const RANDOM_FAILURE_RATE = 0.02;
export const OUTAGE_EVERY_MS = 5000;
export const OUTAGE_MS = 1000;

let seed = 0x2545f491;

/** xorshift32: cheap deterministic randomness. */
export function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
}

export function shouldFail(method: 'echo' | 'lookup' | 'flaky', now: number): boolean {
  if (method === 'flaky') return now % OUTAGE_EVERY_MS < OUTAGE_MS || random() < RANDOM_FAILURE_RATE;
  return random() < RANDOM_FAILURE_RATE;
}

export const INJECTED: grpc.StatusObject = {
  code: grpc.status.UNAVAILABLE,
  details: 'injected by the soak server',
  metadata: new grpc.Metadata(),
};
