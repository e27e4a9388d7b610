import * as grpc from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { asServerInterceptingCall } from '../internal/forwarding-server-call';
import { functionOption, keysOf, numberOption, objectOption } from '../internal/validate';
import { emitSafely } from '../telemetry/emit';
import type { EventHandler } from '../telemetry/events';
import { parseMethodKeys } from '../internal/method-keys';
import { readServices, type ServiceSource } from '../internal/services';
import { deadlineMs } from '../internal/time';

export interface DeadlineServerOptions {
  /**
   * A call arriving with fewer milliseconds than this left is rejected with DEADLINE_EXCEEDED
   * without running its handler. A call whose deadline has already passed is always rejected.
   * Default 0.
   */
  readonly minRemainingMs?: number;
  /** `minRemainingMs` per full method path (`/pkg.Service/Method`) or service (`pkg.Service`, `/pkg.Service/*`). */
  readonly methods?: Readonly<Record<string, { readonly minRemainingMs?: number }>>;
  /** Service definitions: each key of `methods` must name one of their methods or services. */
  readonly service?: ServiceSource | readonly ServiceSource[];
  /** Receives `deadline-shed` events. */
  readonly onEvent?: EventHandler;
  /** The clock (epoch ms); for tests. */
  readonly now?: () => number;
}

const OPTION_KEYS = keysOf<DeadlineServerOptions>({ minRemainingMs: true, methods: true, service: true, onEvent: true, now: true });

/**
 * Sheds calls that cannot finish in time: a call whose deadline has passed when it arrives, or
 * that has less than `minRemainingMs` left, gets DEADLINE_EXCEEDED and its handler never runs.
 * Place it after the context interceptor, so the rejection carries the trace id.
 */
export function deadlineServerInterceptor(options: DeadlineServerOptions = {}): grpc.ServerInterceptor {
  objectOption<DeadlineServerOptions>('deadline', options, OPTION_KEYS);
  const minRemaining = compileMinRemaining(options);
  const onEvent = functionOption<EventHandler>('deadline.onEvent', options.onEvent);
  const now = functionOption<() => number>('deadline.now', options.now) ?? Date.now;

  return (method, call) => {
    // grpc-js parsed grpc-timeout when the call arrived, just before building this chain.
    // A call with time enough is none of our business: hand back the call below, adding no layer.
    const deadline = deadlineMs(call.getDeadline()) ?? Infinity;
    if (deadline === Infinity) return asServerInterceptingCall(call);
    const remaining = deadline - now();
    const min = minRemaining(method.path);
    if (remaining > 0 && remaining >= min) return asServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (_metadata, _next) => {
            // Runs inside the call context (when the context interceptor is outside us).
            emitSafely(onEvent, {
              type: 'deadline-shed',
              method: method.path,
              remainingMs: remaining,
              traceId: callContextStorage.getStore()?.traceId,
            });
            const left = Math.max(0, Math.floor(remaining));
            call.sendStatus({
              code: grpc.status.DEADLINE_EXCEEDED,
              details:
                left === 0
                  ? 'Deadline exceeded on arrival: the handler was not run'
                  : `Deadline too close on arrival: ${left} ms left, the server needs at least ${min} ms; the handler was not run`,
            });
          },
          // The call is being rejected: the request never reaches the handler.
          onReceiveMessage: (_message, _next) => {},
          onReceiveHalfClose: (_next) => {},
        }),
    });
  };
}

/** `minRemainingMs` per method path, validated and compiled once. */
function compileMinRemaining(options: DeadlineServerOptions): (path: string) => number {
  const base = numberOption('deadline.minRemainingMs', options.minRemainingMs, 0, 0, 3_600_000);
  const known = readServices(options.service, 'deadline.service');
  const table = parseMethodKeys('deadline.methods', options.methods, (where, value) => {
    const entry = objectOption<{ minRemainingMs: number }>(where, value, ['minRemainingMs']);
    return numberOption(`${where}.minRemainingMs`, entry.minRemainingMs, base, 0, 3_600_000);
  }, { known });
  return table.isEmpty ? () => base : (path) => table.find(path) ?? base;
}
