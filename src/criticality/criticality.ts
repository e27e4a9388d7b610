import { enumOption } from '../internal/validate';
import { registerCallSettings } from '../options/call-options';
/**
 * How much a call matters when a server must refuse some: under overload `sheddable` calls are
 * refused first and `critical` calls last. A call without a mark counts as `default`.
 */
export type Criticality = 'critical' | 'default' | 'sheddable';

/** The criticalities, most important first. */
export const CRITICALITIES: readonly Criticality[] = ['critical', 'default', 'sheddable'];

/** The request header carrying a call's criticality; sent only when a mark was set. */
export const CRITICALITY_HEADER = 'x-resilience-criticality';

/**
 * The criticality a header value names. Anything else (unknown words, other case, binary) is
 * undefined: the call is treated as `default`, and the value is never reflected.
 */
export function parseCriticality(value: unknown): Criticality | undefined {
  switch (value) {
    case 'critical':
    case 'default':
    case 'sheddable':
      return value;
    default:
      return undefined;
  }
}

/** The criticality an incoming call's headers carry (only the first value counts). */
export function criticalityOf(metadata: { get(key: string): unknown[] }): Criticality | undefined {
  const values = metadata.get(CRITICALITY_HEADER);
  return values.length === 0 ? undefined : parseCriticality(values[0]);
}

// Per call: `withResilience(options, { criticality: 'sheddable' })`.
registerCallSettings('criticality', {
  validate: (where, value) => enumOption(where, value, 'default', CRITICALITIES),
  merge: (_earlier, next) => next,
});
