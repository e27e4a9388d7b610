import type { ClientStackOptions, ResilienceCallOptions, ServerStackOptions } from '../../src/index';

/**
 * The variants of the system benchmark. Every service of a variant's topology (load generator,
 * front, both back replicas) runs the same library the same way, as a team would deploy it.
 */
export type StackKind =
  /** grpc-js, no interceptors; the front hands the incoming call to its outgoing call as `parent`. */
  | 'bare'
  /** grpc-js with its own A6 retries and retry throttling from the service config; `parent` as in bare. */
  | 'grpc-js-retry'
  /** grpc-js with its own A6 hedging (fixed delay) and retry throttling from the service config. */
  | 'grpc-js-hedging'
  /** nice-grpc clients with the retry and deadline middlewares; grpc-js servers. */
  | 'nice-grpc'
  /** clientInterceptors() at every client, serverInterceptors() + wrapService at every server. */
  | 'ours';

/**
 * Options for our stacks, by name. A variant of ours names one; a later feature (hedging,
 * throttling, overload protection) is one entry here plus one line in SYSTEM_VARIANTS.
 * `service` (idempotency) and `onEvent` (event counts) are added by the harness.
 */
export interface OptionSet {
  readonly description: string;
  /** clientInterceptors options at the load generator and at the front. */
  readonly client?: Omit<ClientStackOptions, 'service' | 'onEvent'>;
  /** serverInterceptors options at the front and at the back replicas. */
  readonly server?: Omit<ServerStackOptions, 'onEvent'>;
  /** Per-call settings (`withResilience`) the load generator gives the calls of each class. */
  readonly perClass?: Readonly<Record<string, ResilienceCallOptions>>;
}

export const OPTION_SETS: Readonly<Record<string, OptionSet>> = {
  default: { description: 'clientInterceptors() and serverInterceptors() with their defaults' },
  hedging: {
    description: 'the defaults plus `hedging: {}`: one hedge after the p95 of recent latency (at least 5 ms), idempotent methods only',
    client: { hedging: {} },
  },
  overload: {
    description: 'the defaults plus adaptive throttling at every client and an adaptive concurrency limit at every server',
    client: { throttle: {} },
    server: { overload: {} },
  },
};

export interface SystemVariant {
  readonly id: string;
  readonly label: string;
  readonly stack: StackKind;
  /** For `ours`: the OPTION_SETS entry. */
  readonly optionSet?: string;
}

/** THE variant table: the first entry is the baseline every target compares with. */
export const SYSTEM_VARIANTS: readonly SystemVariant[] = [
  { id: 'bare', label: 'bare grpc-js', stack: 'bare' },
  { id: 'grpc-js-retry', label: 'grpc-js A6 retries (service config)', stack: 'grpc-js-retry' },
  { id: 'nice-grpc', label: 'nice-grpc + retry + deadline middlewares', stack: 'nice-grpc' },
  { id: 'ours', label: 'our default stacks', stack: 'ours', optionSet: 'default' },
  { id: 'ours-hedging', label: 'ours + hedging', stack: 'ours', optionSet: 'hedging' },
  { id: 'grpc-js-hedging', label: 'grpc-js A6 hedging (service config)', stack: 'grpc-js-hedging' },
  { id: 'ours-overload', label: 'ours + overload + throttle', stack: 'ours', optionSet: 'overload' },
];

export const BASELINE_VARIANT = 'bare';

/** A variant by id (throws naming the known ids). */
export function systemVariant(id: string): SystemVariant {
  const found = SYSTEM_VARIANTS.find((v) => v.id === id);
  if (!found) throw new Error(`unknown system variant ${id}; known: ${SYSTEM_VARIANTS.map((v) => v.id).join(', ')}`);
  return found;
}

/** The option set of one of our variants (throws when the variant names one that does not exist). */
export function optionSetOf(variant: SystemVariant): OptionSet {
  const name = variant.optionSet ?? 'default';
  const set = OPTION_SETS[name];
  if (!set) throw new Error(`variant ${variant.id} names option set ${name}; known: ${Object.keys(OPTION_SETS).join(', ')}`);
  return set;
}

/** Variants picked by `--variants a,b` in table order (all when none given). */
export function selectSystemVariants(ids: readonly string[] | undefined): SystemVariant[] {
  if (!ids || ids.length === 0) return [...SYSTEM_VARIANTS];
  for (const id of ids) systemVariant(id);
  return SYSTEM_VARIANTS.filter((v) => ids.includes(v.id));
}
