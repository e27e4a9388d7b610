import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { breakerClientInterceptor, type BreakerInterceptor } from '../../src/breaker';
import { fallbackClientInterceptor, isDegraded } from '../../src/fallback';
import { retryClientInterceptor } from '../../src/retry';
import type { FallbackEvent, ResilienceEvent } from '../../src/telemetry';
import { closeAll, echoClient, ECHO_PATHS, sleep, unary, type EchoClient } from '../helpers';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server';

let server: ScriptedServer | undefined;
let client: EchoClient | undefined;
let breaker: BreakerInterceptor | undefined;

afterEach(async () => {
  await closeAll(client, breaker, server);
  client = breaker = server = undefined;
});

describe('fallback → retry → breaker', () => {
  it('counts every attempt in the breaker, runs the fallback once on the final outcome, and does not retry into an open breaker', async () => {
    const events: ResilienceEvent[] = [];
    const onEvent = (e: ResilienceEvent) => events.push(e);
    server = await startScriptedServer({ code: grpc.status.UNAVAILABLE });
    breaker = breakerClientInterceptor({ volumeThreshold: 4, resetTimeoutMs: 60_000, onEvent });
    client = echoClient(server.address, {
      interceptors: [
        fallbackClientInterceptor({ [ECHO_PATHS.unary]: (_req, _err, ctx) => ({ text: `cached (${ctx.reason})` }) }, { onEvent }),
        retryClientInterceptor({ maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2, budget: false, onEvent }),
        breaker,
      ],
    });

    const first = await unary(client, { id: '1' });
    expect(first.response).toEqual({ text: 'cached (server-fault)' });
    expect(isDegraded(first.status)).toBe(true);
    expect(server.calls.unary).toBe(3); // three attempts, one fallback
    await sleep(5); // opossum counts failures in promise callbacks
    expect(breaker.registry.snapshot()[0]).toMatchObject({ state: 'closed', calls: 3, failures: 3 });

    // The second call's first attempt is the breaker's 4th failure: it opens; the retry's next
    // attempt is refused locally, the retry stops, the fallback answers.
    const second = await unary(client, { id: '2' });
    await sleep(5);
    expect(second.response).toEqual({ text: 'cached (breaker-open)' });
    expect(breaker.registry.snapshot()[0].state).toBe('open');
    const sentSoFar = server.calls.unary;
    expect(sentSoFar).toBe(4);

    const third = await unary(client, { id: '3' });
    expect(third.response).toEqual({ text: 'cached (breaker-open)' });
    expect(server.calls.unary).toBe(sentSoFar); // nothing sent while open
    expect(events.filter((e): e is FallbackEvent => e.type === 'fallback').map((e) => e.succeeded)).toEqual([true, true, true]);
    expect(events.some((e) => e.type === 'give-up' && e.reason === 'breaker-open')).toBe(true);
  });
});
