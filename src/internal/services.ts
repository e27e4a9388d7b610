/**
 * Reads the methods of the service definitions a stack is given: their full paths (every method
 * key must name one of them) and the proto option `idempotency_level` (NO_SIDE_EFFECTS or
 * IDEMPOTENT marks a method safe to retry). grpc-js hands interceptors neither, so they are given to us.
 */
import { serviceOf } from './method-keys';

/** `IdempotencyLevel` of descriptor.proto, as a name or its number. */
type IdempotencyLevelValue = string | number;

interface MethodOptionsLike {
  readonly idempotency_level?: IdempotencyLevelValue;
  readonly idempotencyLevel?: IdempotencyLevelValue;
}

/** A grpc-js service definition (proto-loader, ts-proto `outputServices=grpc-js`, hand-written). */
export type GrpcServiceDefinitionLike = Readonly<
  Record<string, { readonly path: string; readonly options?: MethodOptionsLike }>
>;

/** A ts-proto `outputServices=generic-definitions` definition. */
export interface GenericServiceDefinitionLike {
  readonly fullName: string;
  readonly methods: Readonly<Record<string, { readonly name: string; readonly options?: MethodOptionsLike }>>;
}

/** A whole `@grpc/proto-loader` package definition (`loadSync(...)`): services among messages and enums. */
export type PackageDefinitionLike = Readonly<Record<string, object>>;

/**
 * Where a stack learns the methods of the services it calls: a service definition, a client
 * constructor carrying one in `.service`, or a whole proto-loader package definition.
 */
export type ServiceSource =
  | GrpcServiceDefinitionLike
  | GenericServiceDefinitionLike
  | { readonly service: GrpcServiceDefinitionLike }
  | PackageDefinitionLike;

/** The methods of the given services, by full path. */
export class KnownMethods {
  private readonly serviceNames: ReadonlySet<string>;

  /** `methods`: full path → true when the proto marks the method idempotent. */
  constructor(private readonly methods: ReadonlyMap<string, boolean>) {
    this.serviceNames = new Set(Array.from(methods.keys(), serviceOf));
  }

  hasMethod(path: string): boolean {
    return this.methods.has(path);
  }

  hasService(name: string): boolean {
    return this.serviceNames.has(name);
  }

  /** True when the proto's `idempotency_level` is NO_SIDE_EFFECTS or IDEMPOTENT. */
  isIdempotent(path: string): boolean {
    return this.methods.get(path) === true;
  }

  paths(): Iterable<string> {
    return this.methods.keys();
  }

  services(): Iterable<string> {
    return this.serviceNames;
  }
}

function isIdempotentLevel(level: unknown): boolean {
  // descriptor.proto: IDEMPOTENCY_UNKNOWN = 0, NO_SIDE_EFFECTS = 1, IDEMPOTENT = 2.
  return level === 'NO_SIDE_EFFECTS' || level === 'IDEMPOTENT' || level === 1 || level === 2;
}

function levelOf(options: MethodOptionsLike | undefined): unknown {
  return options?.idempotency_level ?? options?.idempotencyLevel;
}

/**
 * Adds the methods of a definition to `into` (true when the proto declares them idempotent) and
 * returns how many it found. Accepts a service definition, a ts-proto generic definition, a
 * client constructor (`.service`), or a whole proto-loader package definition / loaded package
 * (namespaces are walked; message and enum type entries are skipped).
 */
function collect(value: unknown, into: Map<string, boolean>, depth: number): number {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || depth > 8) return 0;
  const nested = (value as { service?: unknown }).service;
  if (typeof nested === 'object' && nested !== null) return collect(nested, into, depth + 1);
  const generic = value as Partial<GenericServiceDefinitionLike>;
  if (typeof generic.fullName === 'string' && typeof generic.methods === 'object' && generic.methods !== null) {
    let count = 0;
    for (const method of Object.values(generic.methods)) {
      if (typeof method?.name !== 'string') continue;
      into.set(`/${generic.fullName}/${method.name}`, isIdempotentLevel(levelOf(method.options)));
      count++;
    }
    return count;
  }
  if (typeof value === 'function' || Array.isArray(value)) return 0;
  let count = 0;
  for (const entry of Object.values(value as Record<string, unknown>)) {
    const path = (entry as { path?: unknown } | null)?.path;
    if (typeof path === 'string' && path.startsWith('/')) {
      into.set(path, isIdempotentLevel(levelOf((entry as { options?: MethodOptionsLike }).options)));
      count++;
    } else if (typeof (entry as { format?: unknown } | null)?.format !== 'string') {
      count += collect(entry, into, depth + 1);
    }
  }
  return count;
}

function readDefinition(where: string, definition: unknown, into: Map<string, boolean>): void {
  if ((typeof definition !== 'object' && typeof definition !== 'function') || definition === null) {
    throw new TypeError(`${where} must be a service definition (or a client constructor); got ${definition === null ? 'null' : typeof definition}`);
  }
  if (collect(definition, into, 0) === 0) {
    throw new TypeError(
      `${where} has no methods: expected a grpc-js service definition (methods with a "path"), a ts-proto generic definition, a client constructor, or a proto-loader package definition`,
    );
  }
}

/**
 * The methods of `services` (one source or a list); undefined when none are given. Throws, naming
 * `where`, on something that is not a definition.
 */
export function readServices(services: ServiceSource | readonly ServiceSource[] | undefined, where: string): KnownMethods | undefined {
  if (services === undefined) return undefined;
  const methods = new Map<string, boolean>();
  if (Array.isArray(services)) services.forEach((definition, i) => readDefinition(`${where}[${i}]`, definition, methods));
  else readDefinition(where, services, methods);
  return new KnownMethods(methods);
}
