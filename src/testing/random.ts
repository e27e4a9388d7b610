/**
 * A small seedable pseudo-random generator for reproducible fault injection.
 *
 * The state advances by a Weyl step (the 32-bit golden-ratio constant) and each output is the
 * state passed through the MurmurHash3 32-bit finalizer: cheap, full-period over 2^32 states and
 * well mixed, which is all a fault schedule needs. Not for anything security related.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

const WEYL = 0x9e3779b9;

/** MurmurHash3's 32-bit finalizer: a bijective avalanche mix of a 32-bit integer. */
export function mix32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A generator of uniform numbers in [0, 1); the same seed always gives the same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + WEYL) >>> 0;
    return mix32(state) / 4294967296;
  };
}

/** FNV-1a hash of a string (32-bit), used to give every method its own random stream. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The generator for call number `sequence` of the method whose name hashes to `methodHash`.
 * Each call gets an independent stream, so a call's faults depend only on (seed, method, sequence)
 * and never on how many numbers earlier calls consumed or how calls of other methods interleaved.
 */
export function callRandom(seed: number, methodHash: number, sequence: number): Random {
  return seededRandom(mix32(seed ^ mix32(methodHash + Math.imul(sequence, WEYL))));
}

/** A fresh seed (for runs that did not ask for one); reported so a run can be replayed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
