import * as grpc from '@grpc/grpc-js';
import { BenchClientConstructor, CONSTANT_TRACEPARENT, PAYLOAD, type BenchClient } from '../lib/service';
import { FakeChannel } from './fake-channel';
import { serveFakeUnary } from './fake-server-call';
import type { MicroVariant } from './variants';

/** Calls started together before waiting: enough to amortise the wait, few enough to stay in cache. */
const BATCH = 128;

/** Makes calls of one micro variant (client: through a real grpc-js Client; server: through the fake base call). */
export interface Runner {
  /** Makes `n` calls; resolves with the number that failed once all have ended. */
  batch(n: number): Promise<number>;
  close(): void;
}

function clientRunner(variant: MicroVariant): Runner {
  const interceptors = variant.build() as grpc.Interceptor[];
  const client: BenchClient = new BenchClientConstructor('fake.bench.local:443', grpc.credentials.createInsecure(), {
    channelOverride: new FakeChannel(),
    ...(interceptors.length ? { interceptors } : {}),
  });
  return {
    batch(n) {
      return new Promise((resolve) => {
        let left = n;
        let failed = 0;
        const done = (err: grpc.ServiceError | null, res?: Buffer) => {
          if (err || res?.length !== PAYLOAD.length) failed++;
          if (--left === 0) resolve(failed);
        };
        for (let i = 0; i < n; i++) {
          if (variant.traceparentByHand) {
            const md = new grpc.Metadata();
            md.set('traceparent', CONSTANT_TRACEPARENT);
            client.echo(PAYLOAD, md, done);
          } else {
            client.echo(PAYLOAD, done);
          }
        }
      });
    },
    close: () => client.close(),
  };
}

function serverRunner(variant: MicroVariant): Runner {
  const interceptors = variant.build() as grpc.ServerInterceptor[];
  return {
    batch(n) {
      return new Promise((resolve) => {
        let left = n;
        let failed = 0;
        const ended = (status: { code: grpc.status }) => {
          if (status.code !== grpc.status.OK) failed++;
          if (--left === 0) resolve(failed);
        };
        for (let i = 0; i < n; i++) serveFakeUnary(interceptors, ended);
      });
    },
    close: () => undefined,
  };
}

export function runnerFor(variant: MicroVariant): Runner {
  return variant.side === 'client' ? clientRunner(variant) : serverRunner(variant);
}

/** Makes `iterations` calls in batches; process CPU and wall time they took. */
export async function timeCalls(runner: Runner, iterations: number): Promise<{ cpuNs: number; wallNs: number; errors: number }> {
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < iterations; done += BATCH) errors += await runner.batch(Math.min(BATCH, iterations - done));
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { cpuNs: (cpu.user + cpu.system) * 1000, wallNs, errors };
}
