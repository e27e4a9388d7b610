import * as grpc from '@grpc/grpc-js';
import { progress, serveParent } from '../lib/child-rpc';
import { stackModule } from '../lib/pieces';
import { BenchClientConstructor, PAYLOAD, type BenchMethod } from '../lib/service';
import { random } from './faults';
import { hasGc, sampleMemory, type MemorySample } from './memory';

/** The soak's client: our full client stack, a closed loop of mixed methods, memory samples on a timer. */

export interface SoakClientResult {
  readonly calls: number;
  readonly ok: number;
  readonly failedByCode: Record<string, number>;
  /** Failures our stack produced without sending (x-resilience-local), by kind. */
  readonly localByKind: Record<string, number>;
  readonly elapsedMs: number;
  readonly samples: readonly MemorySample[];
  readonly gcExposed: boolean;
}

function pickMethod(): BenchMethod {
  const r = random();
  return r < 0.7 ? 'echo' : r < 0.9 ? 'lookup' : 'flaky';
}

function run(target: string, totalCalls: number, concurrency: number, sampleEveryMs: number): Promise<SoakClientResult> {
  const client = new BenchClientConstructor(target, grpc.credentials.createInsecure(), {
    interceptors: stackModule.clientInterceptors(),
  });
  const failedByCode: Record<string, number> = {};
  const localByKind: Record<string, number> = {};
  const samples: MemorySample[] = [];
  let started = 0;
  let ended = 0;
  let ok = 0;
  const t0 = performance.now();
  samples.push(sampleMemory(t0, 0));
  let lastProgress = t0;
  const timer = setInterval(() => {
    const sample = sampleMemory(t0, ended);
    samples.push(sample);
    if (sample.tMs + t0 - lastProgress >= 15_000) {
      lastProgress = sample.tMs + t0;
      const mb = (b: number) => (b / 2 ** 20).toFixed(1);
      const calls = `${ended.toLocaleString('en-US')} / ${totalCalls.toLocaleString('en-US')} calls`;
      progress(`${calls}; heap ${mb(sample.heapUsed)} MiB, RSS ${mb(sample.rss)} MiB`);
    }
  }, sampleEveryMs);
  return new Promise((resolve) => {
    const next = () => {
      if (started >= totalCalls) return;
      started++;
      const method = pickMethod();
      let sync = true;
      client[method](PAYLOAD, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null) => {
        ended++;
        if (!err) ok++;
        else {
          const code = grpc.status[err.code] ?? String(err.code);
          failedByCode[code] = (failedByCode[code] ?? 0) + 1;
          const kind = stackModule.localFailureKind(err.metadata);
          if (kind) localByKind[kind] = (localByKind[kind] ?? 0) + 1;
        }
        if (ended === totalCalls) {
          clearInterval(timer);
          samples.push(sampleMemory(t0, ended));
          client.close();
          resolve({ calls: ended, ok, failedByCode, localByKind, elapsedMs: performance.now() - t0, samples, gcExposed: hasGc() });
        } else if (sync) setImmediate(next);
        else next();
      });
      sync = false;
    };
    for (let i = 0; i < concurrency; i++) next();
  });
}

serveParent({
  run: (m) => run(m.target as string, m.calls as number, m.concurrency as number, m.sampleEveryMs as number),
});
