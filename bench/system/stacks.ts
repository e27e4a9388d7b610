import * as grpc from '@grpc/grpc-js';
import { createClientFactory } from 'nice-grpc';
import { retryMiddleware } from 'nice-grpc-client-middleware-retry';
import { deadlineMiddleware } from 'nice-grpc-client-middleware-deadline';
import {
  PublicError,
  clientInterceptors,
  serverInterceptors,
  withResilience,
  wrapService,
  type ClientStack,
  type EventHandler,
} from '../../src/index';
import { SERVICE_NAME, SystemService, type MethodName } from './service';
import { optionSetOf, type OptionSet, type SystemVariant } from './variants';

/**
 * How each variant's services call and serve, in one place: the load generator and the front
 * build their clients here, the front and the back replicas their servers.
 */

/** Retry settings every retrying variant gets, so they differ in mechanism, not in budget. */
export const PEER_RETRY = { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2 } as const;
/**
 * grpc-js hedging: one hedge, after a fixed delay a user would pick from the unloaded latency
 * (the work takes 20 ms by default; 30 ms covers nearly every normal call).
 */
const PEER_HEDGING = { maxAttempts: 2, hedgingDelay: '0.030s', nonFatalStatusCodes: ['UNAVAILABLE'] };
/** grpc-js retry throttling with the token bucket our budget uses by default. */
const RETRY_THROTTLING = { maxTokens: 10, tokenRatio: 0.1 };

/** The service config of a channel: round robin over the back replicas; A6 retries or hedging for the grpc-js variants. */
export function serviceConfig(variant: SystemVariant, roundRobin: boolean): object {
  const config: Record<string, unknown> = {};
  if (roundRobin) config.loadBalancingConfig = [{ round_robin: {} }];
  if (variant.stack === 'grpc-js-retry') {
    config.methodConfig = [
      {
        name: [{ service: SERVICE_NAME }],
        retryPolicy: {
          maxAttempts: PEER_RETRY.maxAttempts,
          initialBackoff: `${PEER_RETRY.initialBackoffMs / 1000}s`,
          maxBackoff: `${PEER_RETRY.maxBackoffMs / 1000}s`,
          backoffMultiplier: PEER_RETRY.multiplier,
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      },
    ];
    config.retryThrottling = RETRY_THROTTLING;
  }
  if (variant.stack === 'grpc-js-hedging') {
    config.methodConfig = [{ name: [{ service: SERVICE_NAME }], hedgingPolicy: PEER_HEDGING }];
    config.retryThrottling = RETRY_THROTTLING;
  }
  return config;
}

/** A failed call as the services see it: grpc-js ServiceError or nice-grpc ClientError. */
export interface CallFailure {
  readonly code: number;
  readonly details?: string;
  readonly metadata?: grpc.Metadata;
}

export type CallDone = (failure: CallFailure | null, response?: Buffer) => void;

export interface CallSettings {
  /** Epoch ms; the load generator sets it, the front inherits its caller's. */
  readonly deadline?: number;
  /** The incoming call a front's outgoing call serves. */
  readonly parent?: grpc.ServerUnaryCall<Buffer, Buffer>;
  /** The load generator's class of the call (see `LoadPhase.classShares`). */
  readonly callClass?: string;
}

export interface Caller {
  call(method: MethodName, request: Buffer, settings: CallSettings, done: CallDone): void;
  close(): void;
}

type GrpcUnary = (request: Buffer, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<Buffer>) => void;
type GrpcClient = grpc.Client & Record<MethodName, GrpcUnary>;
const GrpcClientConstructor = grpc.makeGenericClientConstructor(SystemService, 'SystemService') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => GrpcClient;

function grpcCaller(variant: SystemVariant, target: string, roundRobin: boolean, onEvent: EventHandler | undefined): Caller {
  const options: grpc.ClientOptions = { 'grpc.service_config': JSON.stringify(serviceConfig(variant, roundRobin)) };
  let stack: ClientStack | undefined;
  let perClass: OptionSet['perClass'];
  if (variant.stack === 'ours') {
    const set = optionSetOf(variant);
    stack = clientInterceptors({ ...set.client, service: SystemService, onEvent });
    options.interceptors = stack;
    perClass = set.perClass;
  }
  const client = new GrpcClientConstructor(target, grpc.credentials.createInsecure(), options);
  // Ours propagates deadline and cancellation through the call context; the others through `parent`.
  const usesParent = variant.stack !== 'ours';
  return {
    call(method, request, settings, done) {
      const callOptions: grpc.CallOptions = {};
      if (settings.deadline !== undefined) callOptions.deadline = settings.deadline;
      if (usesParent && settings.parent) callOptions.parent = settings.parent;
      const perCall = settings.callClass === undefined ? undefined : perClass?.[settings.callClass];
      client[method](request, new grpc.Metadata(), perCall ? withResilience(callOptions, perCall) : callOptions, (err, response) =>
        done(err ?? null, response),
      );
    },
    close() {
      stack?.dispose();
      client.close();
    },
  };
}

function niceGrpcCaller(variant: SystemVariant, target: string, roundRobin: boolean): Caller {
  const channel = new grpc.Channel(target, grpc.credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify(serviceConfig(variant, roundRobin)),
  });
  // The last `use` is outermost: the deadline covers all attempts.
  const client = createClientFactory().use(retryMiddleware).use(deadlineMiddleware).create(SystemService, channel);
  const retry = { retry: true, retryMaxAttempts: PEER_RETRY.maxAttempts - 1 };
  return {
    call(method, request, settings, done) {
      const parent = settings.parent;
      const deadline = settings.deadline ?? (parent ? Number(parent.getDeadline()) : undefined);
      let signal: AbortSignal | undefined;
      if (parent) {
        // nice-grpc has no parent call: cancellation is handed on by hand, as its docs show.
        const abort = new AbortController();
        parent.once('cancelled', () => abort.abort());
        signal = abort.signal;
      }
      const options = { ...retry, signal, deadline: deadline === undefined || !Number.isFinite(deadline) ? undefined : new Date(deadline) };
      client[method](request, options).then(
        (response) => done(null, response),
        (e: unknown) => done(asFailure(e)),
      );
    },
    close: () => channel.close(),
  };
}

function asFailure(e: unknown): CallFailure {
  if (typeof e === 'object' && e !== null && typeof (e as CallFailure).code === 'number') return e as CallFailure;
  // An AbortError: the caller went away.
  return { code: grpc.status.CANCELLED, details: e instanceof Error ? e.message : String(e) };
}

/**
 * A client of `target` (one address, or the replicas' `ipv4:` list with `roundRobin`).
 * `onEvent` receives our stack's events (ours only).
 */
export function createCaller(variant: SystemVariant, target: string, roundRobin: boolean, onEvent?: EventHandler): Caller {
  return variant.stack === 'nice-grpc' ? niceGrpcCaller(variant, target, roundRobin) : grpcCaller(variant, target, roundRobin, onEvent);
}

/** What a handler's work came to; each stack turns it into a status its own way. */
export type Outcome =
  | { readonly response: Buffer }
  /** The service is down (outage) or had a transient failure. */
  | { readonly fail: 'unavailable' }
  /** A deterministic bug in the handler. */
  | { readonly fail: 'bug' }
  /** The call was cancelled (or its deadline passed) before the work started. */
  | { readonly fail: 'cancelled' }
  /** The front's outgoing call failed. */
  | { readonly downstream: CallFailure };

export type Handler = (call: grpc.ServerUnaryCall<Buffer, Buffer>) => Promise<Outcome>;

/** The error a bug throws: what a handler reading a field of a missing record would throw. */
function bugError(): Error {
  return new TypeError("Cannot read properties of undefined (reading 'sku')");
}

/** grpc-js callback handlers: statuses picked the grpc-js way, a downstream failure handed on as is. */
function callbackHandler(handler: Handler): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    void handler(call).then((outcome) => {
      if ('response' in outcome) callback(null, outcome.response);
      else if ('downstream' in outcome) callback(outcome.downstream as grpc.ServiceError);
      else if (outcome.fail === 'unavailable') callback({ code: grpc.status.UNAVAILABLE, details: 'service unavailable' });
      else if (outcome.fail === 'bug') callback({ code: grpc.status.INTERNAL, details: `bug: ${bugError().message}` });
      else callback({ code: grpc.status.CANCELLED, details: 'cancelled before the work started' });
    });
  };
}

/** wrapService handlers: a PublicError for a chosen status, a thrown bug, a downstream error rethrown. */
function asyncHandler(handler: Handler): (call: grpc.ServerUnaryCall<Buffer, Buffer>) => Promise<Buffer> {
  return async (call) => {
    const outcome = await handler(call);
    if ('response' in outcome) return outcome.response;
    if ('downstream' in outcome) throw outcome.downstream;
    if (outcome.fail === 'unavailable') throw new PublicError(grpc.status.UNAVAILABLE, 'service unavailable');
    if (outcome.fail === 'bug') throw bugError();
    throw new PublicError(grpc.status.CANCELLED, 'cancelled before the work started');
  };
}

/** Starts a server of the variant on 127.0.0.1 with the given handlers (ephemeral port unless given). */
export async function startServer(
  variant: SystemVariant,
  handlers: Readonly<Record<MethodName, Handler>>,
  onEvent?: EventHandler,
  port = 0,
): Promise<{ server: grpc.Server; port: number }> {
  const ours = variant.stack === 'ours';
  const server = new grpc.Server(ours ? { interceptors: serverInterceptors({ ...optionSetOf(variant).server, onEvent }) } : {});
  const impl = ours
    ? wrapService(SystemService, { work: asyncHandler(handlers.work), lookup: asyncHandler(handlers.lookup) })
    : { work: callbackHandler(handlers.work), lookup: callbackHandler(handlers.lookup) };
  server.addService(SystemService, impl as grpc.UntypedServiceImplementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port: bound };
}
