import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { clientInterceptors, decodeErrorDetails, type ClientStack, type ResilienceEvent } from '../../src';
import { faultInjector, type FaultInjector } from '../../src/testing';
import { ProfileServiceClient, type GetProfileResponse } from '../../examples/gen/example/profile/v1/profile';
import type { LogLine } from '../../examples/services/log';
import { DEFAULT_PREFERENCES, storedPreferences } from '../../examples/services/preferences';
import { startProfileSystem, type ProfileSystem } from '../../examples/services/system';
import { isServiceError, unary } from '../../examples/services/unary';
import { CORRUPT_USER_ID, FAKE_SECRET } from '../../examples/services/users';

let system: ProfileSystem | undefined;
let client: ProfileServiceClient | undefined;
let stack: ClientStack | undefined;
const injectors: FaultInjector[] = [];

afterEach(async () => {
  client?.close();
  stack?.dispose();
  for (const injector of injectors.splice(0)) injector.dispose();
  await system?.close();
  system = client = stack = undefined;
});

interface Setup {
  readonly lines: LogLine[];
  readonly events: ResilienceEvent[];
  readonly users: FaultInjector;
  readonly preferences: FaultInjector;
}

async function setup(): Promise<Setup> {
  const lines: LogLine[] = [];
  const events: ResilienceEvent[] = [];
  const users = faultInjector({ seed: 1 });
  const preferences = faultInjector({ seed: 2 });
  injectors.push(users, preferences);
  system = await startProfileSystem({
    log: (line) => lines.push(line),
    logs: { clientLevels: { OK: 'debug' }, serverLevels: { OK: 'debug' } },
    usersInterceptors: [users.interceptor],
    preferencesInterceptors: [preferences.interceptor],
    onEvent: (event) => events.push(event),
    breaker: { volumeThreshold: 4, resetTimeoutMs: 60_000 },
  });
  stack = clientInterceptors({ deadline: { defaultTimeoutMs: 2_000 } });
  client = new ProfileServiceClient(system.addresses.profile, grpc.credentials.createInsecure(), { interceptors: stack });
  return { lines, events, users, preferences };
}

async function getProfile(userId: string): Promise<GetProfileResponse> {
  return (await unary(client!.getProfile.bind(client!), { userId })).response;
}

async function getProfileError(userId: string): Promise<grpc.ServiceError> {
  try {
    await getProfile(userId);
  } catch (error) {
    if (isServiceError(error)) return error;
    throw error;
  }
  throw new Error(`GetProfile(${userId}) succeeded`);
}

/** Everything a caller can read from a failed call, as one string. */
function everythingReceived(error: grpc.ServiceError): string {
  const metadata = Object.entries(error.metadata.getMap()).map(([key, value]) =>
    `${key}=${Buffer.isBuffer(value) ? value.toString('latin1') : value}`,
  );
  return [error.message, error.details, ...metadata, JSON.stringify(decodeErrorDetails(error))].join('\n');
}

describe('the profile example', () => {
  it('joins the user and their preferences; one trace id runs through all three services', async () => {
    const { lines } = await setup();
    const response = await getProfile('u-007');
    expect(response.profile).toMatchObject({
      user: { id: 'u-007' },
      preferences: storedPreferences('u-007'),
      degraded: false,
    });
    const built = lines.find((line) => line.msg === 'profile built');
    expect(built?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const services = new Set(lines.filter((line) => line.trace_id === built?.trace_id).map((line) => line.service));
    expect([...services].sort()).toEqual(['preferences', 'profile', 'users']);
  });

  it('a preferences outage degrades to the defaults, flagged degraded; the breaker then answers locally', async () => {
    const { events, preferences } = await setup();
    preferences.down();
    for (let i = 0; i < 6; i++) {
      const { profile } = await getProfile('u-002');
      expect(profile?.degraded).toBe(true);
      expect(profile?.preferences).toEqual(DEFAULT_PREFERENCES);
      expect(profile?.user?.id).toBe('u-002');
    }
    expect(events.filter((e) => e.type === 'fallback' && e.succeeded).length).toBe(6);
    expect(events.some((e) => e.type === 'breaker-state' && e.to === 'open')).toBe(true);
    expect(events.some((e) => e.type === 'fallback' && e.reason === 'breaker-open')).toBe(true);
  });

  it('an unknown user is NOT_FOUND for the profile caller, with its reason', async () => {
    await setup();
    const error = await getProfileError('u-999');
    expect(error.code).toBe(grpc.status.NOT_FOUND);
    expect(error.details).toBe('no profile: user u-999 does not exist');
    expect(decodeErrorDetails(error).errorInfo?.reason).toBe('USER_NOT_FOUND');
  });

  it('an internal bug in the user service reaches the caller as INTERNAL with a trace id and nothing else', async () => {
    const { lines } = await setup();
    const error = await getProfileError(CORRUPT_USER_ID);
    const traceId = error.metadata.get('x-trace-id')[0];
    expect(error.code).toBe(grpc.status.INTERNAL);
    expect(error.details).toBe(`Internal error (trace id ${traceId})`);
    expect(decodeErrorDetails(error).requestInfo?.requestId).toBe(traceId);
    expect(everythingReceived(error)).not.toContain(FAKE_SECRET);
    expect(everythingReceived(error)).not.toContain('postgres');
    // The secret stays in the user service's own error log, under the same trace id.
    const logged = lines.filter((line) => JSON.stringify(line).includes(FAKE_SECRET));
    expect(logged.length).toBeGreaterThan(0);
    expect(new Set(logged.map((line) => line.service))).toEqual(new Set(['users']));
    expect(logged.every((line) => line.trace_id === traceId)).toBe(true);
  });

  it('a user service outage is UNAVAILABLE for the caller (retryable), without naming the dependency', async () => {
    const { users } = await setup();
    users.down();
    const error = await getProfileError('u-003');
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
    expect(error.details).toMatch(/^A dependency is unavailable \(trace id [0-9a-f]{32}\)$/);
    expect(everythingReceived(error)).not.toContain('injected outage');
  });

  it('retries hide a flaky user service from the caller', async () => {
    const { users, events } = await setup();
    // Seeded: the same attempts fail on every run (about one in four).
    users.setRules({ '/example.users.v1.UserService/GetUser': { error: { rate: 0.25, codes: 'UNAVAILABLE' } } });
    for (let n = 1; n <= 8; n++) {
      const { profile } = await getProfile(`u-00${n}`);
      expect(profile?.user?.id).toBe(`u-00${n}`);
    }
    expect(users.stats().total.errors).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'retry' && e.method.endsWith('/GetUser')).length).toBe(users.stats().total.errors);
  });
});
