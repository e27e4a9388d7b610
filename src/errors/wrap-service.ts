import type * as grpc from '@grpc/grpc-js';
import { functionOption, objectOption } from '../internal/validate';
import { recordFailure, type FailureOrigin, type FailureRecord, type MapError } from './failure-record';
import type { ServiceDefinitionLike, ServiceHandlers, WrappedService } from './handler-types';
import { pickedStatus } from './picked-status';
import { standaloneStatus, type SurfaceCall } from './standalone-status';
import { endStream, isClosed, isResponseSource, pipeResponses, type ResponseStream } from './stream-output';
import { emitPackageWarning, printable } from '../internal/printable';

export interface WrapServiceOptions {
  /**
   * Maps this service's domain errors to PublicErrors; consulted before the translator's own
   * `mapError`, and used on its own when no translator is installed.
   */
  readonly mapError?: MapError;
}

// grpc-js passes the call and, for unary and client-streaming methods, the callback.
type AnyCall = SurfaceCall & { readonly metadata: grpc.Metadata };
type Callback = (error: unknown, value?: unknown, trailer?: grpc.Metadata, flags?: number) => void;
type UserHandler = (this: unknown, call: unknown, callback?: Callback) => unknown;

let reportedBug = false;
/** Last line of defence: a bug here must never become an unhandled rejection. */
function reportInternalBug(error: unknown): void {
  if (!reportedBug) {
    reportedBug = true;
    emitPackageWarning(`grpc-resilience: wrapService failed to answer a call (${printable(error)})`);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** A handler's own mistake (no response): an internal failure like any other. */
function missingResponse(call: AnyCall): Error {
  return new Error(`${safePath(call)}: the handler finished without a response (return the response message)`);
}

function safePath(call: AnyCall): string {
  try {
    return call.getPath();
  } catch {
    return 'handler';
  }
}

/**
 * Files a handler's failure for the translator and returns the safe status to send in its place:
 * grpc-js never sees the error itself (its message, trailers and a code of 0 would reach the client).
 * A `callback` failure keeps the status grpc-js would have made of it, for the translator's rules.
 */
function failureStatus(call: AnyCall, error: unknown, origin: FailureOrigin, mapError: MapError | undefined, trailer?: unknown) {
  const record: FailureRecord =
    origin === 'callback' ? { error, origin, mapError, status: pickedStatus(error, trailer) } : { error, origin, mapError };
  recordFailure(call.metadata, record);
  return standaloneStatus(call, record);
}

/** Unary and client streaming, async style: the returned value (or promise) is the response. */
function runForResponse(fn: UserHandler, self: unknown, call: AnyCall, callback: Callback, mapError: MapError | undefined): void {
  let answered = false;
  // Neither settles by throwing, so the promise chain below needs no catch of its own.
  const fail = (error: unknown) => {
    if (answered) return;
    answered = true;
    try {
      callback(failureStatus(call, error, 'thrown', mapError));
    } catch (bug) {
      reportInternalBug(bug);
    }
  };
  const succeed = (value: unknown) => {
    if (value === undefined || value === null) return fail(missingResponse(call));
    if (answered) return;
    answered = true;
    try {
      callback(null, value);
    } catch (bug) {
      reportInternalBug(bug);
    }
  };
  let result: unknown;
  try {
    result = fn.call(self, call);
  } catch (error) {
    return fail(error);
  }
  if (!isThenable(result)) return succeed(result);
  Promise.resolve(result).then(succeed, fail);
}

/**
 * Unary and client streaming, grpc-js callback style: called as is, with a callback that files the
 * error for the translator and answers with a safe status. A throw or a rejected promise (an
 * `async (call, callback)` handler) answers the call instead of hanging it.
 */
function runWithCallback(fn: UserHandler, self: unknown, call: AnyCall, callback: Callback, mapError: MapError | undefined): void {
  let answered = false;
  const guarded: Callback = (error, value, trailer, flags) => {
    if (answered) return;
    answered = true;
    if (!error) return callback(error, value, trailer, flags);
    callback(failureStatus(call, error, 'callback', mapError, trailer));
  };
  const fail = (error: unknown) => {
    if (answered) return;
    answered = true;
    callback(failureStatus(call, error, 'thrown', mapError));
  };
  let result: unknown;
  try {
    result = fn.call(self, call, guarded);
  } catch (error) {
    return fail(error);
  }
  if (isThenable(result)) Promise.resolve(result).then(undefined, fail).then(undefined, reportInternalBug);
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/**
 * grpc-js ends a stream with what it makes of an emitted error: its message and trailers verbatim,
 * OK for a code of 0, and a crash for `undefined`, `null`, a string or a hostile object. The
 * handler's emits of 'error' are filed for the translator and replaced by a safe status; other
 * events pass untouched. Returns the unguarded emit, for the wrapper's own safe statuses.
 */
function guardErrorEvents(call: AnyCall & ResponseStream, mapError: MapError | undefined): (status: object) => void {
  const emit = call.emit as Emit;
  call.emit = function (this: unknown, event: string | symbol, error?: unknown) {
    // `apply(this, arguments)` forwards every other event without allocating.
    // eslint-disable-next-line prefer-rest-params
    if (event !== 'error') return emit.apply(this, arguments as unknown as Parameters<Emit>);
    return emit.call(this, 'error', failureStatus(call, error, 'callback', mapError));
  } as typeof call.emit;
  return (status) => emit.call(call, 'error', status);
}

/** Server streaming and bidi: an async generator / iterable, an async function, or grpc-js style. */
function runStreaming(fn: UserHandler, self: unknown, call: AnyCall & ResponseStream, mapError: MapError | undefined): void {
  const sendError = guardErrorEvents(call, mapError);
  const fail = (error: unknown) => {
    // A cancelled call is destroyed (nothing can be sent, grpc-js already ended it); an ended one
    // has its status on the way.
    if (isClosed(call)) return;
    sendError(failureStatus(call, error, 'thrown', mapError));
  };
  const pipe = (source: AsyncIterable<unknown> | Iterable<unknown>) =>
    pipeResponses(call, source).then((outcome) => outcome === 'done' && endStream(call), fail);
  let result: unknown;
  try {
    result = fn.call(self, call);
  } catch (error) {
    return fail(error);
  }
  if (isThenable(result)) {
    Promise.resolve(result)
      .then(
        (value) => (value !== call && isResponseSource(value) ? pipe(value) : endStream(call)),
        fail,
      )
      .then(undefined, reportInternalBug);
    return;
  }
  if (result !== call && isResponseSource(result)) {
    pipe(result).then(undefined, reportInternalBug);
    return;
  }
  // grpc-js style: the handler ends the stream itself (its errors pass through the guard).
}

/**
 * `for await (const req of call)` destroys a Node stream when the loop ends, and a destroyed grpc-js
 * duplex can never send its status (the call hangs until its deadline). Reading requests must not
 * end the call, so iteration leaves the stream open.
 */
function keepOpenWhenIterated(call: object): void {
  const readable = call as { iterator?: (options: { destroyOnReturn: boolean }) => AsyncIterator<unknown> };
  if (typeof readable.iterator !== 'function') return;
  Object.defineProperty(call, Symbol.asyncIterator, {
    value: () => readable.iterator!({ destroyOnReturn: false }),
    configurable: true,
    writable: true,
  });
}

function wrapHandler(fn: UserHandler, self: unknown, mapError: MapError | undefined): grpc.UntypedHandleCall {
  const callbackStyle = fn.length >= 2;
  return (call: AnyCall, callback?: Callback) => {
    keepOpenWhenIterated(call);
    if (typeof callback === 'function') {
      if (callbackStyle) runWithCallback(fn, self, call, callback, mapError);
      else runForResponse(fn, self, call, callback, mapError);
      return;
    }
    runStreaming(fn, self, call as AnyCall & ResponseStream, mapError);
  };
}

function isMethodDefinition(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { path?: unknown }).path === 'string' &&
    typeof (value as { requestStream?: unknown }).requestStream === 'boolean' &&
    typeof (value as { responseStream?: unknown }).responseStream === 'boolean'
  );
}

function isServiceDefinition(value: unknown): value is ServiceDefinitionLike {
  if (typeof value !== 'object' || value === null) return false;
  const entries = Object.values(value);
  return entries.length > 0 && entries.every(isMethodDefinition);
}

/** Function-valued properties, own and inherited (class instances), except Object's. */
function handlerNames(impl: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = impl; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof (impl as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names];
}

/**
 * Adapts async handlers to grpc-js: for unary and client-streaming methods the returned value is the
 * response; server-streaming and bidi handlers may be async generators (backpressure respected, stopped
 * when the client cancels) or async functions writing to the stream. Any throw or rejection becomes a
 * safe status (never an unhandled rejection or a call hanging until its deadline), and the original
 * error reaches the error translation interceptor for logging. grpc-js callback-style handlers keep
 * working as they are.
 *
 * With the service definition first, handler types flow from it and unknown method names are rejected:
 * `wrapService(UserServiceService, { async getUser(call) { … } })`.
 */
export function wrapService<D extends ServiceDefinitionLike>(
  definition: D,
  implementation: ServiceHandlers<D>,
  options?: WrapServiceOptions,
): WrappedService<keyof D>;
export function wrapService<I extends object>(implementation: I, options?: WrapServiceOptions): WrappedService<keyof I>;
export function wrapService(first: object, second?: object, third?: WrapServiceOptions): Record<string, grpc.UntypedHandleCall> {
  const typed = isServiceDefinition(first) && second !== undefined && !isServiceDefinition(second) && handlerNames(second).length > 0;
  const definition = typed ? (first as ServiceDefinitionLike) : undefined;
  const implementation = (typed ? second : first) as Record<string, unknown>;
  const rawOptions = typed ? third : second;
  if (typeof implementation !== 'object' || implementation === null) {
    throw new TypeError(`wrapService: the implementation must be an object of handlers; got ${String(implementation)}`);
  }
  const o = objectOption<WrapServiceOptions>('wrapService options', rawOptions, ['mapError']);
  const mapError = functionOption<MapError>('wrapService options.mapError', o.mapError);

  const names = handlerNames(implementation);
  if (definition) {
    const known = new Set<string>();
    for (const [key, method] of Object.entries(definition)) {
      known.add(key);
      if (method.originalName) known.add(method.originalName);
    }
    for (const name of names) {
      if (!known.has(name)) {
        throw new TypeError(`wrapService: "${name}" is not a method of the service; methods: ${Object.keys(definition).join(', ')}`);
      }
    }
  }
  const wrapped: Record<string, grpc.UntypedHandleCall> = {};
  for (const name of names) {
    wrapped[name] = wrapHandler(implementation[name] as UserHandler, implementation, mapError);
  }
  return wrapped;
}
