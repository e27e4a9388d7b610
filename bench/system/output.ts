import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../lib/machine';
import type { SystemConfig } from './config';
import type { SystemRun } from './orchestrate';
import { scenarioPlots, type Plot } from './plots';
import { systemMarkdown } from './report';
import { evaluateTargets } from './targets';

/** The report's name, and the folder of its plots and figures, inside the output directory. */
export const REPORT_FILE = 'system.md';
export const PLOTS_DIR = 'system';

export interface WrittenReport {
  readonly report: string;
  readonly plots: readonly string[];
  readonly figures: string;
}

/** Writes system.md, one SVG per plot and figures.json; plots of earlier runs that this run did not draw are removed. */
export function writeSystemReport(run: SystemRun, config: SystemConfig, machine: string, started: Date): WrittenReport {
  const dir = path.join(config.outDir, PLOTS_DIR);
  mkdirSync(dir, { recursive: true });
  const plots = new Map<string, Plot[]>(run.scenarios.map((s) => [s.id, scenarioPlots(s, run.variants, run.cells)]));
  const files = [...plots.values()].flat().map((p) => p.file);
  for (const name of readdirSync(dir)) if (name.endsWith('.svg') && !files.includes(name)) rmSync(path.join(dir, name));
  for (const plot of [...plots.values()].flat()) writeFileSync(path.join(dir, plot.file), plot.svg);
  const figures = path.join(dir, 'figures.json');
  writeFileSync(figures, `${JSON.stringify(run, roundNumbers, 1)}\n`);
  const report = path.join(config.outDir, REPORT_FILE);
  const markdown = systemMarkdown({
    run,
    machine,
    loadAtEnd: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
    minutes: (Date.now() - started.getTime()) / 60_000,
    plots,
    plotsDir: PLOTS_DIR,
    targets: evaluateTargets(run),
  });
  writeFileSync(report, markdown);
  return { report, plots: files.map((f) => path.join(dir, f)), figures };
}

/** Three decimals are plenty for figures and keep the JSON small. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
}

/** Commits the report, plots and figures (only those paths), with the commit the run measured in the message. */
export function commitReport(written: WrittenReport, config: SystemConfig): void {
  const paths = [written.report, path.dirname(written.figures)].map((p) => path.relative(REPO_ROOT, p));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  git('add', '--all', '--', ...paths);
  const measured = git('rev-parse', '--short', 'HEAD').trim();
  git('commit', '-m', `System benchmark: report and plots of a run at ${measured}`, '-m', `Command: ${config.command}`, '--', ...paths);
}
