import { functionOption, numberOption, objectOption } from '../internal/validate';
import { MAX_TIMER_MS } from '../internal/time';
import type { Random } from './random';
import { emitPackageWarning, printable } from '../internal/printable';

/**
 * How long to delay a call, in ms. A number is a fixed delay. Every sample is clamped to
 * [0, maxMs] (maxMs defaults to the timer limit, about 24.8 days); a non-finite sample counts as 0.
 */
export type LatencySpec =
  | number
  | ({ readonly kind: 'fixed'; readonly ms: number } & LatencyCommon)
  | ({ readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number } & Pick<LatencyCommon, 'rate'>)
  | ({ readonly kind: 'exponential'; readonly meanMs: number } & LatencyCommon)
  | ({ readonly kind: 'normal'; readonly meanMs: number; readonly stdDevMs: number } & LatencyCommon)
  | ({ readonly kind: 'custom'; readonly sample: (random: Random) => number } & LatencyCommon);

interface LatencyCommon {
  /** Share of calls that get the delay, 0–1 (default 1: every call). */
  readonly rate?: number;
  /** Upper bound of a sample (default: the timer limit). */
  readonly maxMs?: number;
}

/** A validated latency: the share of calls it applies to and a sampler. */
export interface LatencyPlan {
  readonly rate: number;
  readonly sample: (random: Random) => number;
}

const KINDS = ['fixed', 'uniform', 'exponential', 'normal', 'custom'] as const;

const KNOWN_KEYS: Record<(typeof KINDS)[number], readonly string[]> = {
  fixed: ['kind', 'ms', 'rate', 'maxMs'],
  uniform: ['kind', 'minMs', 'maxMs', 'rate'],
  exponential: ['kind', 'meanMs', 'rate', 'maxMs'],
  normal: ['kind', 'meanMs', 'stdDevMs', 'rate', 'maxMs'],
  custom: ['kind', 'sample', 'rate', 'maxMs'],
};

function clampTo(maxMs: number, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) return 0;
  return ms > maxMs ? maxMs : ms;
}

/** Validates a latency option (`name` is its path in the options, for error messages). */
export function latencyPlan(name: string, spec: unknown): LatencyPlan {
  if (typeof spec === 'number') {
    const ms = numberOption(name, spec, 0, 0, MAX_TIMER_MS);
    return { rate: 1, sample: () => ms };
  }
  const kind = (spec as { kind?: unknown } | null)?.kind;
  if (typeof spec !== 'object' || spec === null || !(KINDS as readonly unknown[]).includes(kind)) {
    throw new TypeError(
      `${name} must be a number of ms or an object whose kind is one of ${KINDS.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  const k = kind as (typeof KINDS)[number];
  const o = objectOption<Record<string, unknown>>(name, spec, KNOWN_KEYS[k]);
  const rate = numberOption(`${name}.rate`, o.rate, 1, 0, 1);
  const maxMs = numberOption(`${name}.maxMs`, o.maxMs, MAX_TIMER_MS, 0, MAX_TIMER_MS);
  const required = (key: string, min = 0, max = MAX_TIMER_MS) => {
    if (o[key] === undefined) throw new TypeError(`${name}.${key} is required for kind '${k}'`);
    return numberOption(`${name}.${key}`, o[key], 0, min, max);
  };
  switch (k) {
    case 'fixed': {
      const ms = clampTo(maxMs, required('ms'));
      return { rate, sample: () => ms };
    }
    case 'uniform': {
      const min = required('minMs');
      const max = required('maxMs');
      if (max < min) throw new RangeError(`${name}.maxMs must be ≥ ${name}.minMs; got ${max} < ${min}`);
      return { rate, sample: (random) => min + (max - min) * random() };
    }
    case 'exponential': {
      const mean = required('meanMs');
      // Inverse CDF; 1 - u is in (0, 1], so the log is finite.
      return { rate, sample: (random) => clampTo(maxMs, -mean * Math.log(1 - random())) };
    }
    case 'normal': {
      const mean = required('meanMs');
      const sd = required('stdDevMs');
      // Box–Muller with two fresh uniforms per sample (no cached second value: each call stands alone).
      return {
        rate,
        sample: (random) => {
          const u = 1 - random();
          const v = random();
          return clampTo(maxMs, mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
        },
      };
    }
    case 'custom': {
      const sample = functionOption<(random: Random) => number>(`${name}.sample`, o.sample);
      if (!sample) throw new TypeError(`${name}.sample is required for kind 'custom'`);
      return { rate, sample: (random) => clampTo(maxMs, safeSample(sample, random)) };
    }
  }
}

let reportedSampleFailure = false;

/** A throwing custom sampler must not break the server's call handling: its sample counts as 0. */
function safeSample(sample: (random: Random) => number, random: Random): number {
  try {
    return Number(sample(random));
  } catch (error) {
    if (!reportedSampleFailure) {
      reportedSampleFailure = true;
      emitPackageWarning(`grpc-resilience/testing: a custom latency sampler threw (${printable(error)}); its samples count as 0 ms`);
    }
    return 0;
  }
}
