/**
 * The hedging benchmark: `npx tsx bench/hedging/main.ts [--seconds 20] [--rate 200]`.
 *
 * Two back replicas (each call takes `--service-ms`, default 50, ±20 %), each in its own process, behind round robin; this process is the client and
 * sends an open-loop load (calls at a fixed rate, whether or not earlier ones answered). Variants
 * side by side, one after the other on the same replicas:
 * - our stack without hedging (retries on, the method idempotent);
 * - our stack with `hedging: {}` (the default: one hedge after the p95 of recent latency, ≥ 5 ms);
 * - grpc-js's own hedging from the service config (gRFC A6 `hedgingPolicy`), its fixed delay set to
 *   the slowest normal call (1.2 × the service time), what a user who measured would pick.
 * Scenarios:
 * - stragglers: replica 0 serves 4 % of its calls (2 % of all calls) 10× slower, and stops for
 *   300 ms (a garbage-collection-like pause) in the middle of the run;
 * - outage: after a normal warm-up both replicas accept calls and never answer (every call runs
 *   into its 200 ms deadline, the worst case for hedging): attempts per call.
 * Prints the tables (the plot of the stragglers scenario comes from the system benchmark).
 */
import * as grpc from '@grpc/grpc-js';
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { clientInterceptors } from '../../src';
import { machineBlock } from '../lib/machine';
import { quantileOfSorted } from '../lib/stats';
import type { ReplicaBehaviour, ReplicaCounts } from './replica';

const METHOD = '/bench.v1.Hedge/Get';
const SERVICE = 'bench.v1.Hedge';
/** Service time of a call (ms), ±20 %; long enough that the event-loop lag of a loaded machine does not drown it. */
let serviceMs = 50;

interface Variant {
  readonly id: string;
  readonly label: string;
  readonly options: () => grpc.ClientOptions;
}

const idempotent = { methods: { [METHOD]: { idempotent: true } } };
const roundRobin = { loadBalancingConfig: [{ round_robin: {} }] };

const VARIANTS: readonly Variant[] = [
  {
    id: 'none',
    label: 'ours, no hedging',
    options: () => ({ interceptors: clientInterceptors({ retry: idempotent }), 'grpc.service_config': JSON.stringify(roundRobin) }),
  },
  {
    id: 'ours-hedging',
    label: 'ours + hedging (p95, ≥ 5 ms)',
    options: () => ({ interceptors: clientInterceptors({ retry: idempotent, hedging: {} }), 'grpc.service_config': JSON.stringify(roundRobin) }),
  },
  {
    id: 'grpc-js-hedging',
    label: 'grpc-js service-config hedging (fixed delay: the slowest normal call)',
    options: () => ({
      'grpc.service_config': JSON.stringify({
        ...roundRobin,
        methodConfig: [
          { name: [{ service: SERVICE }], hedgingPolicy: { maxAttempts: 2, hedgingDelay: `${(serviceMs * 1.2) / 1000}s`, nonFatalStatusCodes: ['UNAVAILABLE'] } },
        ],
        retryThrottling: { maxTokens: 10, tokenRatio: 0.1 },
      }),
    }),
  },
];

interface Replica {
  readonly child: ChildProcess;
  readonly port: number;
  ask<T>(message: object, reply: string): Promise<T>;
}

function startReplica(): Promise<Replica> {
  const child = fork(path.join(__dirname, 'replica.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(message: object, reply: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type: string } & Record<string, unknown>) => {
        if (m.type !== reply) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
      child.send(message);
    });
  return new Promise((resolve) => {
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port, ask }));
  });
}

const normal = (seed: number): ReplicaBehaviour => ({ serviceMs, stragglerShare: 0, factor: 1, blackHole: false, seed });

interface Phase {
  readonly seconds: number;
  readonly rate: number;
  readonly deadlineMs: number;
}

interface PhaseResult {
  readonly calls: number;
  readonly ok: number;
  /** Latencies of successful calls (ms), sorted. */
  readonly latencies: Float64Array;
  readonly codes: Record<string, number>;
}

/** Sends `rate` calls a second for `seconds`, open loop, and waits for every one to end. */
async function run(client: grpc.Client, phase: Phase): Promise<PhaseResult> {
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  const request = Buffer.alloc(64);
  const total = Math.round(phase.seconds * phase.rate);
  const start = performance.now();
  let sent = 0;
  const send = () =>
    new Promise<void>((resolve) => {
      const began = performance.now();
      client.makeUnaryRequest(METHOD, (b: Buffer) => b, (b: Buffer) => b, request, { deadline: Date.now() + phase.deadlineMs }, (err) => {
        const name = err ? grpc.status[err.code] : 'OK';
        codes[name] = (codes[name] ?? 0) + 1;
        if (!err) latencies.push(performance.now() - began);
        resolve();
      });
    });
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * phase.rate));
      while (sent < due) {
        sent++;
        pending.push(send());
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  await Promise.all(pending);
  return { calls: total, ok: latencies.length, latencies: Float64Array.from(latencies).sort(), codes };
}

interface Row {
  readonly variant: Variant;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly attemptsPerCall: number;
  readonly cancelledAtServer: number;
  readonly ok: number;
  readonly calls: number;
  readonly loopLagP99: number;
}

async function scenario(
  name: 'stragglers' | 'outage',
  replicas: Replica[],
  seconds: number,
  rate: number,
  log: (line: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const variant of VARIANTS) {
    const target = `ipv4:${replicas.map((r) => `127.0.0.1:${r.port}`).join(',')}`;
    const client = new grpc.Client(target, grpc.credentials.createInsecure(), variant.options());
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5_000, (e) => (e ? reject(e) : resolve())));
    // Warm-up: connections to both replicas, and latencies for the adaptive delay.
    await Promise.all(replicas.map((r, i) => r.ask({ type: 'configure', behaviour: normal(i + 1) }, 'configured')));
    await run(client, { seconds: 3, rate, deadlineMs: 2_000 });
    const behaviours: ReplicaBehaviour[] =
      name === 'stragglers'
        ? [{ ...normal(11), stragglerShare: 0.04, factor: 10, stallAtMs: (seconds * 1000) / 2, stallMs: 300 }, normal(12)]
        : [{ ...normal(21), blackHole: true }, { ...normal(22), blackHole: true }];
    await Promise.all(replicas.map((r, i) => r.ask({ type: 'configure', behaviour: behaviours[i] }, 'configured')));
    await Promise.all(replicas.map((r) => r.ask({ type: 'go' }, 'going')));
    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    const result = await run(client, { seconds, rate, deadlineMs: name === 'stragglers' ? 2_000 : 200 });
    lag.disable();
    await new Promise((r) => setTimeout(r, 300)); // cancellations reach the servers
    const counts = await Promise.all(replicas.map((r) => r.ask<{ counts: ReplicaCounts }>({ type: 'counts' }, 'counts')));
    client.close();
    const received = counts.reduce((s, c) => s + c.counts.received, 0);
    const row: Row = {
      variant,
      p50: quantileOfSorted(result.latencies, 0.5),
      p99: quantileOfSorted(result.latencies, 0.99),
      p999: quantileOfSorted(result.latencies, 0.999),
      attemptsPerCall: received / result.calls,
      cancelledAtServer: counts.reduce((s, c) => s + c.counts.cancelled, 0),
      ok: result.ok,
      calls: result.calls,
      loopLagP99: lag.percentile(99) / 1e6,
    };
    log(`${name} ${variant.id}: ${JSON.stringify({ ...row, variant: undefined, codes: result.codes })}`);
    rows.push(row);
  }
  return rows;
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');

function table(rows: Row[], baseline: Row): string {
  const lines = [
    '| variant | calls OK | p50 ms | p99 ms | p99.9 ms | p99 vs none | p99.9 vs none | attempts per call | cancelled at the servers | client loop lag p99 ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const change = (v: number, b: number) => `${v <= b ? '−' : '+'}${Math.abs((1 - v / b) * 100).toFixed(0)} %`;
  for (const r of rows) {
    lines.push(
      `| ${r.variant.label} | ${r.ok} / ${r.calls} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.p999)} | ${r === baseline ? '' : change(r.p99, baseline.p99)} | ${r === baseline ? '' : change(r.p999, baseline.p999)} | ${r.attemptsPerCall.toFixed(3)} | ${r.cancelledAtServer} | ${ms(r.loopLagP99)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const seconds = arg('seconds', 20);
  const rate = arg('rate', 200);
  serviceMs = arg('service-ms', 50);
  const started = new Date();
  const log = (line: string) => console.log(`[hedging] ${line}`);
  const replicas = [await startReplica(), await startReplica()];
  try {
    const stragglers = await scenario('stragglers', replicas, seconds, rate, log);
    const outage = await scenario('outage', replicas, Math.max(5, seconds / 2), rate, log);
    console.log(`\n### Machine\n\n${machineBlock(`npx tsx bench/hedging/main.ts --seconds ${seconds} --rate ${rate} --service-ms ${serviceMs}`, false, started)}\n`);
    console.log(`### Stragglers (${seconds} s at ${rate} calls/s)\n\n${table(stragglers, stragglers[0])}\n`);
    console.log(`### Outage (black hole, 200 ms deadline)\n\n${table(outage, outage[0])}\n`);
  } finally {
    for (const r of replicas) r.child.send({ type: 'exit' });
  }
}

void main();
