import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../lib/machine';
import { fmt, fmtInt, table } from '../lib/markdown';
import type { PhaseFigures } from './analysis';
import type { CellFigures } from './figures';
import { RECOVERY_SHARE, RECOVERY_WINDOW_MS, SETTLE_MS } from './figures';
import { REPLICAS, type SystemRun } from './orchestrate';
import type { Plot } from './plots';
import { PEER_RETRY } from './stacks';
import type { TargetRow } from './targets';
import { optionSetOf, type SystemVariant } from './variants';
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
  const order = [
    'OK',
    'OK (late)',
    'UNAVAILABLE',
    'DEADLINE_EXCEEDED',
    'DEADLINE_EXCEEDED (early)',
    'INTERNAL',
    'UNKNOWN',
    'RESOURCE_EXHAUSTED',
    'CANCELLED',
  ];
  const seen = new Set(cells.flatMap((c) => Object.keys(c.statusMix)));
  const columns = [...order.filter((k) => seen.has(k)), ...[...seen].filter((k) => !order.includes(k)).sort()];
  const rows = cells.map((c) => [labelOf(run, c.variant), fmtInt(c.all.requests), ...columns.map((k) => fmtInt(c.statusMix[k] ?? 0))]);
  return table(['variant', 'calls', ...columns], rows);
}

function splitTable(run: SystemRun, scenario: Scenario, key: 'byMethod' | 'byClass', name: string): string {
  const rows: string[][] = [];
  for (const c of cellsOf(run, scenario)) {
    for (const [part, f] of Object.entries(c[key] ?? {}) as [string, PhaseFigures][]) {
      rows.push([
        labelOf(run, c.variant),
        part,
        fmtInt(f.requests),
        pct(f.successRatio),
        ms(f.p99),
        fmt(f.bottomAttemptsPerRequest, 2),
        fmt(f.frontAttemptsPerRequest, 2),
      ]);
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
  return table(
    ['variant', 'generator lag p99 / max ms', 'back work done', '… of it for a caller already gone', 'queued calls skipped (caller gone)'],
    rows,
  );
}

function targetsTable(targets: readonly TargetRow[]): string {
  const mark = (met: boolean | undefined) => (met === undefined ? 'reported' : met ? 'met' : '**missed**');
  return table(
    ['issue', 'target', 'variant', 'measured', 'verdict'],
    targets.map((t) => [`#${t.issue}`, t.target, t.variant, t.figure, mark(t.met)]),
    5,
  );
}

/** The variants of the run, one line each (what each stack kind does is in the template). */
function variantList(variants: readonly SystemVariant[]): string {
  return variants
    .map((v) => {
      const set = v.stack === 'ours' ? `, option set \`${v.optionSet ?? 'default'}\`: ${optionSetOf(v).description}` : '';
      return `- \`${v.id}\`: ${v.label}${set}`;
    })
    .join('\n');
}

function runBlock(input: ReportInput): string {
  const { run } = input;
  const c = run.calibration;
  const capacity = c.measured
    ? `${fmt(c.capacity, 0)} calls/s measured at the start of the run`
    : `${fmt(c.capacity, 0)} calls/s given with --capacity`;
  const lines = [
    input.machine,
    `- load average at the end (1/5/15 min): ${input.loadAtEnd}. **The machine is shared: load from other work may have been ` +
      'present during the run**, which shows as noise in latency and in the measured capacity.',
    `- duration: ${input.minutes.toFixed(1)} min${run.timeScale !== 1 ? `; every scenario time scaled by ${run.timeScale}` : ''}`,
    `- capacity of the back service: ${capacity} ` +
      `(nominal ${fmt(c.nominal, 0)}: ${REPLICAS} replicas × ${run.slots} slots / ${run.workMs} ms)`,
  ];
  if (run.failed.length > 0)
    lines.push('', '**Cells that failed to run:**', '', ...run.failed.map((f) => `- ${f.scenario} / ${f.variant}: ${f.reason}`));
  return lines.join('\n');
}

function scenarioSection(input: ReportInput, s: Scenario): string {
  const { run } = input;
  const out = [
    `## ${s.title}`,
    '',
    `\`${s.id}\`: ${s.description}`,
    '',
    scenarioTable(run, s),
    '',
    '**Status mix:**',
    '',
    statusTable(run, s),
  ];
  if (cellsOf(run, s).some((c) => c.byMethod)) out.push('', '**Per method:**', '', splitTable(run, s, 'byMethod', 'method'));
  if (cellsOf(run, s).some((c) => c.byClass)) out.push('', '**Per call class:**', '', splitTable(run, s, 'byClass', 'class'));
  out.push('', '**Load generator and back work:**', '', processTable(run, s));
  const events = eventsTable(run, s);
  if (events) out.push('', '**Events of our stack** (counts per tier, per-call events left out):', '', events);
  for (const plot of input.plots.get(s.id) ?? []) out.push('', `![${plot.caption}](${input.plotsDir}/${plot.file})`);
  return out.join('\n');
}

const TEMPLATE = path.join(REPO_ROOT, 'bench', 'system', 'report-template.md');

/** Replaces every `{{name}}` of a template; a name without a value is a mistake in the template. */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`report template: no value for {{${name}}}`);
    return String(values[name]);
  });
}

export function systemMarkdown(input: ReportInput): string {
  const { run } = input;
  const targets =
    input.targets.length === 0
      ? ''
      : [
          '',
          '## Targets',
          '',
          'Checked from this run for our variants; "reported" rows give a figure the target needs but cannot judge alone.',
          '',
          targetsTable(input.targets),
        ].join('\n');
  return fillTemplate(readFileSync(TEMPLATE, 'utf8'), {
    run: runBlock(input),
    workMs: run.workMs,
    slots: run.slots,
    deadlineMs: run.deadlineMs,
    recoveryWindowMs: RECOVERY_WINDOW_MS,
    recoveryPercent: RECOVERY_SHARE * 100,
    settleMs: SETTLE_MS,
    retryAttempts: PEER_RETRY.maxAttempts,
    retryInitialMs: PEER_RETRY.initialBackoffMs,
    retryMultiplier: PEER_RETRY.multiplier,
    retryMaxMs: PEER_RETRY.maxBackoffMs,
    niceRetries: PEER_RETRY.maxAttempts - 1,
    variants: variantList(run.variants),
    summary: summaryTable(run),
    targets,
    scenarios: run.scenarios.map((s) => `\n${scenarioSection(input, s)}`).join('\n'),
    plotsDir: input.plotsDir,
  });
}

/** The summary printed at the end of a run. */
export function systemSummary(run: SystemRun): string {
  const line = (s: Scenario, c: CellFigures) =>
    [
      s.id.padEnd(12),
      c.variant.padEnd(14),
      `goodput ${fmt(c.all.goodput).padStart(6)}/s`,
      `window ${fmt(c.fault.goodput).padStart(6)}/s`,
      `p99 ${ms(c.all.p99).padStart(7)} ms`,
      `back attempts/call ${fmt(c.all.bottomAttemptsPerRequest, 2)}`,
      `recovery ${recoveryText(c)}`,
    ].join('  ');
  return run.scenarios.flatMap((s) => cellsOf(run, s).map((c) => line(s, c))).join('\n');
}
