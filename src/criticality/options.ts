import type { CallOptions } from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { parseMethodKeys } from '../internal/method-keys';
import { resilienceCallOptions } from '../options/call-options';
import { enumOption, objectOption } from '../internal/validate';
import { CRITICALITIES, type Criticality } from './criticality';

/** How a client marks its calls. Per call: `withResilience(options, { criticality: 'sheddable' })`. */
export interface CriticalityOptions {
  /** The mark of every call of this stack that has no other (not even one inherited from the call being served). */
  readonly value?: Criticality;
  /** Marks per method path (`/pkg.Service/Method`) or service (`pkg.Service`, `/pkg.Service/*`); they override an inherited mark. */
  readonly methods?: Readonly<Record<string, Criticality>>;
}

export const CRITICALITY_OPTION_KEYS = ['value', 'methods'] as const satisfies readonly (keyof CriticalityOptions)[];

/**
 * The criticality of an outgoing call, first found of: the call's own (`withResilience`), its
 * method's, the one of the call being served (the call context), the stack's `value`. Undefined
 * when none is set: the call goes out unmarked.
 */
export type CriticalityResolver = (callOptions: CallOptions, path: string) => Criticality | undefined;

export function criticalityResolver(options: unknown, name = 'criticality'): CriticalityResolver {
  const o = objectOption<CriticalityOptions>(name, options, CRITICALITY_OPTION_KEYS);
  const value = o.value === undefined ? undefined : enumOption(`${name}.value`, o.value, 'default', CRITICALITIES);
  const table = parseMethodKeys(`${name}.methods`, o.methods, (entryName, entry) => enumOption(entryName, entry, 'default', CRITICALITIES));
  const forMethod = table.isEmpty ? () => undefined : (path: string) => table.find(path);
  return (callOptions, path) =>
    resilienceCallOptions(callOptions)?.criticality ?? forMethod(path) ?? callContextStorage.getStore()?.criticality ?? value;
}
