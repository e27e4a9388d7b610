import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const PACKAGES = [
  '@grpc/grpc-js',
  'nice-grpc',
  'nice-grpc-client-middleware-retry',
  'nice-grpc-client-middleware-deadline',
  'opossum',
  'cockatiel',
  '@opentelemetry/instrumentation-grpc',
  '@opentelemetry/sdk-trace-node',
  'tsx',
];

/** The installed version of a package, or 'not installed'. */
export function packageVersion(name: string): string {
  try {
    const file = path.join(REPO_ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

let tasksetChecked: boolean | undefined;

/** Whether processes can be pinned to one core each (`taskset` present and ≥ 2 cores). */
export function canPin(): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
      tasksetChecked = os.availableParallelism() >= 2;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked;
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${rev} (src/ has uncommitted changes)` : rev;
  } catch {
    return 'unknown';
  }
}

/** The "Machine" block of a results section (`pinned` undefined: the run does not pin, no line). */
export function machineBlock(command: string, pinned: boolean | undefined, started: Date): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  const lines = [
    `- date: ${started.toISOString()}`,
    `- command: \`${command}\``,
    `- commit: ${gitRevision()}`,
    `- CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} logical cores (available parallelism ${os.availableParallelism()})`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; load average at start (1/5/15 min): ${load}`,
    `- Node ${process.version} (${process.platform} ${process.arch}), V8 ${process.versions.v8}`,
  ];
  if (pinned !== undefined) {
    const how = pinned
      ? 'client processes on core 0, server processes on core 1 (taskset)'
      : 'none (taskset missing, fewer than 2 cores, or --no-pin)';
    lines.push(`- pinning: ${how}`);
  }
  lines.push(`- packages: ${PACKAGES.map((p) => `${p} ${packageVersion(p)}`).join(', ')}`);
  return lines.join('\n');
}
