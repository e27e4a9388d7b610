import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface Outcome {
  resolvable: boolean;
  code: number;
  response: unknown;
  metricsHandler: string;
  events: string[];
}

const root = join(__dirname, '..', '..');

async function runFixture(hideOpenTelemetry: boolean): Promise<Outcome> {
  const preload = hideOpenTelemetry ? ['--require', join(root, 'test/fixtures/hide-opentelemetry.cjs')] : [];
  const { stdout } = await run(process.execPath, [...preload, '--import', 'tsx', join(root, 'test/fixtures/without-opentelemetry.ts')], {
    cwd: root,
    timeout: 30_000,
  });
  return JSON.parse(stdout) as Outcome;
}

describe('without @opentelemetry/api', () => {
  it('control: with it installed, the same program finds it and records metrics', async () => {
    const out = await runFixture(false);
    expect(out.resolvable).toBe(true);
    expect(out.metricsHandler).toBe('some');
    expect(out.code).toBe(0);
  });

  it('the package loads and works; metrics are silently off', async () => {
    const out = await runFixture(true);
    expect(out.resolvable).toBe(false);
    expect(out.code).toBe(0);
    expect(out.response).toEqual({ id: 'ok' });
    expect(out.metricsHandler).toBe('none');
    expect(out.events).toContain('call-end');
  });
});
