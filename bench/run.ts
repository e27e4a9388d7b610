import { parseArgs, type BenchConfig } from './lib/args';
import { removeBuild } from './lib/build';
import { machineBlock } from './lib/machine';
import { writeSection } from './lib/markdown';
import { piecesSummary } from './lib/pieces';
import { runE2e } from './e2e/orchestrate';
import { e2eMarkdown, e2eSummary } from './e2e/report';
import { profileMicroInChild, runMicroInChild } from './micro/orchestrate';
import { profileE2e } from './e2e/profile';
import { e2eProfileMarkdown, e2eProfileSummary, microProfileMarkdown, microProfileSummary } from './lib/profile-report';
import { microMarkdown, microSummary } from './micro/report';
import { countInstructions } from './micro/instructions';
import { instructionsMarkdown, instructionsSummary } from './micro/instructions-report';
import { runSoak } from './soak/orchestrate';
import { soakMarkdown, soakSummary } from './soak/report';
import { systemBenchmark } from './system/main';

/**
 * `npm run bench`: end-to-end + micro benchmarks by default, or one part (`--system`: the system
 * benchmark); see docs/benchmarks/README.md.
 */

const SECTION_ORDER = ['summary', 'e2e-headline', 'e2e', 'micro', 'micro-instructions', 'soak'];

const log = (line: string) => console.log(`[bench] ${line}`);

async function e2e(config: BenchConfig): Promise<void> {
  const started = new Date();
  const run = await runE2e(config, log);
  const md = e2eMarkdown(run, config, machineBlock(config.command, config.pin, started), piecesSummary());
  writeSection(config.out, config.section, md, SECTION_ORDER);
  console.log(`\nend-to-end summary\n${e2eSummary(run, config)}\n`);
}

async function micro(config: BenchConfig): Promise<void> {
  const started = new Date();
  const result = await runMicroInChild(config, log);
  writeSection(config.out, 'micro', microMarkdown(result, config, machineBlock(config.command, config.pin, started)), SECTION_ORDER);
  console.log(`\nmicro-benchmark summary\n${microSummary(result)}\n`);
}

async function instructions(config: BenchConfig): Promise<void> {
  const started = new Date();
  const result = await countInstructions({ calls: config.instructionCalls, only: config.variants }, log);
  const md = instructionsMarkdown(result, machineBlock(config.command, false, started));
  writeSection(config.out, 'micro-instructions', md, SECTION_ORDER);
  console.log(`\ninstructions per call\n${instructionsSummary(result)}\n`);
}

async function soak(config: BenchConfig): Promise<void> {
  const started = new Date();
  const result = await runSoak(config, log);
  writeSection(config.out, 'soak', soakMarkdown(result, config, machineBlock(config.command, config.pin, started)), SECTION_ORDER);
  console.log(`\nsoak summary\n${soakSummary(result)}\n`);
}

async function profile(config: BenchConfig, id: string): Promise<void> {
  const started = new Date();
  const p = await profileE2e(config, id, log);
  writeSection(config.out, `profile-${id}`, e2eProfileMarkdown(p, config, machineBlock(config.command, config.pin, started)), SECTION_ORDER);
  console.log(`\n${e2eProfileSummary(p)}\n`);
}

async function profileMicro(config: BenchConfig, id: string): Promise<void> {
  const started = new Date();
  const p = await profileMicroInChild(config, id, log);
  writeSection(config.out, `profile-micro-${id}`, microProfileMarkdown(p, machineBlock(config.command, config.pin, started)), SECTION_ORDER);
  console.log(`\n${microProfileSummary(p)}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--system')) {
    await systemBenchmark(argv.filter((a) => a !== '--system'), `npm run bench -- ${argv.join(' ')}`);
    return;
  }
  const config = parseArgs(argv);
  log(`mode ${config.mode}${config.quick ? ' (quick)' : ''}; pinning ${config.pin ? 'on' : 'off'}; results → ${config.out}`);
  if (config.mode === 'all' || config.mode === 'e2e') await e2e(config);
  if (config.mode === 'all' || config.mode === 'micro') await micro(config);
  if (config.mode === 'soak') await soak(config);
  if (config.mode === 'instructions') await instructions(config);
  if (config.mode === 'profile') await profile(config, config.profileVariant!);
  if (config.mode === 'profile-micro') await profileMicro(config, config.profileVariant!);
  log(`wrote ${config.out}`);
}

// Ctrl-C: children exit with their IPC channel; the build folder goes with us.
process.once('SIGINT', () => {
  removeBuild();
  process.exit(130);
});

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
