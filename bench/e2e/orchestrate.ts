import type { BenchConfig } from '../lib/args';
import { spawnChild, type Child } from '../lib/children';
import type { LoadResult } from '../lib/driver';
import { selectVariants, unavailableReason, type Variant } from './variants';

export const CLIENT_CPU = 0;
export const SERVER_CPU = 1;

/** One measured cell: a variant at one concurrency in one round. */
export interface Cell {
  readonly variant: string;
  readonly concurrency: number;
  readonly round: number;
  readonly client: LoadResult;
  readonly server: { cpuUs: number; served: number; peakRss: number };
}

export interface E2eRun {
  readonly variants: readonly Variant[];
  readonly skipped: readonly { variant: Variant; reason: string }[];
  readonly cells: readonly Cell[];
  readonly maxRss: Readonly<Record<string, { client: number; server: number }>>;
}

interface Pair {
  readonly variant: Variant;
  readonly client: Child;
  readonly server: Child;
}

/** Every variant gets its own client and server process, so RSS and JIT state are its own. */
export async function startPair(variant: Variant, config: BenchConfig): Promise<Pair> {
  const flavour = variant.otel ? ['otel'] : [];
  const server = spawnChild(`${variant.id} server`, 'bench/e2e/child.ts', ['server', ...flavour], {
    cpu: config.pin ? SERVER_CPU : undefined,
  });
  const client = spawnChild(`${variant.id} client`, 'bench/e2e/child.ts', ['client', ...flavour], {
    cpu: config.pin ? CLIENT_CPU : undefined,
  });
  try {
    const { port, otelPatched: serverPatched } = await server.request<{ port: number; otelPatched: boolean }>('init', {
      spec: variant.server,
    });
    const { otelPatched } = await client.request<{ otelPatched: boolean }>('init', { spec: variant.client, target: `127.0.0.1:${port}` });
    if (otelPatched !== Boolean(variant.otel) || serverPatched !== Boolean(variant.otel)) {
      const state = (patched: boolean) => (patched ? 'active' : 'inactive');
      throw new Error(`OpenTelemetry instrumentation is ${state(otelPatched)} in the client and ${state(serverPatched)} in the server`);
    }
  } catch (e) {
    await Promise.all([client.close(), server.close()]);
    throw e;
  }
  return { variant, client, server };
}

async function measureCell(pair: Pair, concurrency: number, round: number, config: BenchConfig): Promise<Cell> {
  await pair.client.request<LoadResult>('run', { concurrency, durationMs: config.cellWarmupMs, record: false });
  await pair.server.request('mark');
  const client = await pair.client.request<LoadResult>('run', { concurrency, durationMs: config.cellMs, record: true });
  const server = await pair.server.request<Cell['server']>('read');
  return { variant: pair.variant.id, concurrency, round, client, server };
}

/** Rotates the order each round so no variant always runs first or right after another. */
function rotated<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Starts a pair for each variant, a few at a time (node start-up on 2 cores); failures are skipped. */
async function startPairs(variants: readonly Variant[], config: BenchConfig, skipped: { variant: Variant; reason: string }[]): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < variants.length; i += 4) {
    const batch = variants.slice(i, i + 4);
    const started = await Promise.allSettled(batch.map((v) => startPair(v, config)));
    started.forEach((r, j) => {
      if (r.status === 'fulfilled') pairs.push(r.value);
      else skipped.push({ variant: batch[j], reason: `failed to start: ${(r.reason as Error).message.split('\n')[0]}` });
    });
  }
  return pairs;
}

async function warmUp(pairs: readonly Pair[], config: BenchConfig): Promise<void> {
  for (const c of config.concurrency) {
    for (const pair of pairs) {
      await pair.client.request('run', { concurrency: c, durationMs: config.warmupMs, record: false });
    }
  }
}

/** Records each pair's whole-process peak RSS (the highest over its processes), then closes them. */
async function closePairs(pairs: readonly Pair[], maxRss: Record<string, { client: number; server: number }>): Promise<void> {
  try {
    for (const pair of pairs) {
      const [client, server] = await Promise.all([
        pair.client.request<{ maxRssBytes: number }>('stats'),
        pair.server.request<{ maxRssBytes: number }>('stats'),
      ]);
      const seen = maxRss[pair.variant.id];
      maxRss[pair.variant.id] = {
        client: Math.max(seen?.client ?? 0, client.maxRssBytes),
        server: Math.max(seen?.server ?? 0, server.maxRssBytes),
      };
    }
  } finally {
    await Promise.all(pairs.flatMap((p) => [p.client.close(), p.server.close()]));
  }
}

/**
 * Runs every round's cells. With `restartEvery` = n, every n rounds get new processes (started,
 * warmed up, measured, closed): a process's JIT and heap layout can make it a few per cent faster
 * or slower for its whole life, and only new processes average that out.
 */
export async function runE2e(config: BenchConfig, log: (line: string) => void): Promise<E2eRun> {
  const skipped: { variant: Variant; reason: string }[] = [];
  const runnable: Variant[] = [];
  for (const v of selectVariants(config.variants)) {
    const reason = unavailableReason(v);
    if (reason) skipped.push({ variant: v, reason });
    else runnable.push(v);
  }
  for (const s of skipped) log(`skip ${s.variant.id}: ${s.reason}`);

  const cells: Cell[] = [];
  const maxRss: Record<string, { client: number; server: number }> = {};
  const total = config.rounds * config.concurrency.length * runnable.length;
  let pairs: Pair[] = [];
  const start = async () => {
    log(`starting ${runnable.length * 2} processes…`);
    pairs = await startPairs(runnable, config, skipped);
    await warmUp(pairs, config);
  };
  try {
    const restarting = config.restartEvery > 0;
    if (!restarting) await start();
    for (let round = 0; round < config.rounds; round++) {
      if (restarting && round % config.restartEvery === 0) await start();
      for (const c of config.concurrency) {
        for (const pair of rotated(pairs, round)) {
          const cell = await measureCell(pair, c, round, config);
          cells.push(cell);
          log(
            `[${cells.length}/${total}] round ${round + 1} c=${c} ${pair.variant.id}: ${Math.round(cell.client.callsPerSecond)} calls/s` +
              (cell.client.errors ? ` (${cell.client.errors} errors: ${cell.client.firstError})` : ''),
          );
        }
      }
      if (restarting && ((round + 1) % config.restartEvery === 0 || round + 1 === config.rounds)) {
        const done = pairs;
        pairs = [];
        await closePairs(done, maxRss);
      }
    }
  } finally {
    await closePairs(pairs, maxRss);
  }
  const measured = new Set(cells.map((c) => c.variant));
  return { variants: runnable.filter((v) => measured.has(v.id)), skipped: dedupeSkipped(skipped), cells, maxRss };
}

/** A variant that failed to start in several rounds is listed once. */
function dedupeSkipped(skipped: readonly { variant: Variant; reason: string }[]): { variant: Variant; reason: string }[] {
  const seen = new Set<string>();
  return skipped.filter((s) => (seen.has(s.variant.id) ? false : (seen.add(s.variant.id), true)));
}
