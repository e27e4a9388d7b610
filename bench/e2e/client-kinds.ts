import * as grpc from '@grpc/grpc-js';
import CircuitBreaker from 'opossum';
import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, retry, wrap } from 'cockatiel';
import { createChannel, createClientFactory } from 'nice-grpc';
import { retryMiddleware } from 'nice-grpc-client-middleware-retry';
import { deadlineMiddleware } from 'nice-grpc-client-middleware-deadline';
import { clientPiece, stackModule } from '../lib/pieces';
import { BenchClientConstructor, BenchService, CONSTANT_TRACEPARENT, PAYLOAD, nextTraceparent, type BenchClient } from '../lib/service';
import type { ClientSpec } from './variants';

/** Callback style: the driver calls `invoke` and is told when the call ended (err = failure). */
export interface Caller {
  invoke(done: (err: unknown) => void): void;
  close(): void;
}

/** What the hand-written peer wrappers count as a server fault (a breaker failure) / retryable. */
const BREAKER_FAILURES = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.DATA_LOSS,
]);
const isBreakerFailure = (e: unknown) => BREAKER_FAILURES.has((e as grpc.ServiceError).code);
const isRetryable = (e: unknown) => (e as grpc.ServiceError).code === grpc.status.UNAVAILABLE;

/** Peers get the same call budget as our defaults would: 3 attempts, 10 s deadline where the API has one. */
const PEER_MAX_ATTEMPTS = 3;
const PEER_DEADLINE_MS = 10_000;

function grpcClient(target: string, interceptors: grpc.Interceptor[] = []): BenchClient {
  return new BenchClientConstructor(target, grpc.credentials.createInsecure(), interceptors.length ? { interceptors } : {});
}

function promised(client: BenchClient): (req: Buffer) => Promise<Buffer> {
  return (req) =>
    new Promise((resolve, reject) => client.echo(req, (err, res) => (err ? reject(err) : resolve(res as Buffer))));
}

function grpcCaller(spec: Extract<ClientSpec, { kind: 'grpc' }>, target: string): Caller {
  const interceptors =
    spec.interceptors === 'none' ? [] : spec.interceptors === 'stack' ? stackModule.clientInterceptors() : [clientPiece(spec.interceptors)];
  const client = grpcClient(target, interceptors);
  if (spec.traceparent) {
    const header = spec.traceparent === 'per-call' ? nextTraceparent : () => CONSTANT_TRACEPARENT;
    return {
      invoke(done) {
        const md = new grpc.Metadata();
        md.set('traceparent', header());
        client.echo(PAYLOAD, md, done);
      },
      close: () => client.close(),
    };
  }
  return { invoke: (done) => void client.echo(PAYLOAD, done), close: () => client.close() };
}

function niceGrpcCaller(target: string): Caller {
  const channel = createChannel(target);
  // The last `use` is outermost: the deadline covers all attempts.
  const client = createClientFactory().use(retryMiddleware).use(deadlineMiddleware).create(BenchService, channel);
  const options = { deadline: PEER_DEADLINE_MS, retry: true, retryMaxAttempts: PEER_MAX_ATTEMPTS - 1 };
  return {
    invoke(done) {
      client.echo(PAYLOAD, options).then(() => done(undefined), done);
    },
    close: () => channel.close(),
  };
}

function opossumCaller(target: string): Caller {
  const client = grpcClient(target);
  const breaker = new CircuitBreaker(promised(client), {
    timeout: false, // the gRPC deadline governs, as in our stack
    errorThresholdPercentage: 50,
    resetTimeout: 10_000,
    volumeThreshold: 20,
    errorFilter: (e: unknown) => !isBreakerFailure(e),
  });
  return {
    invoke(done) {
      breaker.fire(PAYLOAD).then(() => done(undefined), done);
    },
    close() {
      breaker.shutdown();
      client.close();
    },
  };
}

function cockatielCaller(target: string): Caller {
  const client = grpcClient(target);
  const call = promised(client);
  const policy = wrap(
    retry(handleWhen(isRetryable), { maxAttempts: PEER_MAX_ATTEMPTS - 1, backoff: new ExponentialBackoff() }),
    circuitBreaker(handleWhen(isBreakerFailure), { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
  );
  const fn = () => call(PAYLOAD);
  return {
    invoke(done) {
      policy.execute(fn).then(() => done(undefined), done);
    },
    close: () => client.close(),
  };
}

export function createCaller(spec: ClientSpec, target: string): Caller {
  switch (spec.kind) {
    case 'grpc':
      return grpcCaller(spec, target);
    case 'nice-grpc':
      return niceGrpcCaller(target);
    case 'opossum':
      return opossumCaller(target);
    case 'cockatiel':
      return cockatielCaller(target);
  }
}
