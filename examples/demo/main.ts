/**
 * npm run demo [-- --requests N --concurrency N --seed N --duration S --quick --json]
 *
 * The profile scenario under real faults, everything in this process on 127.0.0.1. See docs/demo.md.
 */
import { parseDemoArgs, USAGE, type DemoCommand } from './args';
import { formatReport } from './format';
import { progressPrinter, type ProgressPrinter } from './progress';
import { runDemo } from './run';

async function main(): Promise<void> {
  let command: DemoCommand;
  try {
    command = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (command.help) {
    console.log(USAGE);
    return;
  }
  // Progress goes to stderr; with --json only when stderr is a terminal (stdout carries the report).
  const printer: ProgressPrinter | undefined = !command.json || process.stderr.isTTY ? progressPrinter(process.stderr) : undefined;
  let report;
  try {
    report = await runDemo({ ...command.options, onProgress: printer?.update });
  } catch (error) {
    printer?.done();
    // runDemo names its options (`requests must be …`); on the command line they are flags.
    console.error(error instanceof RangeError ? `--${error.message}\n\n${USAGE}` : error);
    process.exitCode = error instanceof RangeError ? 2 : 1;
    return;
  }
  printer?.done();
  process.stdout.write(command.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report)}\n`);
  // runDemo leaves nothing running, so the process ends now; if it did not, say so instead of hanging.
  setTimeout(() => {
    console.error(`demo: still running after the report: ${process.getActiveResourcesInfo().join(', ')}`);
    process.exit(1);
  }, 5_000).unref();
}

void main();
