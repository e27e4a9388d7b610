import * as grpc from '@grpc/grpc-js';
import {
  clientPiece,
  clientPieceExport,
  serverPiece,
  serverPieceExport,
  stackModule,
  type ClientPiece,
  type ServerPiece,
} from '../lib/pieces';

/** A micro-benchmark variant: which interceptors run, and whether the caller sets traceparent by hand. */
export interface MicroVariant {
  readonly id: string;
  readonly label: string;
  readonly side: 'client' | 'server';
  /** Builds the interceptors, or throws when the piece is missing. */
  readonly build: () => grpc.Interceptor[] | grpc.ServerInterceptor[];
  readonly traceparentByHand?: boolean;
  /** The export this variant needs (undefined = always available). */
  readonly requires?: () => string | undefined;
  readonly pieceName?: string;
}

const clientOne = (piece: ClientPiece): MicroVariant => ({
  id: `client-${piece}`,
  label: `${piece} alone`,
  side: 'client',
  build: () => [clientPiece(piece)],
  requires: () => clientPieceExport(piece),
  pieceName: piece,
});

const serverOne = (piece: ServerPiece): MicroVariant => ({
  id: `server-${piece}`,
  label: `${piece} alone`,
  side: 'server',
  build: () => [serverPiece(piece)],
  requires: () => serverPieceExport(piece),
  pieceName: piece,
});

/** An event handler that does nothing: what the observers cost, not what a handler does. */
const ignoreEvent = (): void => undefined;

/** The micro-benchmark's variant table; `*-none` are the references. */
export const MICRO_VARIANTS: readonly MicroVariant[] = [
  { id: 'client-none', label: 'no interceptors', side: 'client', build: () => [] },
  { id: 'client-traceparent', label: 'no interceptors, traceparent set by hand', side: 'client', build: () => [], traceparentByHand: true },
  clientOne('trace'),
  clientOne('deadline'),
  clientOne('retry'),
  clientOne('breaker'),
  clientOne('criticality'),
  clientOne('throttle'),
  { id: 'client-stack', label: 'clientInterceptors()', side: 'client', build: () => stackModule.clientInterceptors() },
  {
    id: 'client-stack-events',
    label: 'clientInterceptors({ onEvent }) (call and attempt observers on)',
    side: 'client',
    build: () => stackModule.clientInterceptors({ onEvent: ignoreEvent }),
  },
  {
    id: 'client-stack-throttle',
    label: 'clientInterceptors({ throttle: {} })',
    side: 'client',
    build: () => stackModule.clientInterceptors({ throttle: {} }),
  },
  { id: 'server-none', label: 'no interceptors', side: 'server', build: () => [] },
  serverOne('context'),
  serverOne('deadline'),
  serverOne('errors'),
  {
    // The fake harness starts 128 calls at once: a limit pinned at 1000 keeps the adaptive
    // bookkeeping (windows, medians, event-loop delay) on the success path, with no refusal.
    id: 'server-overload',
    label: 'overload alone, adaptive (pinned at 1000)',
    side: 'server',
    build: () => [(stackModule.overloadServerInterceptor as (o: object) => grpc.ServerInterceptor)({ initialLimit: 1000, minLimit: 1000 })],
  },
  {
    id: 'server-overload-fixed',
    label: 'overload alone, fixed limit',
    side: 'server',
    build: () => [(stackModule.overloadServerInterceptor as (o: object) => grpc.ServerInterceptor)({ limit: 1000 })],
  },
  { id: 'server-stack', label: 'serverInterceptors()', side: 'server', build: () => stackModule.serverInterceptors() },
  {
    id: 'server-stack-overload',
    label: 'serverInterceptors({ overload }) (adaptive, pinned at 1000)',
    side: 'server',
    build: () => stackModule.serverInterceptors({ overload: { initialLimit: 1000, minLimit: 1000 } }),
  },
  {
    id: 'server-stack-events',
    label: 'serverInterceptors({ onEvent }) (call observer on)',
    side: 'server',
    build: () => stackModule.serverInterceptors({ onEvent: ignoreEvent }),
  },
];

/** Why a micro variant cannot run today, or undefined. */
export function microUnavailable(variant: MicroVariant): string | undefined {
  if (variant.requires && !variant.requires()) return `no ${variant.pieceName} ${variant.side} interceptor exported from src/index.ts yet`;
  try {
    variant.build();
  } catch (e) {
    return `cannot be built with default options: ${(e as Error).message}`;
  }
  return undefined;
}
