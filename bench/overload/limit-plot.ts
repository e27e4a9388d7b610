/**
 * The picture of the adaptive limit in docs/overload.md, from a real run: a server process with
 * `serverInterceptors({ overload: {} })` in front of a backend of 4 workers (20 ms a call), and
 * this process as the load: 2 callers (light), then 32 (8× what the workers serve), then 2 again.
 * Callers keep one call outstanding each and wait as told when refused. Every window's limit and
 * calls in flight (from the server's `overload-limit` events) go into an SVG.
 *
 *   npx tsx bench/overload/limit-plot.ts [--out docs/overload-limit.svg]
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { serverInterceptors, wrapService } from '../../src';
import { WorkPool } from '../system/work-pool';
import { echoClient, startEchoServer, unary, type EchoClient } from '../../test/helpers';

const WORKERS = 4;
const SERVICE_MS = 20;
const PHASES = [
  { callers: 2, ms: 4000, label: '2 callers' },
  { callers: 32, ms: 8000, label: '32 callers (8× capacity)' },
  { callers: 2, ms: 4000, label: '2 callers' },
];

interface Sample {
  readonly t: number;
  readonly limit: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  readonly latencyMs: number;
}

async function serve(): Promise<void> {
  const pool = new WorkPool(WORKERS);
  const work = () => pool.run(SERVICE_MS, () => false);
  const server = await startEchoServer(wrapService({ unary: async () => (await work(), {}) }), {
    interceptors: serverInterceptors({
      overload: {},
      onEvent: (e) => {
        if (e.type !== 'overload-limit') return;
        // Epoch ms: the parent puts it on its own time axis.
        const s: Sample = { t: Date.now(), limit: e.limit, inFlight: e.inFlight, maxInFlight: e.maxInFlight, latencyMs: e.latencyMs };
        process.send?.({ sample: s });
      },
    }),
  });
  process.send?.({ port: server.port });
  process.on('message', () => void server.close().then(() => process.exit(0)));
}

async function drive(client: EchoClient, callers: number, ms: number, counts: { ok: number; refused: number }): Promise<void> {
  const end = Date.now() + ms;
  const loop = async () => {
    while (Date.now() < end) {
      const { status } = await unary(client, {});
      if (status.code === grpc.status.OK) counts.ok++;
      else if (status.code === grpc.status.RESOURCE_EXHAUSTED) {
        counts.refused++;
        await new Promise((r) => setTimeout(r, Number(status.metadata.get('grpc-retry-pushback-ms')[0] ?? 100)));
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
}

function svg(samples: readonly Sample[], bounds: readonly { start: number; end: number; label: string }[]): string {
  const W = 720;
  const H = 300;
  const left = 48;
  const right = 12;
  const top = 28;
  const bottom = 40;
  const tMax = bounds.at(-1)!.end;
  const yMax = Math.max(40, ...samples.map((s) => Math.max(s.limit, s.maxInFlight))) * 1.1;
  const x = (t: number) => left + (t / tMax) * (W - left - right);
  const y = (v: number) => top + (1 - v / yMax) * (H - top - bottom);
  const path = (pick: (s: Sample) => number) =>
    samples.map((s, i) => `${i ? 'L' : 'M'}${x(s.t).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  bounds.forEach((b, i) => {
    if (i % 2 === 1)
      parts.push(`<rect x="${x(b.start)}" y="${top}" width="${x(b.end) - x(b.start)}" height="${H - top - bottom}" fill="#f3f0e8"/>`);
    parts.push(`<text x="${(x(b.start) + x(b.end)) / 2}" y="${top - 8}" text-anchor="middle" fill="#555">${b.label}</text>`);
  });
  for (let v = 0; v <= yMax; v += yMax > 100 ? 50 : 10) {
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v}</text>`);
  }
  for (let t = 0; t <= tMax; t += 2000)
    parts.push(`<text x="${x(t)}" y="${H - bottom + 16}" text-anchor="middle" fill="#555">${t / 1000} s</text>`);
  parts.push(`<line x1="${x(0)}" x2="${W - right}" y1="${y(WORKERS * 2)}" y2="${y(WORKERS * 2)}" stroke="#999" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${W - right - 4}" y="${y(WORKERS * 2) - 4}" text-anchor="end" fill="#777">tolerance 2 × 4 workers</text>`);
  parts.push(`<path d="${path((s) => s.maxInFlight)}" fill="none" stroke="#d08c2f" stroke-width="1.5"/>`);
  parts.push(`<path d="${path((s) => s.limit)}" fill="none" stroke="#2f6fb0" stroke-width="2"/>`);
  parts.push(`<text x="${left + 8}" y="${H - 8}" fill="#2f6fb0">— concurrency limit</text>`);
  parts.push(`<text x="${left + 150}" y="${H - 8}" fill="#d08c2f">— most calls in flight per window</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : 'docs/overload-limit.svg';
  const child = fork(__filename, ['serve'], { execArgv: ['--import', 'tsx'] });
  const samples: Sample[] = [];
  const port = await new Promise<number>((resolve) =>
    child.on('message', (m: { port?: number; sample?: Sample }) => {
      if (m.port !== undefined) resolve(m.port);
      if (m.sample) samples.push(m.sample);
    }),
  );
  const client = echoClient(`127.0.0.1:${port}`);
  const bounds: { start: number; end: number; label: string }[] = [];
  const runStart = Date.now();
  const results = [];
  for (const phase of PHASES) {
    const counts = { ok: 0, refused: 0 };
    const start = Date.now() - runStart;
    await drive(client, phase.callers, phase.ms, counts);
    bounds.push({ start, end: Date.now() - runStart, label: phase.label });
    results.push({ ...phase, ...counts });
  }
  client.close();
  child.send('stop');
  await new Promise((r) => child.on('exit', r));
  const inRun = samples.filter((s) => s.t >= runStart).map((s) => ({ ...s, t: s.t - runStart }));
  writeFileSync(out, svg(inRun, bounds));
  if (process.env.PLOT_DEBUG) for (const s of inRun) console.error(Math.round(s.t), s.limit, s.maxInFlight, s.latencyMs.toFixed(0));
  console.log(JSON.stringify(results));
  console.log(`${inRun.length} windows → ${out}`);
}

if (process.argv[2] === 'serve') void serve();
else void main();
