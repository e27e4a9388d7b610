import { fmt, fmtInt, mib, spread, table } from '../lib/markdown';
import { max, median, min, ratioInterval, type RatioInterval } from '../lib/stats';
import type { BenchConfig } from '../lib/args';
import type { Cell, E2eRun } from './orchestrate';
import { BASELINE_ID, HEADER_BASELINE_ID } from './variants';

export interface VariantSummary {
  readonly id: string;
  readonly label: string;
  readonly concurrency: number;
  readonly rounds: number;
  readonly tput: { med: number; min: number; max: number };
  /** Per-round paired ratio of throughput to the baseline (same round, same concurrency). */
  readonly vsBare: { med: number; min: number; max: number };
  readonly vsHeader: { med: number; min: number; max: number };
  /** Geometric means of the same paired ratios with 95 % confidence intervals. */
  readonly vsBareCi: RatioInterval;
  readonly vsHeaderCi: RatioInterval;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly clientCpuUs: number;
  readonly serverCpuUs: number;
  readonly clientPeakRss: number;
  readonly serverPeakRss: number;
  readonly errors: number;
}

const triple = (xs: number[]) => ({ med: median(xs), min: min(xs), max: max(xs) });

function pairedRatios(cells: readonly Cell[], of: string, to: string, concurrency: number): number[] {
  const ratios: number[] = [];
  for (const cell of cells) {
    if (cell.variant !== of || cell.concurrency !== concurrency) continue;
    const ref = cells.find((c) => c.variant === to && c.concurrency === concurrency && c.round === cell.round);
    if (ref) ratios.push(cell.client.callsPerSecond / ref.client.callsPerSecond);
  }
  return ratios;
}

export function summarise(run: E2eRun, concurrency: number): VariantSummary[] {
  return run.variants.map((v) => {
    const cells = run.cells.filter((c) => c.variant === v.id && c.concurrency === concurrency);
    const perCall = (f: (c: Cell) => number) => median(cells.map((c) => f(c) / Math.max(1, c.client.calls)));
    return {
      id: v.id,
      label: v.label,
      concurrency,
      rounds: cells.length,
      tput: triple(cells.map((c) => c.client.callsPerSecond)),
      vsBare: triple(pairedRatios(run.cells, v.id, BASELINE_ID, concurrency)),
      vsHeader: triple(pairedRatios(run.cells, v.id, HEADER_BASELINE_ID, concurrency)),
      vsBareCi: ratioInterval(pairedRatios(run.cells, v.id, BASELINE_ID, concurrency)),
      vsHeaderCi: ratioInterval(pairedRatios(run.cells, v.id, HEADER_BASELINE_ID, concurrency)),
      p50Us: median(cells.map((c) => c.client.p50Us ?? NaN)),
      p99Us: median(cells.map((c) => c.client.p99Us ?? NaN)),
      clientCpuUs: perCall((c) => c.client.cpuUs),
      serverCpuUs: perCall((c) => c.server.cpuUs),
      clientPeakRss: max(cells.map((c) => c.client.peakRss)),
      serverPeakRss: max(cells.map((c) => c.server.peakRss)),
      errors: cells.reduce((n, c) => n + c.client.errors, 0),
    };
  });
}

function concurrencyTable(rows: readonly VariantSummary[]): string {
  const base = rows.find((r) => r.id === BASELINE_ID);
  return table(
    [
      'variant',
      'calls/s median (min–max)',
      '× bare, paired (min–max)',
      '× bare+traceparent',
      'p50 µs',
      'p99 µs',
      'client CPU µs/call',
      'server CPU µs/call',
      'CPU Δ vs bare µs/call',
      'client peak RSS MiB',
      'server peak RSS MiB',
      'errors',
    ],
    rows.map((r) => [
      `${r.label} (\`${r.id}\`)`,
      `${fmtInt(r.tput.med)} (${fmtInt(r.tput.min)}–${fmtInt(r.tput.max)})`,
      spread(r.vsBare.med, r.vsBare.min, r.vsBare.max, 3),
      fmt(r.vsHeader.med, 3),
      fmt(r.p50Us, 0),
      fmt(r.p99Us, 0),
      fmt(r.clientCpuUs, 1),
      fmt(r.serverCpuUs, 1),
      base ? fmt(r.clientCpuUs + r.serverCpuUs - base.clientCpuUs - base.serverCpuUs, 1) : '–',
      mib(r.clientPeakRss),
      mib(r.serverPeakRss),
      String(r.errors),
    ]),
  );
}

/** Target checks from the benchmark issue, stated with the numbers of this run. */
function targets(byConcurrency: Map<number, VariantSummary[]>, cells: readonly Cell[]): string[] {
  const lines: string[] = [];
  const c64 = byConcurrency.get(64) ?? byConcurrency.get(Math.max(...byConcurrency.keys()));
  if (!c64) return lines;
  const c = c64[0]?.concurrency;
  const both = c64.find((r) => r.id === 'both-stacks');
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const ci = (i: RatioInterval) => `geometric mean ${fmt(i.mean, 3)}, 95 % CI ${fmt(i.low, 3)}–${fmt(i.high, 3)}`;
  if (both) {
    lines.push(
      `- full client + server stack at c=${c}: ${fmt(both.vsHeader.med, 3)}× bare+traceparent ` +
        `(target ≥ 0.95: ${verdict(both.vsHeader.med >= 0.95)}; ${ci(both.vsHeaderCi)}), ` +
        `${fmt(both.vsBare.med, 3)}× bare (target ≥ 0.90: ${verdict(both.vsBare.med >= 0.9)}; ${ci(both.vsBareCi)})`,
    );
    const header = c64.find((r) => r.id === HEADER_BASELINE_ID);
    if (header) lines.push(`- the traceparent header alone (bare grpc-js sending it): ${fmt(header.vsBare.med, 3)}× bare (${ci(header.vsBareCi)})`);
    for (const peer of c64.filter((r) => ['nice-grpc', 'opossum', 'cockatiel', 'otel'].includes(r.id))) {
      // Ours over the peer, paired per round: above 1 means ahead.
      const head = pairedRatios(cells, both.id, peer.id, c);
      const med = median(head);
      lines.push(
        `- vs ${peer.label} at c=${c}: ours ${fmt(both.vsBare.med, 3)}× bare, peer ${fmt(peer.vsBare.med, 3)}× bare; ` +
          `ours ÷ peer per round ${fmt(med, 3)} (${ci(ratioInterval(head))}) (${verdict(med > 1)})`,
      );
    }
  }
  return lines;
}

export function e2eMarkdown(run: E2eRun, config: BenchConfig, machine: string, piecesLines: readonly string[]): string {
  const byConcurrency = new Map(config.concurrency.map((c) => [c, summarise(run, c)]));
  const parts = [
    config.section === 'e2e'
      ? '## End-to-end: client and server in separate processes'
      : `## End-to-end (\`${config.section}\`): client and server in separate processes`,
    '',
    machine,
    `- cells: ${config.rounds} rounds × ${config.concurrency.length} concurrencies × ${run.variants.length} variants, ` +
      `${config.cellMs} ms measured per cell after ${config.cellWarmupMs} ms of unmeasured load; ` +
        `${config.warmupMs} ms warm-up per variant first; order rotated each round` +
      (config.restartEvery > 0
        ? `; new client and server processes every ${config.restartEvery} round(s) (\`--restart ${config.restartEvery}\`)`
        : '; the same processes for every round'),
    '- payload: 32-byte unary Echo, identity serialisation, 127.0.0.1, insecure',
    '',
    'Package pieces found in src/index.ts:',
    '',
    ...piecesLines.map((l) => `- ${l}`),
    '',
  ];
  const t = targets(byConcurrency, run.cells);
  if (t.length) parts.push('### Targets', '', ...t, '');
  for (const [c, rows] of byConcurrency) {
    parts.push(`### Concurrency ${c}`, '', concurrencyTable(rows), '');
  }
  parts.push(
    config.restartEvery > 0 ? '### Whole-process peak RSS (MiB, highest over the rounds\' processes, incl. warm-up)' : '### Whole-process peak RSS (MiB, process lifetime incl. warm-up)',
    '',
    table(
      ['variant', 'client', 'server'],
      run.variants.map((v) => [v.id, mib(run.maxRss[v.id]?.client ?? NaN), mib(run.maxRss[v.id]?.server ?? NaN)]),
    ),
    '',
  );
  if (run.skipped.length) {
    parts.push('### Skipped variants', '', ...run.skipped.map((s) => `- \`${s.variant.id}\` (${s.variant.label}): ${s.reason}`), '');
  }
  return parts.join('\n');
}

/** The console summary: one line per variant and concurrency. */
export function e2eSummary(run: E2eRun, config: BenchConfig): string {
  const lines: string[] = [];
  for (const c of config.concurrency) {
    lines.push(`c=${c}`);
    for (const r of summarise(run, c)) {
      lines.push(
        `  ${r.id.padEnd(18)} ${fmtInt(r.tput.med).padStart(8)} calls/s  ` +
          `×bare ${fmt(r.vsBare.med, 3)} (${fmt(r.vsBare.min, 3)}–${fmt(r.vsBare.max, 3)})` +
          `  ×hdr ${fmt(r.vsHeader.med, 3)}  cpu c/s ${fmt(r.clientCpuUs, 1)}/${fmt(r.serverCpuUs, 1)} µs  p99 ${fmt(r.p99Us, 0)} µs`,
      );
    }
  }
  const t = targets(new Map(config.concurrency.map((c) => [c, summarise(run, c)])), run.cells);
  return [...lines, ...t].join('\n');
}
