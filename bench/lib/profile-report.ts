import * as path from 'node:path';
import type { E2eProfile } from '../e2e/profile';
import type { MicroProfile } from '../micro/measure';
import type { BenchConfig } from './args';
import { fmt, table } from './markdown';
import { REPO_ROOT } from './machine';
import type { ProfileSummary } from './profile-summary';

/** Markdown for one process's profile: time per call by area, then the hottest functions. */
export function profileTables(title: string, summary: ProfileSummary, calls: number, file: string): string {
  const perCall = (us: number) => fmt(us / Math.max(1, calls), 2);
  const pct = (us: number) => fmt((100 * us) / Math.max(1, summary.busyUs), 1);
  return [
    `#### ${title}: ${perCall(summary.busyUs)} µs CPU per call sampled (${path.relative(REPO_ROOT, file)})`,
    '',
    table(
      ['area', '% of busy time', 'µs per call'],
      summary.areas.map((a) => [a.area, pct(a.us), perCall(a.us)]),
    ),
    '',
    table(
      ['function (self time)', 'area', '%', 'µs per call'],
      summary.functions.map((f) => [`\`${f.name}\``, f.area, pct(f.us), perCall(f.us)]),
    ),
    '',
  ].join('\n');
}

export function e2eProfileMarkdown(p: E2eProfile, config: Pick<BenchConfig, 'warmupMs'>, machine: string): string {
  return [
    `## CPU profile: ${p.label} (\`${p.variant}\`), c=${p.concurrency}`,
    '',
    machine,
    `- ${p.load.calls} calls in ${fmt(p.load.elapsedMs, 0)} ms (${fmt(p.load.callsPerSecond, 0)} calls/s), ` +
      `profiled after ${config.warmupMs} ms of warm-up; V8 sampling every 100 µs`,
    '',
    profileTables('client', p.client, p.load.calls, p.files.client),
    profileTables('server', p.server, p.load.calls, p.files.server),
  ].join('\n');
}

export function e2eProfileSummary(p: E2eProfile): string {
  const calls = p.load.calls;
  const areas = (s: ProfileSummary) => s.areas.slice(0, 6).map((a) => `${a.area} ${fmt(a.us / calls, 1)}`).join(', ');
  return [
    `profile of ${p.variant}: client ${fmt(p.client.busyUs / calls, 1)} µs/call, server ${fmt(p.server.busyUs / calls, 1)} µs/call`,
    `  client: ${areas(p.client)} (µs/call)`,
    `  server: ${areas(p.server)} (µs/call)`,
    `  files: ${p.files.client}, ${p.files.server}`,
  ].join('\n');
}

export function microProfileMarkdown(p: MicroProfile & { file: string }, machine: string): string {
  return [
    `## CPU profile (micro): ${p.label} (\`${p.variant}\`)`,
    '',
    machine,
    `- ${p.iterations} calls over the fake channel after as many unprofiled ones: ${fmt(p.nsPerCall / 1000, 2)} µs CPU per call`,
    '',
    profileTables(p.variant, p.summary, p.iterations, p.file),
  ].join('\n');
}

export function microProfileSummary(p: MicroProfile & { file: string }): string {
  const areas = p.summary.areas.slice(0, 6).map((a) => `${a.area} ${fmt(a.us / p.iterations, 2)}`).join(', ');
  return `micro profile of ${p.variant}: ${areas} (µs/call)\n  file: ${p.file}`;
}
