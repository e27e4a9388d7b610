import type { BenchConfig } from '../lib/args';
import { fmt, fmtInt, mib, table } from '../lib/markdown';
import { linearRegression, max, min } from '../lib/stats';
import { OUTAGE_EVERY_MS, OUTAGE_MS, RANDOM_FAILURE_RATE } from './faults';
import type { MemorySample } from './memory';
import type { SoakResult } from './orchestrate';

/** Growth below this many bytes per million calls (after warm-up) counts as "no growth trend". */
const GROWTH_LIMIT_PER_MILLION = 1024 * 1024;

export interface Trend {
  readonly samples: number;
  readonly heapPerMillion: number;
  readonly heapPerMinute: number;
  readonly r2: number;
  readonly rssPerMillion: number;
  readonly heapMin: number;
  readonly heapMax: number;
  readonly rssMax: number;
  readonly verdict: 'no growth trend' | 'growth' | 'inconclusive';
}

/** A real leak is a steady ramp: a large slope with a good fit. A large slope on a poor fit is noise. */
const MIN_R2_FOR_GROWTH = 0.5;

/** Least-squares slope of post-warm-up samples (the first quarter of the run is warm-up). */
export function trend(samples: readonly MemorySample[]): Trend {
  const last = samples[samples.length - 1];
  const after = samples.filter((s) => s.calls >= (last?.calls ?? 0) / 4);
  const calls = after.map((s) => s.calls);
  const heap = after.map((s) => s.heapUsed);
  const byCalls = linearRegression(calls, heap);
  const byTime = linearRegression(after.map((s) => s.tMs), heap);
  const rss = linearRegression(calls, after.map((s) => s.rss));
  const heapPerMillion = byCalls.slope * 1e6;
  return {
    samples: after.length,
    heapPerMillion,
    heapPerMinute: byTime.slope * 60_000,
    r2: byCalls.r2,
    rssPerMillion: rss.slope * 1e6,
    heapMin: min(heap),
    heapMax: max(heap),
    rssMax: max(after.map((s) => s.rss)),
    verdict: !(heapPerMillion >= GROWTH_LIMIT_PER_MILLION) ? 'no growth trend' : byCalls.r2 >= MIN_R2_FOR_GROWTH ? 'growth' : 'inconclusive',
  };
}

function trendRow(name: string, t: Trend): string[] {
  return [
    name,
    String(t.samples),
    `${mib(t.heapMin)}–${mib(t.heapMax)}`,
    fmt(t.heapPerMillion / 1024, 1),
    fmt(t.heapPerMinute / 1024, 1),
    fmt(t.r2, 2),
    fmt(t.rssPerMillion / 1024, 0),
    mib(t.rssMax),
    t.verdict === 'growth' ? '**growth**' : t.verdict,
  ];
}

/** Every k-th sample, so the series fits in a short table. */
function thin(samples: readonly MemorySample[], rows: number): MemorySample[] {
  const step = Math.max(1, Math.ceil(samples.length / rows));
  return samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
}

export function soakMarkdown(result: SoakResult, config: BenchConfig, machine: string): string {
  const c = result.client;
  const s = result.server;
  const reached = c.calls - Object.values(c.localByKind).reduce((a, b) => a + b, 0);
  const clientTrend = trend(c.samples);
  const serverTrend = trend(s.samples);
  const parts = [
    '## Soak: the full stacks under failures, retries and breaker activity',
    '',
    machine,
    `- ${fmtInt(c.calls)} calls at concurrency ${config.soakConcurrency} in ${fmt(c.elapsedMs / 1000, 1)} s ` +
      `(${fmtInt((c.calls * 1000) / c.elapsedMs)} calls/s); methods echo 70 %, lookup 20 %, flaky 10 %; 5 s deadline per call`,
    `- faults: ${RANDOM_FAILURE_RATE * 100} % of attempts fail with UNAVAILABLE; \`flaky\` is down for ${OUTAGE_MS} ms of every ${OUTAGE_EVERY_MS} ms`,
    `- memory sampled every ${result.sampleEveryMs} ms after a full GC ` +
      `(${c.gcExposed ? '--expose-gc' : '**gc not exposed: samples include garbage**'}); ` +
      'trend = least-squares slope over the last three quarters of the run',
    '',
    '### Activity',
    '',
    `- client: ${fmtInt(c.ok)} OK; failed: ${Object.entries(c.failedByCode).map(([k, v]) => `${k} ${fmtInt(v)}`).join(', ') || 'none'}`,
    `- failed locally by our stack (never sent): ${
      Object.entries(c.localByKind)
        .map(([k, v]) => `${k} ${fmtInt(v)}`)
        .join(', ') || 'none'
    }`,
    `- server: ${fmtInt(s.counts.attempts)} attempts received, ${fmtInt(s.counts.injected)} failed by injection; ` +
      `attempts beyond one per sent call (retries): ${fmtInt(s.counts.attempts - reached)}`,
    `- output lines written (logs): client ${fmtInt(result.outputLines.client)}, server ${fmtInt(result.outputLines.server)}`,
    '',
    '### Memory trend after warm-up',
    '',
    table(
      ['process', 'samples', 'heap MiB (min–max)', 'heap KiB / 1M calls', 'heap KiB / min', 'r²', 'RSS KiB / 1M calls', 'peak RSS MiB', 'verdict'],
      [trendRow('client', clientTrend), trendRow('server', serverTrend)],
    ),
    '',
    `Verdict rule: a heap slope below ${GROWTH_LIMIT_PER_MILLION / 1024} KiB per million calls (about 1 byte per call) ` +
      'is "no growth trend"; ' +
      `a larger slope is "growth" when the fit is a steady ramp (r² ≥ ${MIN_R2_FOR_GROWTH}), else "inconclusive" (noise; run longer).`,
    '',
    '### Client samples (thinned)',
    '',
    table(
      ['t s', 'calls', 'heap MiB', 'RSS MiB'],
      thin(c.samples, 12).map((x) => [fmt(x.tMs / 1000, 1), fmtInt(x.calls), mib(x.heapUsed), mib(x.rss)]),
    ),
    '',
    '### Breaker memory per key',
    '',
  ];
  const b = result.breakerKeys;
  if (b.skipped || !b.steps) {
    parts.push(`Skipped: ${b.skipped ?? 'no result'}.`, '');
  } else {
    parts.push(
      `Calls through \`${b.exportName}\` alone over the fake channel, each to a method never called before; ` +
        'heap after full GCs, relative to a warmed-up baseline. ' +
        '"bytes per key" divides by the breakers the registry holds (by the keys called when it does not say).',
      '',
      table(
        ['setup', 'distinct keys called', 'breakers kept', 'heap Δ MiB', 'bytes per key', 'RSS Δ MiB', 'timers Δ'],
        b.steps.map((x) => [
          x.setup,
          fmtInt(x.keys),
          x.kept === undefined ? '–' : fmtInt(x.kept),
          mib(x.heapDelta),
          x.setup.includes('dispose') ? '–' : fmtInt(x.heapDelta / Math.max(1, x.kept ?? x.keys)),
          mib(x.rssDelta),
          String(x.timersDelta),
        ]),
      ),
      '',
      ...(b.notes ?? []).map((n) => `- ${n}`),
      '',
    );
  }
  return parts.join('\n');
}

export function soakSummary(result: SoakResult): string {
  const c = trend(result.client.samples);
  const s = trend(result.server.samples);
  const lines = [
    `  calls ${fmtInt(result.client.calls)} ok ${fmtInt(result.client.ok)} local ${JSON.stringify(result.client.localByKind)} ` +
      `server attempts ${fmtInt(result.server.counts.attempts)}`,
    `  client heap ${fmt(c.heapPerMillion / 1024, 1)} KiB/1M calls (r² ${fmt(c.r2, 2)}): ${c.verdict}`,
    `  server heap ${fmt(s.heapPerMillion / 1024, 1)} KiB/1M calls (r² ${fmt(s.r2, 2)}): ${s.verdict}`,
  ];
  const b = result.breakerKeys;
  if (b.steps) {
    for (const x of b.steps) {
      lines.push(`  breakers (${x.setup}) ${x.keys} keys, kept ${x.kept ?? '?'}: heap +${mib(x.heapDelta)} MiB, timers +${x.timersDelta}`);
    }
  }
  else lines.push(`  breaker keys skipped: ${b.skipped}`);
  return lines.join('\n');
}
