import { fmt, fmtInt, table } from '../lib/markdown';
import type { PhaseFigures } from './analysis';
import type { CellFigures } from './figures';
import { RECOVERY_SHARE, RECOVERY_WINDOW_MS, SETTLE_MS } from './figures';
import { REPLICAS, type SystemRun } from './orchestrate';
import type { Plot } from './plots';
import { PEER_RETRY } from './stacks';
import type { TargetRow } from './targets';
import { OPTION_SETS, type SystemVariant } from './variants';
import type { Scenario } from './scenarios';

/** The report: docs/benchmarks/system.md, written whole by every run. */

export interface ReportInput {
  readonly run: SystemRun;
  readonly machine: string;
  /** Load average when the run ended (1/5/15 min). */
  readonly loadAtEnd: string;
  readonly minutes: number;
  readonly plots: ReadonlyMap<string, readonly Plot[]>;
  /** Path of the plots folder relative to the report. */
  readonly plotsDir: string;
  readonly targets: readonly TargetRow[];
}

const ms = (x: number) => fmt(x, x < 10 ? 2 : 1);

export function recoveryText(cell: CellFigures): string {
  if (cell.recoveryMs === undefined) return '–';
  if (cell.recoveryMs === null) return 'not by the end';
  return `${(cell.recoveryMs / 1000).toFixed(2)} s`;
}

function labelOf(run: SystemRun, id: string): string {
  return run.variants.find((v) => v.id === id)?.label ?? id;
}

function cellsOf(run: SystemRun, scenario: Scenario): CellFigures[] {
  return run.variants.flatMap((v) => run.cells.filter((c) => c.scenario === scenario.id && c.variant === v.id));
}

/** The window's name in column headers. */
function windowName(scenario: Scenario): string {
  if (scenario.id.startsWith('overload')) return 'overload';
  if (scenario.id === 'stragglers') return 'stall';
  return 'fault';
}

function summaryTable(run: SystemRun): string {
  const rows: string[][] = [];
  for (const s of run.scenarios) {
    for (const c of cellsOf(run, s)) {
      rows.push([
        s.id,
        labelOf(run, c.variant),
        fmt(c.all.goodput),
        fmt(c.fault.goodput),
        ms(c.all.p99),
        fmt(c.all.bottomAttemptsPerRequest, 2),
        recoveryText(c),
      ]);
    }
  }
  return table(['scenario', 'variant', 'goodput/s (run)', 'goodput/s (window)', 'p99 ms', 'back attempts / call', 'recovery'], rows, 2);
}

function scenarioTable(run: SystemRun, scenario: Scenario): string {
  const w = windowName(scenario);
  const whole = scenario.window.fromMs === 0;
  const rows = cellsOf(run, scenario).map((c) => {
    const row = [labelOf(run, c.variant), fmt(c.all.goodput)];
    if (!whole) row.push(fmt(c.fault.goodput), pct(c.fault.successRatio));
    else row.push(pct(c.all.successRatio));
    row.push(ms(c.all.p50), ms(c.all.p99), ms(c.all.p999));
    if (!whole) row.push(ms(c.before?.p99 ?? NaN), ms(c.fault.p99));
    row.push(fmt(c.all.bottomAttemptsPerRequest, 2));
    if (!whole) row.push(fmt(c.faultSettled.bottomAttemptsPerRequest, 2));
    row.push(fmt(c.all.frontAttemptsPerRequest, 2));
    if (scenario.recovers) row.push(recoveryText(c));
    return row;
  });
  const headers = ['variant', 'goodput/s'];
  if (!whole) headers.push(`goodput/s in ${w}`, `success in ${w}`);
  else headers.push('success');
  headers.push('p50 ms', 'p99 ms', 'p99.9 ms');
  if (!whole) headers.push(`p99 ms before`, `p99 ms in ${w}`);
  headers.push('back attempts / call');
  if (!whole) headers.push(`… in ${w} after 1 s`);
  headers.push('front attempts / call');
  if (scenario.recovers) headers.push('recovery');
  return table(headers, rows);
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–');

function statusTable(run: SystemRun, scenario: Scenario): string {
  const cells = cellsOf(run, scenario);
  const order = ['OK', 'OK (late)', 'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED (early)', 'INTERNAL', 'UNKNOWN', 'RESOURCE_EXHAUSTED', 'CANCELLED'];
  const seen = new Set(cells.flatMap((c) => Object.keys(c.statusMix)));
  const columns = [...order.filter((k) => seen.has(k)), ...[...seen].filter((k) => !order.includes(k)).sort()];
  const rows = cells.map((c) => [labelOf(run, c.variant), fmtInt(c.all.requests), ...columns.map((k) => fmtInt(c.statusMix[k] ?? 0))]);
  return table(['variant', 'calls', ...columns], rows);
}

function splitTable(run: SystemRun, scenario: Scenario, key: 'byMethod' | 'byClass', name: string): string {
  const rows: string[][] = [];
  for (const c of cellsOf(run, scenario)) {
    for (const [part, f] of Object.entries(c[key] ?? {}) as [string, PhaseFigures][]) {
      rows.push([labelOf(run, c.variant), part, fmtInt(f.requests), pct(f.successRatio), ms(f.p99), fmt(f.bottomAttemptsPerRequest, 2), fmt(f.frontAttemptsPerRequest, 2)]);
    }
  }
  return table(['variant', name, 'calls', 'success', 'p99 ms', 'back attempts / call', 'front attempts / call'], rows, 2);
}

function eventsTable(run: SystemRun, scenario: Scenario): string | undefined {
  const cells = cellsOf(run, scenario).filter((c) => run.variants.find((v) => v.id === c.variant)?.stack === 'ours');
  const rows: string[][] = [];
  for (const c of cells) {
    for (const [tier, counts] of Object.entries(c.events)) {
      const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
      if (entries.length > 0) rows.push([labelOf(run, c.variant), tier, entries.map(([k, n]) => `${k} ${n}`).join(', ')]);
    }
  }
  return rows.length > 0 ? table(['variant', 'tier', 'events'], rows, 3) : undefined;
}

/** How late the generator started calls, and what the back replicas did with their work. */
function processTable(run: SystemRun, scenario: Scenario): string {
  const rows = cellsOf(run, scenario).map((c) => [
    labelOf(run, c.variant),
    `${fmt(c.generatorLag.p99Ms)} / ${fmt(c.generatorLag.maxMs)}`,
    fmtInt(c.backWork.done),
    fmtInt(c.backWork.wasted),
    fmtInt(c.backWork.skipped),
  ]);
  return table(['variant', 'generator lag p99 / max ms', 'back work done', '… of it for a caller already gone', 'queued calls skipped (caller gone)'], rows);
}

function targetsTable(targets: readonly TargetRow[]): string {
  const mark = (met: boolean | undefined) => (met === undefined ? 'reported' : met ? 'met' : '**missed**');
  return table(
    ['issue', 'target', 'variant', 'measured', 'verdict'],
    targets.map((t) => [`#${t.issue}`, t.target, t.variant, t.figure, mark(t.met)]),
    5,
  );
}

function variantList(variants: readonly SystemVariant[]): string {
  const describe = (v: SystemVariant) => {
    switch (v.stack) {
      case 'bare':
        return 'no interceptors; the front passes the incoming call as `parent`, so grpc-js hands on its deadline and cancellation; no retries.';
      case 'grpc-js-retry':
        return `A6 \`retryPolicy\` in the service config of every channel (${PEER_RETRY.maxAttempts} attempts, backoff ${PEER_RETRY.initialBackoffMs} ms × ${PEER_RETRY.multiplier} up to ${PEER_RETRY.maxBackoffMs} ms, UNAVAILABLE only) with \`retryThrottling\` (10 tokens, ratio 0.1); \`parent\` as in bare.`;
      case 'nice-grpc':
        return `nice-grpc clients with \`retryMiddleware\` (retry on, ${PEER_RETRY.maxAttempts - 1} retries, its default codes and backoff) and \`deadlineMiddleware\`; the front gives its outgoing call the incoming deadline and aborts it when the incoming call is cancelled; grpc-js servers.`;
      case 'ours':
        return `\`clientInterceptors()\` at the load generator and the front, \`serverInterceptors()\` + \`wrapService\` at the front and the back replicas, option set \`${v.optionSet ?? 'default'}\` (${OPTION_SETS[v.optionSet ?? 'default']?.description ?? '?'}); both methods are marked idempotent through the service definition (\`idempotency_level\`); \`onEvent\` counts events.`;
    }
  };
  return variants.map((v) => `- **${v.label}** (\`${v.id}\`): ${describe(v)}`).join('\n');
}

export function systemMarkdown(input: ReportInput): string {
  const { run } = input;
  const c = run.calibration;
  const out: string[] = [];
  out.push(
    '# System benchmark',
    '',
    'Written by `npm run bench:system` (see [How to re-run](#how-to-re-run)); do not edit by hand. Figures change with the machine:',
    'compare variants within one run, not across runs.',
    '',
    '## The run',
    '',
    input.machine,
    `- load average at the end (1/5/15 min): ${input.loadAtEnd}. **The machine is shared: load from other work may have been present during the run**, which shows as noise in latency and in the measured capacity.`,
    `- duration: ${input.minutes.toFixed(1)} min${run.timeScale !== 1 ? `; every scenario time scaled by ${run.timeScale}` : ''}`,
    `- capacity of the back service: ${c.measured ? `${fmt(c.capacity, 0)} calls/s measured at the start of the run` : `${fmt(c.capacity, 0)} calls/s given with --capacity`} (nominal ${fmt(c.nominal, 0)}: ${REPLICAS} replicas × ${run.slots} slots / ${run.workMs} ms)`,
    `- every client call has a ${run.deadlineMs} ms deadline`,
  );
  if (run.failed.length > 0) {
    out.push('', '**Cells that failed to run:**', '', ...run.failed.map((f) => `- ${f.scenario} / ${f.variant}: ${f.reason}`));
  }
  out.push(
    '',
    '## How it works',
    '',
    `- **Topology.** Four processes per variant and scenario, all on 127.0.0.1 with ephemeral ports: a load generator, a front service, and two replicas of one back service. The front makes one call to the back service per call it serves, over one channel that balances round robin over both replicas. Each scenario gets new processes, warmed up with ${fmt(0.5, 1)}× capacity before the measured run.`,
    `- **Work.** A back replica does ${run.workMs} ms of work per call in a pool of ${run.slots} slots (think of a database connection pool); calls beyond that wait first come, first served, without bound, as a plain Node.js service queues. A call whose caller has gone (cancelled, or its deadline passed) is skipped when its turn comes; work already started is finished. The pool sets the capacity, so it does not depend on how busy the shared CPU is.`,
    '- **Capacity.** Measured first: bare grpc-js with more calls in flight than the replicas have slots (closed loop). Scenario loads are multiples of it.',
    '- **Load.** Open loop: Poisson arrivals at the offered rate, fixed in advance and the same for every variant, whether or not earlier calls have ended, so overload is real. Latency runs from the scheduled start, so a late generator cannot hide queueing.',
    '- **Counting attempts.** Every request carries its id; the front and each back replica count their handler executions per id, and these are joined with what the client saw. "Back attempts / call" is the mean number of back-handler executions per client call (0 when no attempt got past the front); "front attempts / call" likewise at the front.',
    '- **Goodput** is calls that succeeded within their deadline, per second. Phase figures (window, before) count the calls *started* in the phase. Plots count successes by the second they *ended* in, and attempts by the second the call started in.',
    `- **Recovery** is the time from the fault's end to the start of the first ${RECOVERY_WINDOW_MS} ms window (by call start) after which every window's success ratio is at least ${RECOVERY_SHARE * 100} % of the ratio before the fault. "not by the end" means the last window was still below.`,
    `- **Status mix** is what the client saw. "OK (late)" succeeded after its deadline; "DEADLINE_EXCEEDED (early)" ended with time left (at least 5 % of the deadline or 50 ms before it): something gave up in advance instead of the deadline passing. "… after 1 s" columns take the window without its first ${SETTLE_MS} ms, when the first calls have already failed.`,
    '',
    '### Variants',
    '',
    variantList(run.variants),
    '',
    '## Summary',
    '',
    summaryTable(run),
  );
  if (input.targets.length > 0) {
    out.push('', '## Targets', '', 'Checked from this run for our variants; "reported" rows give a figure the target needs but cannot judge alone.', '', targetsTable(input.targets));
  }
  for (const s of run.scenarios) {
    out.push('', `## ${s.title}`, '', `\`${s.id}\`: ${s.description}`, '', scenarioTable(run, s), '', '**Status mix:**', '', statusTable(run, s));
    if (cellsOf(run, s).some((c) => c.byMethod)) out.push('', '**Per method:**', '', splitTable(run, s, 'byMethod', 'method'));
    if (cellsOf(run, s).some((c) => c.byClass)) out.push('', '**Per call class:**', '', splitTable(run, s, 'byClass', 'class'));
    out.push('', '**Load generator and back work:**', '', processTable(run, s));
    const events = eventsTable(run, s);
    if (events) out.push('', '**Events of our stack** (counts per tier, per-call events left out):', '', events);
    for (const plot of input.plots.get(s.id) ?? []) out.push('', `![${plot.caption}](${input.plotsDir}/${plot.file})`);
  }
  out.push(
    '',
    '## How to re-run',
    '',
    '```sh',
    'npm run bench:system                     # the full run (about 10 minutes on 2 cores): this report and its plots',
    'npm run bench:system -- --commit         # the same, then commits the report and plots',
    'npm run bench:system -- --quick          # a short smoke run, written to bench/system-quick/',
    'npm run bench:system -- --scenarios outage,bug --variants bare,ours',
    '```',
    '',
    '`npm run bench -- --system …` is the same command. Options: `--scenarios`, `--variants`, `--quick`, `--scale F` (every scenario time × F), `--deadline MS`, `--slots N`, `--work MS`, `--capacity N` (skip the calibration), `--out DIR`, `--commit`.',
    '',
    'A new variant of ours (hedging, throttling, overload protection) is one entry in `OPTION_SETS` and one in `SYSTEM_VARIANTS` (`bench/system/variants.ts`); its targets go in `bench/system/targets.ts`.',
    `The figures of this run, series included, are in [${input.plotsDir}/figures.json](${input.plotsDir}/figures.json).`,
  );
  return `${out.join('\n')}\n`;
}

/** The summary printed at the end of a run. */
export function systemSummary(run: SystemRun): string {
  return run.scenarios
    .flatMap((s) =>
      cellsOf(run, s).map(
        (c) =>
          `${s.id.padEnd(12)} ${c.variant.padEnd(14)} goodput ${fmt(c.all.goodput).padStart(6)}/s  window ${fmt(c.fault.goodput).padStart(6)}/s  p99 ${ms(c.all.p99).padStart(7)} ms  back attempts/call ${fmt(c.all.bottomAttemptsPerRequest, 2)}  recovery ${recoveryText(c)}`,
      ),
    )
    .join('\n');
}
