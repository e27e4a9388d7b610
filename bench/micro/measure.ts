import * as grpc from '@grpc/grpc-js';
import { summariseProfile, type ProfileSummary } from '../lib/profile-summary';
import { startProfiling, stopProfiling } from '../lib/profiler';
import { BenchClientConstructor, CONSTANT_TRACEPARENT, PAYLOAD, type BenchClient } from '../lib/service';
import { FakeChannel } from './fake-channel';
import { serveFakeUnary } from './fake-server-call';
import { MICRO_VARIANTS, microUnavailable, type MicroVariant } from './variants';

/** Calls started together before waiting: enough to amortise the wait, few enough to stay in cache. */
const BATCH = 128;

export interface MicroSample {
  readonly variant: string;
  readonly round: number;
  /** Process CPU time (user + system, all threads incl. GC) per call, ns: robust to other load on the machine. */
  readonly nsPerCall: number;
  /** Wall time per call, ns. */
  readonly wallNsPerCall: number;
  readonly errors: number;
}

export interface MicroResult {
  readonly variants: readonly { id: string; label: string; side: 'client' | 'server' }[];
  readonly skipped: readonly { id: string; label: string; side: string; reason: string }[];
  readonly samples: readonly MicroSample[];
  readonly iterations: number;
  readonly rounds: number;
}

interface Runner {
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

async function timeCalls(runner: Runner, iterations: number): Promise<{ cpuNs: number; wallNs: number; errors: number }> {
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < iterations; done += BATCH) errors += await runner.batch(Math.min(BATCH, iterations - done));
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { cpuNs: (cpu.user + cpu.system) * 1000, wallNs, errors };
}

/**
 * Interleaved rounds: in each round every variant makes `iterations` calls (order rotated per
 * round). A warm-up of the same size runs first, so JIT tiers are settled before measuring.
 */
export async function runMicro(options: { iterations: number; rounds: number; only?: readonly string[] }): Promise<MicroResult> {
  const chosen = MICRO_VARIANTS.filter((v) => !options.only || options.only.includes(v.id) || v.id.endsWith('-none'));
  const skipped: MicroResult['skipped'][number][] = [];
  const runnable: { variant: MicroVariant; runner: Runner }[] = [];
  for (const variant of chosen) {
    const reason = microUnavailable(variant);
    if (reason) skipped.push({ id: variant.id, label: variant.label, side: variant.side, reason });
    else runnable.push({ variant, runner: variant.side === 'client' ? clientRunner(variant) : serverRunner(variant) });
  }
  const samples: MicroSample[] = [];
  try {
    for (const { runner } of runnable) await timeCalls(runner, options.iterations);
    for (let round = 0; round < options.rounds; round++) {
      const k = round % runnable.length;
      for (const { variant, runner } of [...runnable.slice(k), ...runnable.slice(0, k)]) {
        const { cpuNs, wallNs, errors } = await timeCalls(runner, options.iterations);
        samples.push({ variant: variant.id, round, nsPerCall: cpuNs / options.iterations, wallNsPerCall: wallNs / options.iterations, errors });
      }
    }
  } finally {
    for (const { runner } of runnable) runner.close();
  }
  return {
    variants: runnable.map(({ variant }) => ({ id: variant.id, label: variant.label, side: variant.side })),
    skipped,
    samples,
    iterations: options.iterations,
    rounds: options.rounds,
  };
}

export interface MicroProfile {
  readonly variant: string;
  readonly label: string;
  readonly iterations: number;
  readonly nsPerCall: number;
  readonly summary: ProfileSummary;
}

/** A CPU profile of one micro variant over `iterations` calls, after as many unprofiled ones. */
export async function profileMicro(id: string, iterations: number, file: string): Promise<MicroProfile> {
  const variant = MICRO_VARIANTS.find((v) => v.id === id);
  if (!variant) throw new Error(`unknown micro variant ${id}; known: ${MICRO_VARIANTS.map((v) => v.id).join(', ')}`);
  const reason = microUnavailable(variant);
  if (reason) throw new Error(`${id} cannot run: ${reason}`);
  const runner = variant.side === 'client' ? clientRunner(variant) : serverRunner(variant);
  try {
    await timeCalls(runner, iterations);
    await startProfiling();
    const { cpuNs } = await timeCalls(runner, iterations);
    const summary = summariseProfile(await stopProfiling(file));
    return { variant: id, label: variant.label, iterations, nsPerCall: cpuNs / iterations, summary };
  } finally {
    runner.close();
  }
}
