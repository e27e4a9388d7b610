import { describe, expect, it } from 'vitest';
import { formatReport, parseDemoArgs, PHASES, QUICK_DEFAULTS, runDemo, type DemoProgress, type DemoReport } from '../../examples/demo';

/** Entries of two schedules drawn under the same phase's rules, with their call numbers. */
function comparable(a: readonly string[], b: readonly string[]): { n: number; a: string; b: string }[] {
  const pairs: { n: number; a: string; b: string }[] = [];
  for (let n = 0; n < Math.min(a.length, b.length); n++) {
    const [phaseA] = a[n].split(':');
    const [phaseB] = b[n].split(':');
    if (phaseA !== '?' && phaseA === phaseB) pairs.push({ n, a: a[n], b: b[n] });
  }
  return pairs;
}

describe('npm run demo, short mode', () => {
  let report: DemoReport;
  const progress: DemoProgress[] = [];

  it('runs the four phases and reports plausible figures', { timeout: 30_000 }, async () => {
    report = await runDemo({ ...QUICK_DEFAULTS, seed: 42, onProgress: (p) => progress.push(p), progressIntervalMs: 50 });
    // Round-trips through JSON, as `--json` prints it.
    report = JSON.parse(JSON.stringify(report)) as DemoReport;

    expect(report).toMatchObject({ version: 1, seed: 42, options: { requests: QUICK_DEFAULTS.requests, concurrency: 16 } });
    expect(report.phases.map((p) => p.name)).toEqual(PHASES.map((p) => p.name));
    for (const phase of report.phases) {
      expect(phase.requests).toBe(QUICK_DEFAULTS.requests / 4);
      expect(phase.ok + phase.degraded + phase.notFound + phase.failed).toBe(phase.requests);
      expect(phase.latencyMs.p50).toBeGreaterThan(0);
      expect(phase.latencyMs.p99).toBeGreaterThanOrEqual(phase.latencyMs.p50);
      expect(phase.latencyMs.max).toBeGreaterThanOrEqual(phase.latencyMs.p99);
    }
    expect(report.totals.requests).toBe(QUICK_DEFAULTS.requests);
    expect(report.totals.ok).toBe(report.phases.reduce((n, p) => n + p.ok, 0));
    const [healthy, flaky, outage, recovery] = report.phases;
    // Healthy: complete profiles, one internal bug at least.
    expect(healthy.degraded).toBe(0);
    expect(healthy.ok).toBeGreaterThan(healthy.requests * 0.8);
    expect(healthy.failedByCode.INTERNAL).toBeGreaterThanOrEqual(1);
    // Flaky user service: faults were injected and retried.
    expect(flaky.injected.users.errors + flaky.injected.users.stalls).toBeGreaterThan(0);
    expect(flaky.retries.users).toBeGreaterThan(0);
    expect(flaky.injected.preferences.errors).toBe(0);
    // Preferences outage: every preferences call failed, the profiles degraded instead of failing.
    expect(outage.injected.preferences.outage).toBeGreaterThan(0);
    expect(outage.degraded).toBeGreaterThan(outage.requests * 0.8);
    expect(outage.ok).toBe(0);
    expect(outage.fallbacks['breaker-open']).toBeGreaterThan(0);
    // Recovery: complete profiles again.
    expect(recovery.ok).toBeGreaterThan(0);
    expect(recovery.injected.preferences.outage).toBe(0);
  });

  it('the preferences breaker opened in the outage and closed in the recovery', () => {
    const preferences = report.breakerTimeline.filter((c) => c.breaker.startsWith('preferences/'));
    const opened = preferences.find((c) => c.to === 'open');
    expect(opened?.phase).toBe('preferences-outage');
    const last = preferences[preferences.length - 1];
    expect(last).toMatchObject({ to: 'closed', phase: 'recovery' });
    expect(preferences.every((c, i) => i === 0 || c.atMs >= preferences[i - 1].atMs)).toBe(true);
  });

  it('nothing internal leaked: the fake secret is in the user service log only', () => {
    expect(report.leaks.responsesChecked).toBe(QUICK_DEFAULTS.requests);
    expect(report.leaks.responsesLeaking).toBe(0);
    expect(Object.keys(report.leaks.logLinesBySecret)).toEqual(['users']);
    const internal = report.internalError!;
    expect(internal.received).toMatchObject({ codeName: 'INTERNAL', message: `Internal error (trace id ${internal.traceId})` });
    expect(JSON.stringify(internal.received)).not.toContain(report.leaks.secret);
    expect(internal.received.details.map((d) => d.type)).toEqual(['ErrorInfo', 'RequestInfo']);
    const userLog = internal.serverLog.find((line) => line.service === 'users');
    expect(JSON.stringify(userLog)).toContain(report.leaks.secret);
  });

  it('follows one trace id through the three services', () => {
    const trace = report.trace!;
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.services).toEqual(expect.arrayContaining(['users', 'preferences', 'profile', 'client']));
    expect(trace.lines.every((line) => line.trace_id === trace.traceId)).toBe(true);
  });

  it('reports progress per phase, and renders a readable report', () => {
    expect(progress.filter((p) => p.phaseDone).map((p) => p.phaseNumber)).toEqual([1, 2, 3, 4]);
    expect(progress[progress.length - 1]).toMatchObject({ done: QUICK_DEFAULTS.requests, total: QUICK_DEFAULTS.requests });
    const text = formatReport(report);
    for (const heading of ['PHASES', 'BREAKER TIMELINE', 'ONE REQUEST THROUGH THREE SERVICES', 'ONE INTERNAL ERROR', 'LEAK CHECK']) {
      expect(text).toContain(heading);
    }
    expect(text).toContain(report.trace!.traceId);
  });
});

describe('seeded reproducibility', () => {
  // One request at a time, as fast as possible: a fixed sequence of calls per method.
  const run = (seed: number, requests = 100) => runDemo({ requests, concurrency: 1, durationMs: 0, seed });

  it('the same seed gives the same fault schedule; another seed does not', { timeout: 30_000 }, async () => {
    const first = await run(7);
    const second = await run(7);
    const other = await run(8, 40);
    const getUser = '/example.users.v1.UserService/GetUser';
    const getPreferences = '/example.preferences.v1.PreferencesService/GetPreferences';
    for (const method of [getUser, getPreferences]) {
      const same = comparable(first.faultSchedule[method], second.faultSchedule[method]);
      expect(same.length).toBeGreaterThanOrEqual(10);
      expect(same.filter((p) => p.a !== p.b)).toEqual([]);
    }
    // The flaky phase's failures land on the same call numbers.
    expect(first.faultSchedule[getUser].some((d) => /^2:(UNAVAILABLE|stall)/.test(d))).toBe(true);
    const differ = comparable(first.faultSchedule[getUser], other.faultSchedule[getUser]).filter((p) => p.a !== p.b);
    expect(differ.length).toBeGreaterThan(0);
  });
});

describe('command line', () => {
  it('parses the options, --quick and --json', () => {
    expect(parseDemoArgs(['--quick', '--json'])).toEqual({
      options: { requests: QUICK_DEFAULTS.requests, concurrency: undefined, seed: undefined, durationMs: QUICK_DEFAULTS.durationMs },
      json: true,
      help: false,
    });
    expect(parseDemoArgs(['--requests', '400', '--concurrency', '4', '--seed', '9', '--duration', '2.5']).options).toEqual({
      requests: 400,
      concurrency: 4,
      seed: 9,
      durationMs: 2_500,
    });
  });

  it('rejects bad values, naming the option', async () => {
    expect(() => parseDemoArgs(['--requests', 'many'])).toThrow(/--requests must be a whole number/);
    expect(() => parseDemoArgs(['--duration', '-1'])).toThrow(/--duration/);
    expect(() => parseDemoArgs(['--fast'])).toThrow(/fast/);
    await expect(runDemo({ requests: 3 })).rejects.toThrow(/requests must be an integer ≥ 4/);
    await expect(runDemo({ seed: 2 ** 32 })).rejects.toThrow(/seed must be at most/);
  });
});
