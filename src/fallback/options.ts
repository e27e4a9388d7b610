import type { Metadata, ServiceError } from '@grpc/grpc-js';
import { parseMethodKeys } from '../internal/method-keys';
import { readServices, type ServiceSource } from '../internal/services';
import { functionOption, keysOf, objectOption } from '../internal/validate';
import type { EventHandler } from '../telemetry/events';
import { resolveKeyOptions, type BreakerKeyOptions, type ResolvedKeyOptions } from '../breaker/options';

/** Why a call failed when its fallback ran. */
export type FallbackReason = 'breaker-open' | 'deadline' | 'throttled' | 'server-fault';

export interface FallbackContext {
  /** Full method path (`/pkg.Service/Method`). */
  readonly method: string;
  /** The breaker key of the call (same naming as the breaker interceptor). */
  readonly key: string;
  readonly target: string;
  /** `breaker-open`: refused locally by its breaker; `deadline`: not sent for lack of time; `throttled`: refused locally by adaptive throttling; `server-fault`: failed with a code the status table counts as a server fault. */
  readonly reason: FallbackReason;
  /** The metadata the call was sent with. */
  readonly requestMetadata: Metadata;
}

/**
 * Produces a degraded response for a failed call. Unary methods: return the response (or a
 * promise of it). Server-streaming methods: return the messages as an array, an iterable or an
 * async iterable (or a promise of one). Return `undefined` to decline; throw or reject to fail:
 * either way the original error reaches the caller.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FallbackHandler<Request = any, Response = any> = (
  request: Request,
  error: ServiceError,
  ctx: FallbackContext,
) => Response | PromiseLike<Response | undefined> | Iterable<Response> | AsyncIterable<Response> | undefined;

/** Fallbacks keyed by full method path. */
export type FallbackMap = Readonly<Record<string, FallbackHandler>>;

export interface FallbackOptions extends BreakerKeyOptions {
  /** Service definitions: each fallback must be keyed by one of their methods. */
  readonly service?: ServiceSource | readonly ServiceSource[];
  /** Receives a `fallback` event each time a fallback runs. */
  readonly onEvent?: EventHandler;
}

export interface ResolvedFallbackOptions extends ResolvedKeyOptions {
  readonly handlers: ReadonlyMap<string, FallbackHandler>;
  readonly onEvent: EventHandler | undefined;
}

const OPTION_KEYS = keysOf<FallbackOptions>({ target: true, scope: true, statusTable: true, service: true, onEvent: true });

export function resolveFallbackOptions(fallbacks: unknown, options: unknown, name = 'fallback'): ResolvedFallbackOptions {
  const o = objectOption<FallbackOptions>(`${name} options`, options, OPTION_KEYS);
  const known = readServices(o.service, `${name} options.service`);
  if (fallbacks === undefined) throw new TypeError(`${name}: no fallbacks given; pass an object of fallbacks keyed by full method path ('/pkg.Service/Method')`);
  const table = parseMethodKeys(name, fallbacks, (where, handler) => functionOption<FallbackHandler>(where, handler), { accepts: 'method', known });
  const handlers = new Map<string, FallbackHandler>();
  for (const [path, handler] of table.methods) if (handler) handlers.set(path, handler);
  return {
    ...resolveKeyOptions(o, `${name} options`),
    handlers,
    onEvent: functionOption<EventHandler>(`${name} options.onEvent`, o.onEvent),
  };
}
