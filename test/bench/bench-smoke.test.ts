import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeBuild } from '../../bench/lib/build';
import { writeSection } from '../../bench/lib/markdown';
import { linearRegression, median, quantile, ratioInterval } from '../../bench/lib/stats';
import { runMicroInChild } from '../../bench/micro/orchestrate';
import { microRows } from '../../bench/micro/report';
import { MICRO_VARIANTS } from '../../bench/micro/variants';

describe('benchmark harness', () => {
  afterAll(removeBuild);

  it('runs every available micro variant through a real grpc-js client/server call path without errors', async () => {
    const result = await runMicroInChild({ pin: false, microIterations: 300, microRounds: 2 }, () => undefined);
    const ran = result.variants.map((v) => v.id);
    const skipped = result.skipped.map((s) => s.id);
    // Every variant of the table is either measured or skipped with a reason; the references always run.
    expect([...ran, ...skipped].sort()).toEqual(MICRO_VARIANTS.map((v) => v.id).sort());
    expect(ran).toEqual(expect.arrayContaining(['client-none', 'client-traceparent', 'client-stack', 'server-none', 'server-stack']));
    for (const s of result.skipped) expect(s.reason).toMatch(/\S/);
    expect(result.samples).toHaveLength(ran.length * 2);
    for (const sample of result.samples) {
      expect(sample.errors).toBe(0);
      expect(sample.nsPerCall).toBeGreaterThan(0);
    }
    const rows = microRows(result);
    expect(rows.find((r) => r.id === 'client-none')?.extra.med).toBe(0);
    expect(Number.isFinite(rows.find((r) => r.id === 'client-stack')?.extra.med)).toBe(true);
  }, 30_000);

  it('computes medians, quantiles and least-squares slopes', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([0, 10], 0.99)).toBeCloseTo(9.9);
    const fit = linearRegression([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(fit.r2).toBeCloseTo(1);
    expect(linearRegression([0, 1, 2], [4, 4, 4]).slope).toBe(0);
  });

  it('gives paired ratios a geometric mean and a 95 % interval that narrows with agreement', () => {
    const same = ratioInterval([0.9, 0.9, 0.9]);
    expect(same.mean).toBeCloseTo(0.9);
    expect(same.low).toBeCloseTo(0.9);
    expect(same.high).toBeCloseTo(0.9);
    // ln 0.8 and ln 1.25 cancel: mean 1; t(1 df) = 12.706, sd of the logs = ln 1.25 · √2.
    const wide = ratioInterval([0.8, 1.25]);
    expect(wide.mean).toBeCloseTo(1);
    expect(wide.high).toBeCloseTo(Math.exp(12.706 * Math.log(1.25)), 5);
    expect(wide.low).toBeCloseTo(1 / wide.high, 5);
    expect(Number.isNaN(ratioInterval([1.1]).low)).toBe(true);
    expect(Number.isNaN(ratioInterval([]).mean)).toBe(true);
  });

  it('replaces one section of the results file, keeps the others and lists them in its contents', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-results-'));
    try {
      const file = path.join(dir, 'RESULTS.md');
      writeSection(file, 'micro', 'micro one', ['e2e', 'micro', 'soak']);
      writeSection(file, 'e2e', 'e2e one', ['e2e', 'micro', 'soak']);
      writeSection(file, 'micro', '## Micro: `two`\n\nmicro two', ['e2e', 'micro', 'soak']);
      writeSection(file, 'soak', '## Soak\n', ['e2e', 'micro', 'soak']);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('**Contents**\n\n- [Micro: `two`](#micro-two)\n- [Soak](#soak)\n');
      expect(text).toContain('e2e one');
      expect(text).toContain('micro two');
      expect(text).not.toContain('micro one');
      expect(text.indexOf('e2e one')).toBeLessThan(text.indexOf('micro two'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
