import {
  clientPiece,
  clientPieceExport,
  serverPiece,
  serverPieceExport,
  wrapServiceExport,
  type ClientPiece,
  type ServerPiece,
} from '../lib/pieces';

/** What a variant's client process runs. */
export type ClientSpec =
  /** A grpc-js client; `interceptors` from our package; `traceparent` set by hand in metadata. */
  | { readonly kind: 'grpc'; readonly interceptors: 'none' | 'stack' | ClientPiece; readonly traceparent?: 'constant' | 'per-call' }
  /** nice-grpc client with its retry and deadline middlewares. */
  | { readonly kind: 'nice-grpc' }
  /** A bare grpc-js client, each call wrapped by hand in an opossum breaker. */
  | { readonly kind: 'opossum' }
  /** A bare grpc-js client, each call wrapped by hand in cockatiel retry + breaker policies. */
  | { readonly kind: 'cockatiel' };

/** What a variant's server process runs. */
export interface ServerSpec {
  /** Server interceptors: none, our whole stack (plus wrapService once it exists), or one piece. */
  readonly interceptors: 'none' | 'stack' | ServerPiece | 'wrap-service';
}

export type VariantGroup = 'baseline' | 'ours' | 'piece' | 'peer';

export interface Variant {
  readonly id: string;
  readonly label: string;
  readonly group: VariantGroup;
  readonly client: ClientSpec;
  readonly server: ServerSpec;
  /** Both processes load @opentelemetry/instrumentation-grpc before grpc-js. */
  readonly otel?: boolean;
}

const bare: ClientSpec = { kind: 'grpc', interceptors: 'none' };
const bareHeader: ClientSpec = { kind: 'grpc', interceptors: 'none', traceparent: 'per-call' };
const bareConstantHeader: ClientSpec = { kind: 'grpc', interceptors: 'none', traceparent: 'constant' };
const bareServer: ServerSpec = { interceptors: 'none' };

/**
 * THE variant table. The first entry is the baseline; `bare-traceparent` is the second reference:
 * the header our default client stack sends, a new value on every call, so header cost is
 * separated from our code's cost. (A constant value costs less: HTTP/2 header compression indexes
 * it after the first call and sends one byte from then on; `bare-traceparent-constant` shows by
 * how much.) Server-side variants use the header-sending bare client, so their only difference
 * from `bare-traceparent` is the server interceptors.
 */
export const VARIANTS: readonly Variant[] = [
  { id: 'bare', label: 'bare grpc-js', group: 'baseline', client: bare, server: bareServer },
  { id: 'bare-traceparent', label: 'bare grpc-js + a new traceparent per call', group: 'baseline', client: bareHeader, server: bareServer },
  { id: 'bare-traceparent-constant', label: 'bare grpc-js + one constant traceparent', group: 'baseline', client: bareConstantHeader, server: bareServer },
  { id: 'client-stack', label: 'our client stack', group: 'ours', client: { kind: 'grpc', interceptors: 'stack' }, server: bareServer },
  { id: 'server-stack', label: 'our server stack', group: 'ours', client: bareHeader, server: { interceptors: 'stack' } },
  { id: 'both-stacks', label: 'our client + server stacks', group: 'ours', client: { kind: 'grpc', interceptors: 'stack' }, server: { interceptors: 'stack' } },
  { id: 'client-trace', label: 'client: trace alone', group: 'piece', client: { kind: 'grpc', interceptors: 'trace' }, server: bareServer },
  { id: 'client-deadline', label: 'client: deadline alone', group: 'piece', client: { kind: 'grpc', interceptors: 'deadline' }, server: bareServer },
  { id: 'client-retry', label: 'client: retry alone', group: 'piece', client: { kind: 'grpc', interceptors: 'retry' }, server: bareServer },
  { id: 'client-breaker', label: 'client: breaker alone', group: 'piece', client: { kind: 'grpc', interceptors: 'breaker' }, server: bareServer },
  { id: 'server-context', label: 'server: context/trace alone', group: 'piece', client: bareHeader, server: { interceptors: 'context' } },
  { id: 'server-deadline', label: 'server: deadline alone', group: 'piece', client: bareHeader, server: { interceptors: 'deadline' } },
  { id: 'server-errors', label: 'server: error translation alone', group: 'piece', client: bareHeader, server: { interceptors: 'errors' } },
  { id: 'server-wrap', label: 'server: wrapService alone', group: 'piece', client: bareHeader, server: { interceptors: 'wrap-service' } },
  { id: 'nice-grpc', label: 'nice-grpc + retry + deadline middlewares', group: 'peer', client: { kind: 'nice-grpc' }, server: bareServer },
  { id: 'opossum', label: 'grpc-js + opossum breaker by hand', group: 'peer', client: { kind: 'opossum' }, server: bareServer },
  { id: 'cockatiel', label: 'grpc-js + cockatiel retry + breaker by hand', group: 'peer', client: { kind: 'cockatiel' }, server: bareServer },
  { id: 'otel', label: 'grpc-js + OpenTelemetry instrumentation (both sides)', group: 'peer', client: bare, server: bareServer, otel: true },
];

export const BASELINE_ID = 'bare';
export const HEADER_BASELINE_ID = 'bare-traceparent';

/** Why a variant cannot run today (a piece of the package is missing), or undefined if it can. */
export function unavailableReason(variant: Variant): string | undefined {
  const c = variant.client;
  if (c.kind === 'grpc' && c.interceptors !== 'none' && c.interceptors !== 'stack') {
    if (!clientPieceExport(c.interceptors)) return `no ${c.interceptors} client interceptor exported from src/index.ts yet`;
    try {
      clientPiece(c.interceptors);
    } catch (e) {
      return `the ${c.interceptors} client interceptor cannot be built with default options: ${(e as Error).message}`;
    }
  }
  const s = variant.server.interceptors;
  if (s === 'wrap-service') return wrapServiceExport() ? undefined : 'no wrapService exported from src/index.ts yet';
  if (s !== 'none' && s !== 'stack') {
    if (!serverPieceExport(s)) return `no ${s} server interceptor exported from src/index.ts yet`;
    try {
      serverPiece(s);
    } catch (e) {
      return `the ${s} server interceptor cannot be built with default options: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** Variants selected by `--variants a,b` (unknown ids throw); the two references are always kept. */
export function selectVariants(filter: readonly string[] | undefined): Variant[] {
  if (!filter || filter.length === 0) return [...VARIANTS];
  const unknown = filter.filter((id) => !VARIANTS.some((v) => v.id === id));
  if (unknown.length > 0) {
    throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${VARIANTS.map((v) => v.id).join(', ')}`);
  }
  const keep = new Set([BASELINE_ID, HEADER_BASELINE_ID, ...filter]);
  return VARIANTS.filter((v) => keep.has(v.id));
}
