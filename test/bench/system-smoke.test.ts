import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeBuild } from '../../bench/lib/build';
import { parseSystemArgs } from '../../bench/system/config';
import { runSystem } from '../../bench/system/orchestrate';
import { writeSystemReport } from '../../bench/system/output';

describe('system benchmark', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'system-bench-'));
  afterAll(() => {
    removeBuild();
    rmSync(out, { recursive: true, force: true });
  });

  it('runs a very short outage through real processes for two variants and writes its report and plots', async () => {
    // The outage scenario at 1/20 of its length: 1 s of load, both back replicas down for 250 ms.
    // A long deadline: a loaded machine must not turn the few calls into timeouts.
    const config = parseSystemArgs([
      '--scenarios',
      'outage',
      '--variants',
      'bare,ours',
      '--scale',
      '0.05',
      '--capacity',
      '200',
      '--deadline',
      '5000',
      '--out',
      out,
    ]);
    const run = await runSystem(config, () => undefined);
    expect(run.failed).toEqual([]);
    expect(run.cells.map((c) => c.variant).sort()).toEqual(['bare', 'ours']);
    for (const cell of run.cells) {
      expect(cell.all.requests).toBeGreaterThan(40);
      expect(cell.statusMix['no answer']).toBeUndefined();
      expect(cell.series.goodput.length).toBe(10);
    }
    // Bare grpc-js never retries: every call reached exactly one back replica once; the outage
    // showed and passed (our breaker stays open longer than this short run).
    const bare = run.cells.find((c) => c.variant === 'bare')!;
    expect(bare.statusMix.OK).toBeGreaterThan(0);
    expect(bare.all.bottomAttemptsPerRequest).toBe(1);
    expect(bare.all.frontAttemptsPerRequest).toBe(1);
    expect(bare.statusMix.UNAVAILABLE).toBeGreaterThan(0);
    expect(bare.events.loadgen).toEqual({});
    // Our stack reports its events from every tier (the back translated the outage's errors).
    const ours = run.cells.find((c) => c.variant === 'ours')!;
    expect(ours.events.back['error-translated']).toBeGreaterThan(0);

    const written = writeSystemReport(run, config, '- machine: test', new Date());
    const report = readFileSync(written.report, 'utf8');
    expect(report).toContain('# System benchmark');
    expect(report).toContain('## (a) back service down, then back');
    expect(report).toContain('](system/outage-goodput.svg)');
    expect(written.plots.map((p) => path.basename(p)).sort()).toEqual(['outage-attempts.svg', 'outage-goodput.svg', 'outage-p99.svg']);
    for (const plot of written.plots) expect(readFileSync(plot, 'utf8')).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
    expect(JSON.parse(readFileSync(written.figures, 'utf8')).cells).toHaveLength(2);
    expect(existsSync(path.join(out, 'system.md'))).toBe(true);
  }, 60_000);
});
