import { describe, expect, it } from 'vitest';
import {
  createCallContext,
  currentCallContext,
  runDetached,
  runOutsideCallContext,
  runWithCallContext,
} from '../../src';
import { ServerCallState } from '../../src/context';
import { callContextStorage } from '../../src/context/scope';

const ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('ServerCallState', () => {
  it('creates no AbortController or timer until the signal is read', () => {
    const state = new ServerCallState(ID, 0, '/a.B/C', Date.now() + 50);
    expect((state as unknown as { controller?: unknown }).controller).toBeUndefined();
    expect((state as unknown as { timer?: unknown }).timer).toBeUndefined();
    const signal = state.signal;
    expect(signal.aborted).toBe(false);
    expect((state as unknown as { timer?: unknown }).timer).toBeDefined();
    state.finish();
    expect((state as unknown as { timer?: unknown }).timer).toBeUndefined();
  });

  it('aborts the signal when the deadline passes (lazy timer)', async () => {
    const state = new ServerCallState(ID, 0, '/a.B/C', Date.now() + 30);
    const aborted = new Promise<unknown>((resolve) => state.signal.addEventListener('abort', () => resolve(state.signal.reason)));
    const reason = (await aborted) as Error;
    expect(reason.name).toBe('DeadlineExceededError');
    expect(state.finished).toBe(true);
  });

  it('a signal read after cancellation is already aborted with the reason', () => {
    const state = new ServerCallState(ID, 0, '/a.B/C', Infinity);
    state.cancel('cancelled');
    expect(state.signal.aborted).toBe(true);
    expect((state.signal.reason as Error).name).toBe('AbortError');
  });

  it('a deadline already past aborts on first read', () => {
    let now = 1000;
    const state = new ServerCallState(ID, 0, '/a.B/C', 900, () => now);
    expect(state.signal.aborted).toBe(true);
    now++;
  });

  it('notifies cancellation listeners once, and none after a normal finish', () => {
    const cancelled = new ServerCallState(ID, 0, '/a.B/C', Infinity);
    const seen: string[] = [];
    cancelled.onCancel((r) => seen.push(`a:${r}`));
    const off = cancelled.onCancel((r) => seen.push(`b:${r}`));
    off?.();
    cancelled.cancel('deadline');
    cancelled.cancel('cancelled');
    expect(seen).toEqual(['a:deadline']);
    expect(cancelled.onCancel(() => seen.push('late'))).toBeUndefined();

    const finished = new ServerCallState(ID, 0, '/a.B/C', Infinity);
    finished.onCancel(() => seen.push('never'));
    finished.finish();
    finished.cancel('cancelled');
    expect(seen).toEqual(['a:deadline']);
    expect(finished.onCancel(() => seen.push('late'))).toBeUndefined();
  });

  it('does not arm a timer for deadlines beyond the Node timer range', () => {
    const state = new ServerCallState(ID, 0, '/a.B/C', Date.now() + 2 ** 32);
    expect(state.signal.aborted).toBe(false);
    expect((state as unknown as { timer?: unknown }).timer).toBeUndefined();
  });
});

describe('context scopes', () => {
  it('runWithCallContext / currentCallContext across awaits', async () => {
    const ctx = createCallContext({ traceId: ID, method: 'job', timeoutMs: 1000 });
    expect(currentCallContext()).toBeUndefined();
    await runWithCallContext(ctx, async () => {
      await new Promise((r) => setTimeout(r, 1));
      expect(currentCallContext()).toBe(ctx);
      expect(currentCallContext()?.deadline).toBeGreaterThan(Date.now());
      runOutsideCallContext(() => expect(currentCallContext()).toBeUndefined());
    });
    expect(currentCallContext()).toBeUndefined();
  });

  it('runDetached keeps the trace id and drops deadline and cancellation', () => {
    const ctx = new ServerCallState(ID, 1, '/a.B/C', Date.now() + 1000);
    runWithCallContext(ctx, () => {
      runDetached(() => {
        const detached = callContextStorage.getStore();
        expect(detached?.traceId).toBe(ID);
        expect(detached?.traceFlags).toBe(1);
        expect(detached?.deadline).toBe(Infinity);
        expect(detached?.onCancel(() => undefined)).toBeUndefined();
        expect(detached?.signal.aborted).toBe(false);
      });
    });
    expect(runDetached(() => 42)).toBe(42);
  });

  it('createCallContext validates its input', () => {
    expect(() => createCallContext({ traceId: 'nope' })).toThrow(/traceId must be 32 lowercase hex/);
    expect(() => createCallContext({ timeoutMs: -1 })).toThrow(/timeoutMs must be a number >= 0/);
    expect(() => createCallContext({ deadline: new Date('invalid') })).toThrow(/deadline is not a valid time/);
    expect(createCallContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
