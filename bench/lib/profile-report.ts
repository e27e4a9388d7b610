import * as path from 'node:path';
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
