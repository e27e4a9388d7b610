/**
 * Reads the proto option `idempotency_level` (NO_SIDE_EFFECTS or IDEMPOTENT) from service
 * definitions: grpc-js does not hand method options to interceptors, so they are given to us.
 */

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
 * Anything `service` accepts: a definition, a client constructor carrying one in `.service`, or
 * a whole proto-loader package definition.
 */
export type ServiceDefinitionLike =
  | GrpcServiceDefinitionLike
  | GenericServiceDefinitionLike
  | { readonly service: GrpcServiceDefinitionLike }
  | PackageDefinitionLike;

export type IdempotencyResolver = (path: string) => boolean;

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
function collect(where: string, value: unknown, into: Map<string, boolean>, depth: number): number {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || depth > 8) return 0;
  const nested = (value as { service?: unknown }).service;
  if (typeof nested === 'object' && nested !== null) return collect(where, nested, into, depth + 1);
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
      count += collect(where, entry, into, depth + 1);
    }
  }
  return count;
}

function readDefinition(where: string, definition: unknown, into: Map<string, boolean>): void {
  if ((typeof definition !== 'object' && typeof definition !== 'function') || definition === null) {
    throw new TypeError(`${where} must be a service definition (or a client constructor); got ${definition === null ? 'null' : typeof definition}`);
  }
  if (collect(where, definition, into, 0) === 0) {
    throw new TypeError(
      `${where} has no methods: expected a grpc-js service definition (methods with a "path"), a ts-proto generic definition, a client constructor, or a proto-loader package definition`,
    );
  }
}

/**
 * Compiles the proto idempotency lookup from service definitions: true for methods whose
 * `idempotency_level` is NO_SIDE_EFFECTS or IDEMPOTENT. Throws on something that is not a definition.
 */
export function protoIdempotency(
  services: ServiceDefinitionLike | readonly ServiceDefinitionLike[] | undefined,
  name = 'retry',
): IdempotencyResolver {
  if (services === undefined) return () => false;
  const idempotent = new Map<string, boolean>();
  if (Array.isArray(services)) services.forEach((definition, i) => readDefinition(`${name}.service[${i}]`, definition, idempotent));
  else readDefinition(`${name}.service`, services, idempotent);
  return (path) => idempotent.get(path) === true;
}
