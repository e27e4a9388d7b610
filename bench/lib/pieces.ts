import type * as grpc from '@grpc/grpc-js';
import * as stack from '../../src/index';

/**
 * Which parts of the package exist today. The benchmark never names an interceptor factory
 * directly: it looks for it among the exports of src/index.ts, so a variant whose piece has not
 * landed yet is skipped with a note, and included as soon as the export appears.
 */

export type ClientPiece = 'trace' | 'criticality' | 'deadline' | 'retry' | 'throttle' | 'breaker';
export type ServerPiece = 'context' | 'deadline' | 'overload' | 'errors';

interface PieceRule {
  /** Exact export names tried first. */
  readonly preferred: readonly string[];
  /** Otherwise: an export named `<prefix>…Interceptor` (case-insensitive) on the right side. */
  readonly prefixes: readonly string[];
}

const CLIENT_RULES: Record<ClientPiece, PieceRule> = {
  trace: { preferred: ['traceClientInterceptor'], prefixes: ['trace'] },
  criticality: { preferred: ['criticalityClientInterceptor'], prefixes: ['criticality'] },
  throttle: { preferred: ['throttleClientInterceptor'], prefixes: ['throttle'] },
  deadline: { preferred: ['deadlineClientInterceptor'], prefixes: ['deadline'] },
  retry: { preferred: ['retryClientInterceptor', 'retryInterceptor'], prefixes: ['retry'] },
  breaker: { preferred: ['breakerClientInterceptor', 'breakerInterceptor', 'circuitBreakerInterceptor'], prefixes: ['breaker', 'circuit'] },
};

const SERVER_RULES: Record<ServerPiece, PieceRule> = {
  context: { preferred: ['callContextServerInterceptor', 'traceServerInterceptor'], prefixes: ['callcontext', 'context', 'trace'] },
  deadline: { preferred: ['deadlineServerInterceptor'], prefixes: ['deadline'] },
  overload: { preferred: ['overloadServerInterceptor'], prefixes: ['overload'] },
  errors: {
    preferred: ['errorServerInterceptor', 'errorsServerInterceptor', 'errorTranslationServerInterceptor'],
    prefixes: ['error', 'safeerror'],
  },
};

export type StackModule = typeof stack & Record<string, unknown>;

export const stackModule = stack as StackModule;

function findExport(rule: PieceRule, side: 'client' | 'server', mod: Record<string, unknown>): string | undefined {
  for (const name of rule.preferred) if (typeof mod[name] === 'function') return name;
  for (const name of Object.keys(mod).sort()) {
    const lower = name.toLowerCase();
    if (typeof mod[name] !== 'function' || !lower.endsWith('interceptor')) continue;
    const isServer = lower.includes('server');
    if ((side === 'server') !== isServer) continue;
    if (rule.prefixes.some((p) => lower.startsWith(p))) return name;
  }
  return undefined;
}

/** The export implementing a client piece, if it exists. */
export function clientPieceExport(piece: ClientPiece, mod: Record<string, unknown> = stackModule): string | undefined {
  return findExport(CLIENT_RULES[piece], 'client', mod);
}

/** The export implementing a server piece, if it exists. */
export function serverPieceExport(piece: ServerPiece, mod: Record<string, unknown> = stackModule): string | undefined {
  return findExport(SERVER_RULES[piece], 'server', mod);
}

/** Builds one client interceptor alone, with its default options. */
export function clientPiece(piece: ClientPiece): grpc.Interceptor {
  const name = clientPieceExport(piece);
  if (!name) throw new Error(`no export for the ${piece} client interceptor`);
  return (stackModule[name] as () => grpc.Interceptor)();
}

/** Builds one server interceptor alone, with its default options. */
export function serverPiece(piece: ServerPiece): grpc.ServerInterceptor {
  const name = serverPieceExport(piece);
  if (!name) throw new Error(`no export for the ${piece} server interceptor`);
  return (stackModule[name] as () => grpc.ServerInterceptor)();
}

/** `wrapService` when it exists (the recommended server usage together with serverInterceptors()). */
export function wrapServiceExport(): ((impl: object) => grpc.UntypedServiceImplementation) | undefined {
  const fn = stackModule.wrapService;
  return typeof fn === 'function' ? (fn as (impl: object) => grpc.UntypedServiceImplementation) : undefined;
}

export const CLIENT_PIECES: readonly ClientPiece[] = ['trace', 'deadline', 'retry', 'breaker'];
export const SERVER_PIECES: readonly ServerPiece[] = ['context', 'deadline', 'errors'];

/** One line per piece: which export the bench uses, or that it is missing. */
export function piecesSummary(): string[] {
  const lines = CLIENT_PIECES.map((p) => `client ${p}: ${clientPieceExport(p) ?? 'not present yet'}`);
  lines.push(...SERVER_PIECES.map((p) => `server ${p}: ${serverPieceExport(p) ?? 'not present yet'}`));
  lines.push(`wrapService: ${wrapServiceExport() ? 'wrapService' : 'not present yet'}`);
  const client = stackModule.clientInterceptors().length;
  const server = stackModule.serverInterceptors().length;
  lines.push(`clientInterceptors() today: ${client} interceptor(s); serverInterceptors(): ${server}`);
  return lines;
}
