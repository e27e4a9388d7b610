/** How a computed backoff is randomised (see README "Retries" for the formulas). */
export type JitterMode = 'full' | 'equal' | 'decorrelated' | 'none';

export const JITTER_MODES: readonly JitterMode[] = ['full', 'equal', 'decorrelated', 'none'];

export interface BackoffSettings {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly multiplier: number;
  readonly jitter: JitterMode;
}

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * The delay before retry number `retry` (1 for the first retry), capped exponential:
 * `min(maxBackoffMs, initialBackoffMs × multiplier^(retry-1))`, then jittered.
 * `previousMs` is the delay used before the previous retry (decorrelated jitter grows from it;
 * pass 0 for the first retry or after a pushback reset).
 */
export function backoffDelayMs(settings: BackoffSettings, retry: number, previousMs: number, random: RandomSource): number {
  const { initialBackoffMs: initial, maxBackoffMs: cap } = settings;
  if (settings.jitter === 'decorrelated') {
    // Grows from the previous delay rather than the retry number: U(initial, 3 × previous), capped.
    const upper = Math.max(initial, 3 * (previousMs > 0 ? previousMs : initial));
    return Math.min(cap, initial + random() * (upper - initial));
  }
  const ceiling = Math.min(cap, initial * settings.multiplier ** (retry - 1));
  switch (settings.jitter) {
    case 'full':
      return random() * ceiling;
    case 'equal':
      return ceiling / 2 + random() * (ceiling / 2);
    default:
      return ceiling;
  }
}

/**
 * The backoff of one call: how many retries it has waited for and the previous delay (decorrelated
 * jitter grows from it). Server pushback sets one delay and restarts the sequence (gRFC A6).
 */
export class BackoffSequence {
  private retries = 0;
  private previousMs = 0;

  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: RandomSource,
  ) {}

  /** The jittered delay before the next retry. */
  nextDelayMs(): number {
    return backoffDelayMs(this.settings, this.retries + 1, this.previousMs, this.random);
  }

  /** A retry was scheduled after `delayMs`, set by server pushback or by this backoff. */
  waited(delayMs: number, pushback: boolean): void {
    if (pushback) {
      this.retries = 0;
      this.previousMs = 0;
    } else {
      this.retries++;
      this.previousMs = delayMs;
    }
  }
}
