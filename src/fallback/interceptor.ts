import * as grpc from '@grpc/grpc-js';
import { callContextStorage, type CancellableContext } from '../context/scope';
import { asInterceptingCall } from '../internal/forwarding-call';
import { statusName } from '../status/codes';
import { localFailureKind } from '../status/local-failure';
import { emitSafely } from '../telemetry/emit';
import { degradedStatus } from './degraded';
import {
  resolveFallbackOptions,
  type FallbackContext,
  type FallbackHandler,
  type FallbackMap,
  type FallbackOptions,
  type FallbackReason,
  type ResolvedFallbackOptions,
} from './options';
import { channelTarget } from '../internal/target';
import { breakerKey } from '../breaker/key';

/**
 * Answers failed calls from per-method fallbacks, marking the response as degraded (trailer
 * `x-resilience-degraded: fallback`). A fallback runs when the final status is one the status
 * table counts as a server fault (`breakerFailure`) — breaker-open and no-time-left local
 * failures included — never for client faults or cancellations, and only for unary and
 * server-streaming methods (a stream only when it failed before delivering any message).
 *
 * Place it outside retry (and outside deadline): trace → fallback → deadline → retry → breaker,
 * so it sees the outcome after every attempt, and a call with no time left can still be answered.
 */
export function fallbackClientInterceptor(fallbacks: FallbackMap, options?: FallbackOptions): grpc.Interceptor {
  const resolved = resolveFallbackOptions(fallbacks, options);
  return (callOptions, nextCall) => {
    const definition = callOptions.method_definition;
    const handler = resolved.handlers.get(definition.path);
    // No fallback for this method: hand back the next layer's call itself, adding no layer.
    if (handler === undefined || definition.requestStream) return asInterceptingCall(nextCall(callOptions));
    const inner = nextCall(callOptions);
    const target = resolved.target ?? channelTarget(inner);
    return new grpc.InterceptingCall(
      inner,
      new FallbackRequester(handler, definition.path, definition.responseStream, target, resolved, callContextStorage.getStore()),
    );
  };
}

type StatusNext = (status: grpc.StatusObject) => void;

/** Per call: keeps the request, watches the outcome, and runs the fallback on a server fault. */
class FallbackRequester implements grpc.Requester {
  private request: unknown;
  private requestMetadata: grpc.Metadata | undefined;
  private upstream: grpc.InterceptingListener | undefined;
  /** Server-streaming: a response message reached the caller, so it is too late for a fallback. */
  private delivered = false;
  /**
   * Unary: the response (grpc-js passes null before a failure) is held until the status says
   * whether it stands. A response followed by a failed status never reaches the caller (grpc-js
   * discards it), so the fallback still applies.
   */
  private held: ((message: unknown) => void) | undefined;
  private heldMessage: unknown = null;
  private cancelled = false;

  constructor(
    private readonly handler: FallbackHandler,
    private readonly method: string,
    private readonly streaming: boolean,
    private readonly target: string,
    private readonly options: ResolvedFallbackOptions,
    /** The caller's context, captured when the call was made (listeners may run in another). */
    private readonly context: CancellableContext | undefined,
  ) {}

  start = (metadata: grpc.Metadata, listener: grpc.InterceptingListener, next: (md: grpc.Metadata, l: grpc.Listener) => void): void => {
    this.requestMetadata = metadata;
    this.upstream = listener;
    next(metadata, this.listener);
  };

  sendMessage = (message: unknown, next: (message: unknown) => void): void => {
    this.request = message;
    next(message);
  };

  cancel = (next: () => void): void => {
    this.cancelled = true;
    next();
  };

  private readonly listener: grpc.Listener = {
    onReceiveMessage: (message, next) => {
      if (!this.streaming) {
        this.held = next;
        this.heldMessage = message;
        return;
      }
      this.delivered = true;
      next(message);
    },
    onReceiveStatus: (status, next) => {
      if (
        status.code === grpc.status.OK ||
        this.delivered ||
        this.cancelled ||
        !this.options.table.classify(status.code, this.method).breakerFailure
      ) {
        this.passOn(status, next);
        return;
      }
      this.runFallback(status, next);
    },
  };

  private runFallback(failure: grpc.StatusObject, next: StatusNext): void {
    const reason: FallbackReason = localFailureKind(failure.metadata) ?? 'server-fault';
    const error = Object.assign(new Error(`${failure.code} ${statusName(failure.code)}: ${failure.details}`), failure) as grpc.ServiceError;
    const ctx: FallbackContext = {
      method: this.method,
      key: breakerKey(this.target, this.method, this.options.scope),
      target: this.target,
      reason,
      requestMetadata: this.requestMetadata ?? new grpc.Metadata(),
    };
    const invoke = () => this.handler(this.request, error, ctx);
    let result: unknown;
    try {
      result = this.context ? callContextStorage.run(this.context, invoke) : callContextStorage.exit(invoke);
    } catch (thrown) {
      this.decline(failure, next, ctx, thrown);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.answer(value, failure, next, ctx),
        (thrown: unknown) => this.decline(failure, next, ctx, thrown ?? new Error('fallback rejected')),
      );
    } else {
      this.answer(result, failure, next, ctx);
    }
  }

  private answer(value: unknown, failure: grpc.StatusObject, next: StatusNext, ctx: FallbackContext): void {
    if (value === undefined || value === null) {
      this.decline(failure, next, ctx);
      return;
    }
    if (!this.streaming) {
      this.deliver([value], failure, next, ctx);
      return;
    }
    if (Array.isArray(value)) {
      this.deliver(value, failure, next, ctx);
    } else if (isIterable(value)) {
      let messages: unknown[];
      try {
        messages = Array.from(value);
      } catch (thrown) {
        this.decline(failure, next, ctx, thrown);
        return;
      }
      this.deliver(messages, failure, next, ctx);
    } else if (isAsyncIterable(value)) {
      collectAsync(value).then(
        (messages) => this.deliver(messages, failure, next, ctx),
        (thrown: unknown) => this.decline(failure, next, ctx, thrown),
      );
    } else {
      this.decline(failure, next, ctx, new TypeError(`the fallback for server-streaming ${this.method} must return an iterable of messages`));
    }
  }

  /** Sends the fallback's messages, then OK with the degraded flag. */
  private deliver(messages: unknown[], failure: grpc.StatusObject, next: StatusNext, ctx: FallbackContext): void {
    if (this.cancelled) {
      // The caller gave up while the fallback was working: it gets what it asked for.
      this.passOn({ code: grpc.status.CANCELLED, details: 'Cancelled on client', metadata: new grpc.Metadata() }, next);
      return;
    }
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) held(messages[0]); // unary: the response takes the held slot
    else for (const message of messages) this.upstream?.onReceiveMessage(message);
    next(degradedStatus(failure));
    this.emit(failure, ctx, true);
  }

  private decline(failure: grpc.StatusObject, next: StatusNext, ctx: FallbackContext, error?: unknown): void {
    this.passOn(failure, next);
    this.emit(failure, ctx, false, error);
  }

  /** Passes a status on, releasing the held unary response first (the status waits for it). */
  private passOn(status: grpc.StatusObject, next: StatusNext): void {
    const held = this.held;
    this.held = undefined;
    held?.(this.heldMessage);
    this.heldMessage = null;
    next(status);
  }

  private emit(failure: grpc.StatusObject, ctx: FallbackContext, succeeded: boolean, error?: unknown): void {
    emitSafely(this.options.onEvent, {
      type: 'fallback',
      key: ctx.key,
      method: this.method,
      target: this.target,
      code: failure.code,
      succeeded,
      reason: ctx.reason,
      ...(error === undefined ? {} : { error }),
    });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

async function collectAsync(source: AsyncIterable<unknown>): Promise<unknown[]> {
  const messages: unknown[] = [];
  for await (const message of source) messages.push(message);
  return messages;
}
