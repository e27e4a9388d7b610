/**
 * The one grammar of method keys, for every option keyed by method (retry, deadline, status
 * table, fallback, fault rules) and for breaker keys:
 * - `/pkg.Service/Method`: one method (its full path, as grpc-js reports it);
 * - `pkg.Service` or `/pkg.Service/*`: every method of a service;
 * - `*`: every method (only where the option has no top-level setting for that: fault rules).
 * Surrounding spaces are ignored. When the service definitions are known, a key must name one of
 * their methods or services: a misspelt key fails when the stack is built, not during an outage.
 */
import { describeValue, isPlainObject } from './validate';
import { byDistance, nearestName } from './nearest';
import type { KnownMethods } from './services';

export type MethodKey =
  | { readonly kind: 'method'; readonly path: string }
  | { readonly kind: 'service'; readonly service: string }
  | { readonly kind: 'any' };

/** Which keys an option takes: full method paths only, paths and services, or `*` as well. */
export type KeyScope = 'method' | 'service' | 'any';

export interface MethodKeyRules {
  /** Default `service`: method paths and services. */
  readonly accepts?: KeyScope;
  /** The methods keys must name (read from the `service` option); without it, keys are checked for shape only. */
  readonly known?: KnownMethods;
}

/** `/pkg.Service/Method` → `pkg.Service`. */
export function serviceOf(path: string): string {
  const end = path.lastIndexOf('/');
  return end > 0 ? path.slice(path.charCodeAt(0) === 47 ? 1 : 0, end) : path;
}

/** `/pkg.Service/Method` → `Method`. */
export function methodNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A service or method name: no slash, no space, no wildcard. */
const NAME = /^[^\s/*]+$/;
const ANY: MethodKey = Object.freeze({ kind: 'any' });

/** Parses one key; undefined when it has none of the grammar's shapes. */
export function parseMethodKey(key: string): MethodKey | undefined {
  const k = key.trim();
  if (k === '*') return ANY;
  if (!k.startsWith('/')) return NAME.test(k) ? { kind: 'service', service: k } : undefined;
  const slash = k.indexOf('/', 1);
  if (slash < 0 || !NAME.test(k.slice(1, slash))) return undefined;
  const method = k.slice(slash + 1);
  if (method === '*') return { kind: 'service', service: k.slice(1, slash) };
  return NAME.test(method) ? { kind: 'method', path: k } : undefined;
}

/** Entries keyed by method, by service and for every method, found most specific first. */
export class MethodTable<V> {
  /** No entries: every method gets the option's top-level value. */
  readonly isEmpty: boolean;

  constructor(
    readonly methods: ReadonlyMap<string, V>,
    readonly services: ReadonlyMap<string, V>,
    readonly any: V | undefined,
  ) {
    this.isEmpty = methods.size === 0 && services.size === 0 && any === undefined;
  }

  /** The entry for a full method path: its own, else its service's, else the `*` entry. */
  find(path: string): V | undefined {
    const own = this.methods.get(path);
    if (own !== undefined) return own;
    if (this.services.size > 0) {
      const service = this.services.get(serviceOf(path));
      if (service !== undefined) return service;
    }
    return this.any;
  }

  /**
   * Each entry applied on top of what lies under it: `*` over `base`, a service over that, a method
   * over its service (`apply(under, entry, key)`), so `find` gives a complete value per method.
   */
  layered<W>(base: W, apply: (under: W, entry: V, key: string) => W): MethodTable<W> {
    const any = this.any === undefined ? undefined : apply(base, this.any, '*');
    const services = new Map<string, W>();
    for (const [service, entry] of this.services) services.set(service, apply(any ?? base, entry, service));
    const methods = new Map<string, W>();
    for (const [path, entry] of this.methods) {
      methods.set(path, apply(services.get(serviceOf(path)) ?? any ?? base, entry, path));
    }
    return new MethodTable(methods, services, any);
  }
}

const EMPTY = new MethodTable<never>(new Map<string, never>(), new Map<string, never>(), undefined);

const GRAMMAR: Readonly<Record<KeyScope, string>> = {
  method: "full method path ('/pkg.Service/Method')",
  service: "method path ('/pkg.Service/Method') or service ('pkg.Service' or '/pkg.Service/*')",
  any: "method path ('/pkg.Service/Method'), service ('pkg.Service' or '/pkg.Service/*') or '*'",
};

const NOT_A_KEY: Readonly<Record<KeyScope, string>> = {
  method: "is not a full method path ('/pkg.Service/Method')",
  service: "is neither a method path ('/pkg.Service/Method') nor a service ('pkg.Service' or '/pkg.Service/*')",
  any: "is neither a method path ('/pkg.Service/Method'), a service ('pkg.Service' or '/pkg.Service/*') nor '*' (every method)",
};

/**
 * Reads an option keyed by method (`where` names it in errors, e.g. `retry.methods`), turning
 * each value into an entry with `entry(where["key"], value)`. Throws, naming the key, on a key of
 * the wrong shape, on two keys for the same method or service, and on a key that names nothing
 * in `rules.known`, suggesting the nearest real name.
 */
export function parseMethodKeys<V>(
  where: string,
  keyed: unknown,
  entry: (where: string, value: unknown) => V,
  rules: MethodKeyRules = {},
): MethodTable<V> {
  const accepts = rules.accepts ?? 'service';
  if (keyed === undefined) return EMPTY;
  if (!isPlainObject(keyed)) {
    throw new TypeError(`${where} must be an object keyed by ${GRAMMAR[accepts]}; got ${describeValue(keyed)}`);
  }
  const methods = new Map<string, V>();
  const services = new Map<string, V>();
  let any: V | undefined;
  const seen = new Map<string, string>();
  for (const [raw, value] of Object.entries(keyed)) {
    const key = checkedKey(where, raw, accepts, rules.known);
    const id = key.kind === 'method' ? key.path : key.kind === 'service' ? key.service : '*';
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      throw new TypeError(`${where}: ${JSON.stringify(raw)} and ${JSON.stringify(earlier)} name the same ${key.kind === 'method' ? 'method' : 'service'}; keep one`);
    }
    seen.set(id, raw);
    const parsed = entry(`${where}[${JSON.stringify(raw)}]`, value);
    if (key.kind === 'method') methods.set(key.path, parsed);
    else if (key.kind === 'service') services.set(key.service, parsed);
    else any = parsed;
  }
  return new MethodTable(methods, services, any);
}

function checkedKey(where: string, raw: string, accepts: KeyScope, known: KnownMethods | undefined): MethodKey {
  const key = parseMethodKey(raw);
  if (key === undefined || (key.kind === 'any' && accepts !== 'any')) {
    throw new TypeError(`${where}: ${JSON.stringify(raw)} ${NOT_A_KEY[accepts]}`);
  }
  if (key.kind === 'service' && accepts === 'method') {
    throw new TypeError(`${where}: ${JSON.stringify(raw)} names a service; each entry is for one method, keyed by ${GRAMMAR.method}`);
  }
  if (known === undefined || key.kind === 'any') return key;
  if (key.kind === 'method' && !known.hasMethod(key.path)) {
    throw new TypeError(`${where}: ${JSON.stringify(raw)} is not a method of the services given${suggestion(key.path, known.paths())}`);
  }
  if (key.kind === 'service' && !known.hasService(key.service)) {
    throw new TypeError(`${where}: ${JSON.stringify(raw)} is not one of the services given${suggestion(key.service, known.services())}`);
  }
  return key;
}

/** The most names an error message lists when none is close to the key. */
const LISTED = 5;

/** `did you mean …?` when a known name is close, else the known names (the nearest few). */
function suggestion(name: string, candidates: Iterable<string>): string {
  const all = Array.from(candidates);
  const nearest = nearestName(name, all);
  if (nearest !== undefined) return `; did you mean ${JSON.stringify(nearest.name)} (${nearest.why})?`;
  const listed = byDistance(name, all).slice(0, LISTED).map((n) => JSON.stringify(n)).join(', ');
  return `; known, nearest first: ${listed}${all.length > LISTED ? ` and ${all.length - LISTED} more` : ''}`;
}
