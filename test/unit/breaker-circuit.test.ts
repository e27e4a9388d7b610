import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Circuit, isProbe, MAX_RETRY_HINT_MS, REJECTED } from '../../src/breaker/circuit';
import { resolveBreakerTuning, type BreakerTuning } from '../../src/breaker/options';
import { FAILURE, NEUTRAL, SUCCESS, type Outcome } from '../../src/breaker/outcome';
import type { ResilienceEvent } from '../../src/telemetry';

// opossum's reset timer is a real setTimeout: fake timers drive it and Date.now together.
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** opossum settles through promise callbacks. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function circuit(options: BreakerTuning = {}) {
  const events: ResilienceEvent[] = [];
  const tuning = resolveBreakerTuning({ onEvent: (e) => events.push(e), ...options }, 'breaker');
  const c = new Circuit('t/pkg.S/M', 't', tuning, Date.now());
  const transitions = () => events.flatMap((e) => (e.type === 'breaker-state' ? [`${e.from}>${e.to}`] : []));
  return { c, events, transitions };
}

/** Admits a call and settles it with `outcome`. */
function run(c: Circuit, outcome: Outcome): void {
  const ticket = c.admit();
  expect(ticket).not.toBe(REJECTED);
  c.settle(ticket, outcome, Date.now());
}

describe('Circuit', () => {
  it('opens only once the window holds volumeThreshold counted calls and more than the threshold failed', async () => {
    const { c, transitions } = circuit({ volumeThreshold: 10, errorThresholdPercentage: 50 });
    for (let i = 0; i < 5; i++) run(c, SUCCESS);
    for (let i = 0; i < 4; i++) run(c, FAILURE);
    await flush();
    expect(c.state).toBe('closed'); // 9 calls < volume threshold
    run(c, FAILURE); // 5 of 10 = 50 %: not above the threshold
    await flush();
    expect(c.state).toBe('closed');
    run(c, FAILURE); // 6 of 11
    await flush();
    expect(c.state).toBe('open');
    expect(transitions()).toEqual(['closed>open']);
    expect(c.admit()).toBe(REJECTED);
  });

  it('opens synchronously: the call right after the failure that crosses the threshold is refused', () => {
    const { c, transitions } = circuit({ volumeThreshold: 3, errorThresholdPercentage: 50 });
    run(c, FAILURE);
    run(c, FAILURE);
    expect(c.state).toBe('closed');
    run(c, FAILURE);
    // No promise turn in between.
    expect(c.state).toBe('open');
    expect(c.admit()).toBe(REJECTED);
    expect(transitions()).toEqual(['closed>open']);
  });

  it('forgets failures older than the rolling window (rotated lazily, no timer)', async () => {
    const { c } = circuit({ volumeThreshold: 4, rollingWindowMs: 1000, rollingBuckets: 10 });
    for (let i = 0; i < 3; i++) run(c, FAILURE);
    await flush();
    expect(vi.getTimerCount()).toBe(0);
    vi.setSystemTime(Date.now() + 1_050); // the three failures have left the window
    run(c, FAILURE);
    await flush();
    expect(c.state).toBe('closed');
    expect(c.snapshot(Date.now())).toMatchObject({ calls: 1, failures: 1 });
    vi.setSystemTime(Date.now() + 500); // still inside the window
    for (let i = 0; i < 3; i++) run(c, FAILURE);
    await flush();
    expect(c.state).toBe('open');
  });

  it('gives the time until the probe, then admits exactly one probe; success closes and starts a clean window', async () => {
    const { c, transitions } = circuit({ volumeThreshold: 2, resetTimeoutMs: 1000 });
    run(c, FAILURE);
    run(c, FAILURE);
    await flush();
    expect(c.retryAfterMs(Date.now())).toBe(1000);
    vi.advanceTimersByTime(400);
    expect(c.retryAfterMs(Date.now())).toBe(600);
    expect(c.admit()).toBe(REJECTED);
    vi.advanceTimersByTime(600); // opossum's reset timer fires
    expect(c.state).toBe('half-open');
    const probe = c.admit();
    expect(isProbe(probe)).toBe(true);
    expect(c.admit()).toBe(REJECTED);
    expect(c.admit()).toBe(REJECTED);
    // The probe may close the breaker at its first answer: come back soon, not a whole reset timeout later.
    expect(c.retryAfterMs(Date.now())).toBe(100);
    c.settle(probe, SUCCESS, Date.now());
    await flush();
    expect(c.state).toBe('closed');
    expect(c.snapshot(Date.now())).toMatchObject({ calls: 0, failures: 0, inFlight: 0 });
    run(c, FAILURE); // the failures that opened it are gone: one failure is not enough
    await flush();
    expect(c.state).toBe('closed');
    expect(transitions()).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
  });

  it('caps the retry hint at 30 s, however long the reset timeout', async () => {
    const { c } = circuit({ volumeThreshold: 1, resetTimeoutMs: 600_000 });
    run(c, FAILURE);
    await flush();
    expect(c.state).toBe('open');
    expect(c.retryAfterMs(Date.now())).toBe(MAX_RETRY_HINT_MS);
    vi.advanceTimersByTime(600_000 - 1_000);
    expect(c.retryAfterMs(Date.now())).toBe(1_000);
    vi.advanceTimersByTime(1_000);
    expect(c.state).toBe('half-open');
    c.admit(); // the probe
    expect(c.retryAfterMs(Date.now())).toBe(MAX_RETRY_HINT_MS);
    c.shutdown();
  });

  it('re-opens on a failed probe and waits another full reset timeout', async () => {
    const { c, transitions } = circuit({ volumeThreshold: 1, resetTimeoutMs: 1000 });
    run(c, FAILURE);
    await flush();
    vi.advanceTimersByTime(1000);
    const probe = c.admit();
    c.settle(probe, FAILURE, Date.now());
    await flush();
    expect(c.state).toBe('open');
    expect(c.retryAfterMs(Date.now())).toBe(1000);
    vi.advanceTimersByTime(999);
    expect(c.admit()).toBe(REJECTED);
    vi.advanceTimersByTime(1);
    expect(isProbe(c.admit())).toBe(true);
    expect(transitions()).toEqual(['closed>open', 'open>half-open', 'half-open>open', 'open>half-open']);
  });

  it('treats a cancelled probe as no verdict: back to open, no failure counted', async () => {
    const { c, transitions } = circuit({ volumeThreshold: 1, resetTimeoutMs: 1000 });
    run(c, FAILURE);
    await flush();
    vi.advanceTimersByTime(1000);
    c.settle(c.admit(), NEUTRAL, Date.now());
    await flush();
    expect(c.state).toBe('open');
    vi.advanceTimersByTime(1000);
    c.settle(c.admit(), SUCCESS, Date.now());
    await flush();
    expect(c.state).toBe('closed');
    expect(transitions()).toEqual(['closed>open', 'open>half-open', 'half-open>open', 'open>half-open', 'half-open>closed']);
  });

  it('counts a probe with no verdict within probeTimeoutMs as failed, and ignores its late outcome', async () => {
    const { c, transitions } = circuit({ volumeThreshold: 1, resetTimeoutMs: 1000, probeTimeoutMs: 5000 });
    run(c, FAILURE);
    await flush();
    vi.advanceTimersByTime(1000);
    const hung = c.admit();
    expect(isProbe(hung)).toBe(true);
    vi.advanceTimersByTime(4999);
    await flush();
    expect(c.state).toBe('half-open');
    vi.advanceTimersByTime(1);
    await flush();
    expect(c.state).toBe('open');
    vi.advanceTimersByTime(1000);
    const next = c.admit();
    expect(isProbe(next)).toBe(true);
    c.settle(hung, SUCCESS, Date.now()); // the hung call finally ends: not the new probe's verdict
    await flush();
    expect(c.state).toBe('half-open');
    c.settle(next, SUCCESS, Date.now());
    await flush();
    expect(c.state).toBe('closed');
    expect(c.inFlight).toBe(0);
    expect(vi.getTimerCount()).toBe(0); // the probe timers were cleared
    expect(transitions()).toEqual(['closed>open', 'open>half-open', 'half-open>open', 'open>half-open', 'half-open>closed']);
  });

  it('drops results of calls admitted before a state change', async () => {
    const { c } = circuit({ volumeThreshold: 2, resetTimeoutMs: 1000 });
    const slow = c.admit(); // admitted while closed, still in flight
    run(c, FAILURE);
    run(c, FAILURE);
    await flush();
    expect(c.state).toBe('open');
    vi.advanceTimersByTime(1000);
    const probe = c.admit();
    c.settle(slow, FAILURE, Date.now()); // stale: must not be taken for the probe's verdict
    await flush();
    expect(c.state).toBe('half-open');
    c.settle(probe, SUCCESS, Date.now());
    await flush();
    expect(c.state).toBe('closed');
    expect(c.inFlight).toBe(0);
  });

  it('ignores neutral outcomes (cancellations) in the rate', async () => {
    const { c } = circuit({ volumeThreshold: 3, errorThresholdPercentage: 50 });
    for (let i = 0; i < 50; i++) run(c, NEUTRAL);
    for (let i = 0; i < 3; i++) run(c, FAILURE);
    await flush();
    expect(c.state).toBe('open');
  });

  it('keeps no latency samples, however many calls a window holds', async () => {
    const { c } = circuit();
    for (let i = 0; i < 10_000; i++) run(c, SUCCESS);
    await flush();
    const status = (c as unknown as { breaker: { status: { window: Array<{ latencyTimes: { length: number } }> } } }).breaker.status;
    expect(status.window.reduce((n, b) => n + b.latencyTimes.length, 0)).toBe(0);
    expect(c.snapshot(Date.now()).calls).toBe(10_000);
  });

  it('clears its reset timer on shutdown and ignores later results', async () => {
    const { c, events } = circuit({ volumeThreshold: 1 });
    const inFlight = c.admit();
    run(c, FAILURE);
    await flush();
    expect(vi.getTimerCount()).toBe(1); // the reset timer of the open breaker
    c.shutdown();
    expect(vi.getTimerCount()).toBe(0);
    c.settle(inFlight, FAILURE, Date.now());
    await flush();
    expect(c.isShutdown).toBe(true);
    // An open breaker going away reports the key closed again (gauges of open breakers stay right).
    expect(events.at(-1)).toEqual({ type: 'breaker-state', key: 't/pkg.S/M', target: 't', from: 'open', to: 'closed', evicted: true });
    expect(c.state).toBe('closed');
  });

  it('reports state changes through onEvent even when the handler throws', async () => {
    const tuning = resolveBreakerTuning({ volumeThreshold: 1, onEvent: () => { throw new Error('handler bug'); } }, 'breaker');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const c = new Circuit('k', 't', tuning, Date.now());
    run(c, FAILURE);
    await flush();
    expect(c.state).toBe('open');
    warn.mockRestore();
    c.shutdown();
  });
});
