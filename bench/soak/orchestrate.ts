import type { BenchConfig } from '../lib/args';
import { spawnChild } from '../lib/children';
import type { BreakerKeysResult } from './breaker-keys';
import type { SoakClientResult } from './client-main';
import type { MemorySample } from './memory';

export interface SoakResult {
  readonly client: SoakClientResult;
  readonly server: { counts: { attempts: number; injected: number }; samples: readonly MemorySample[] };
  readonly breakerKeys: BreakerKeysResult;
  readonly sampleEveryMs: number;
  /** Lines the soak client and server wrote (e.g. a logger reporting every failure). */
  readonly outputLines: { client: number; server: number };
}

/** The soak: a pinned client and server (both with --expose-gc), then the breaker-keys measurement. */
export async function runSoak(config: BenchConfig, log: (line: string) => void): Promise<SoakResult> {
  const sampleEveryMs = config.quick ? 500 : 2000;
  const flags = { nodeFlags: ['--expose-gc'] };
  const server = spawnChild('soak server', 'bench/soak/server-main.ts', [], { ...flags, cpu: config.pin ? 1 : undefined });
  const client = spawnChild('soak client', 'bench/soak/client-main.ts', [], { ...flags, cpu: config.pin ? 0 : undefined });
  let clientResult: SoakClientResult;
  let serverResult: SoakResult['server'];
  try {
    const { port } = await server.request<{ port: number }>('init', { sampleEveryMs });
    log(`soak: ${config.soakCalls.toLocaleString('en-US')} calls at concurrency ${config.soakConcurrency}…`);
    clientResult = await client.request<SoakClientResult>('run', {
      target: `127.0.0.1:${port}`,
      calls: config.soakCalls,
      concurrency: config.soakConcurrency,
      sampleEveryMs,
    });
    serverResult = await server.request<SoakResult['server']>('finish');
  } finally {
    await Promise.all([client.close(), server.close()]);
  }
  log(`soak: ${clientResult.calls} calls in ${(clientResult.elapsedMs / 1000).toFixed(1)} s; breaker keys…`);
  const keys = spawnChild('breaker keys', 'bench/soak/breaker-keys.ts', [], { ...flags, cpu: config.pin ? 0 : undefined });
  let breakerKeys: BreakerKeysResult;
  try {
    breakerKeys = await keys.request<BreakerKeysResult>('run', { keys: config.breakerKeys });
  } finally {
    await keys.close();
  }
  return {
    client: clientResult,
    server: serverResult,
    breakerKeys,
    sampleEveryMs,
    outputLines: { client: client.outputLines(), server: server.outputLines() },
  };
}
