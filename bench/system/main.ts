import * as path from 'node:path';
import { removeBuild } from '../lib/build';
import { REPO_ROOT, machineBlock } from '../lib/machine';
import { parseSystemArgs } from './config';
import { runSystem } from './orchestrate';
import { commitReport, writeSystemReport } from './output';
import { systemSummary } from './report';

/** `npm run bench:system` (or `npm run bench -- --system`): the system benchmark; see docs/benchmarks/system.md. */

const log = (line: string) => console.log(`[system] ${line}`);

export async function systemBenchmark(argv: readonly string[], command?: string): Promise<void> {
  const config = parseSystemArgs(argv, command);
  const started = new Date();
  const machine = machineBlock(config.command, undefined, started);
  const what = `${config.scenarios.length} scenario(s) × ${config.variants.length} variant(s)${config.quick ? ' (quick)' : ''}`;
  log(`${what}; report → ${path.relative(REPO_ROOT, config.outDir)}`);
  const run = await runSystem(config, log);
  const written = writeSystemReport(run, config, machine, started);
  console.log(`\nsystem benchmark summary\n${systemSummary(run)}\n`);
  log(`wrote ${path.relative(REPO_ROOT, written.report)} and ${written.plots.length} plots`);
  if (config.commit) {
    commitReport(written, config);
    log('committed the report and plots');
  }
  if (run.failed.length > 0) process.exitCode = 1;
}

if (require.main === module) {
  // Ctrl-C: children exit with their IPC channel; the build folder goes with us.
  process.once('SIGINT', () => {
    removeBuild();
    process.exit(130);
  });
  systemBenchmark(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 1;
  });
}
