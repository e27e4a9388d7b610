import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { UserServiceService } from '../../examples/gen/example/users/v1/users';
import { withResilience, resilienceCallOptions } from '../../src/options/call-options';
import { createRetryBudget } from '../../src/retry/budget';
import { readServices, type ServiceSource } from '../../src/internal/services';
import { resolveRetryOptions } from '../../src/retry/options';
import { DEFAULT_RETRY_POLICY } from '../../src/retry/policy';
import { retryClientInterceptor } from '../../src/retry/interceptor';
import { EchoService } from '../helpers';

const GET_USER = '/example.users.v1.UserService/GetUser';
const RENAME_USER = '/example.users.v1.UserService/RenameUser';

function loadUsers() {
  return protoLoader.loadSync('example/users/v1/users.proto', { includeDirs: ['proto'] });
}

/** The proto idempotency of the methods of `services`, as the retry options read it. */
function protoIdempotency(services: ServiceSource | readonly ServiceSource[]): (path: string) => boolean {
  const known = readServices(services, 'retry.service');
  return (path) => known?.isIdempotent(path) === true;
}

describe('proto idempotency_level', () => {
  it('proto-loader puts it in options.idempotency_level as the enum name', () => {
    const service = loadUsers()['example.users.v1.UserService'] as protoLoader.ServiceDefinition;
    expect(service.GetUser.options).toMatchObject({ idempotency_level: 'NO_SIDE_EFFECTS' });
    expect(service.RenameUser.options).toMatchObject({ idempotency_level: 'IDEMPOTENCY_UNKNOWN' });
  });

  it('reads a proto-loader service definition', () => {
    const service = loadUsers()['example.users.v1.UserService'];
    const idempotent = protoIdempotency(service as never);
    expect(idempotent(GET_USER)).toBe(true);
    expect(idempotent(RENAME_USER)).toBe(false);
  });

  it('reads a whole proto-loader package definition and a loaded package (client constructors)', () => {
    const definition = loadUsers();
    expect(protoIdempotency(definition)(GET_USER)).toBe(true); // no cast: the type accepts it
    const loaded = grpc.loadPackageDefinition(definition) as never as { example: { users: { v1: { UserService: unknown } } } };
    expect(protoIdempotency(loaded.example.users.v1.UserService as never)(GET_USER)).toBe(true);
    expect(protoIdempotency(loaded as never)(GET_USER)).toBe(true);
  });

  it('reads ts-proto generic definitions (options.idempotencyLevel) and numeric levels', () => {
    const generic = {
      name: 'UserService',
      fullName: 'example.users.v1.UserService',
      methods: {
        getUser: { name: 'GetUser', options: { idempotencyLevel: 'NO_SIDE_EFFECTS' } },
        renameUser: { name: 'RenameUser', options: {} },
      },
    };
    expect(protoIdempotency(generic)(GET_USER)).toBe(true);
    expect(protoIdempotency(generic)(RENAME_USER)).toBe(false);
    const numeric = { put: { path: '/pkg.S/Put', options: { idempotency_level: 2 } }, get: { path: '/pkg.S/Get', options: { idempotency_level: 1 } } };
    expect(protoIdempotency(numeric)('/pkg.S/Put')).toBe(true);
    expect(protoIdempotency(numeric)('/pkg.S/Get')).toBe(true);
  });

  it('ts-proto grpc-js definitions carry no method options: nothing is idempotent unless declared', () => {
    const idempotent = protoIdempotency(UserServiceService);
    expect(idempotent(GET_USER)).toBe(false);
    const policy = resolveRetryOptions({ service: UserServiceService, methods: { [GET_USER]: { idempotent: true } } });
    expect(policy.policyFor(GET_USER).idempotent).toBe(true);
    expect(policy.policyFor(RENAME_USER).idempotent).toBe(false);
  });

  it('rejects something that is not a definition, naming the option', () => {
    expect(() => protoIdempotency(42 as never)).toThrow('retry.service must be a service definition');
    expect(() => protoIdempotency({ a: 1 } as never)).toThrow('retry.service has no methods');
    expect(() => protoIdempotency([EchoService, {}] as never)).toThrow('retry.service[1] has no methods');
  });
});

describe('resolveRetryOptions', () => {
  it('defaults', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxAttempts: 3,
      initialBackoffMs: 100,
      maxBackoffMs: 5_000,
      multiplier: 2,
      jitter: 'full',
      perAttemptTimeoutMs: Infinity,
      maxPushbackMs: 30_000,
      idempotent: false,
    });
    const resolved = resolveRetryOptions();
    expect(resolved.policyFor('/a.B/C')).toEqual(DEFAULT_RETRY_POLICY);
    expect(resolved.budgetFor('dns:a:1')?.snapshot().tokens).toBe(10);
    // One budget per target, kept across calls.
    expect(resolved.budgetFor('dns:a:1')).toBe(resolved.budgetFor('dns:a:1'));
    expect(resolved.budgetFor('dns:b:1')).not.toBe(resolved.budgetFor('dns:a:1'));
    expect(resolved.bufferMaxBytes).toBe(0);
  });

  it('layers: global → service → method; explicit idempotency beats the proto option', () => {
    const resolved = resolveRetryOptions({
      maxAttempts: 4,
      service: [loadUsers()['example.users.v1.UserService'] as never, { read: { path: '/other.S/Read' }, write: { path: '/other.S/Write' } }],
      methods: {
        'example.users.v1.UserService': { initialBackoffMs: 50 },
        [RENAME_USER]: { maxAttempts: 2 },
        '/other.S/*': { idempotent: true },
        '/other.S/Write': { idempotent: false },
      },
    });
    expect(resolved.policyFor(GET_USER)).toMatchObject({ maxAttempts: 4, initialBackoffMs: 50, idempotent: true });
    expect(resolved.policyFor(RENAME_USER)).toMatchObject({ maxAttempts: 2, initialBackoffMs: 50, idempotent: false });
    expect(resolved.policyFor('/other.S/Read').idempotent).toBe(true);
    expect(resolved.policyFor('/other.S/Write').idempotent).toBe(false);
    expect(resolveRetryOptions({ idempotent: true, methods: { [RENAME_USER]: { idempotent: false } } }).policyFor(RENAME_USER).idempotent).toBe(false);
  });

  it('maxAttempts: integers 1..10, counting the first attempt', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(
      'retry.maxAttempts must be between 1 and 10; got 0 (it counts the first attempt: 1 turns retries off)',
    );
    expect(() => resolveRetryOptions({ maxAttempts: -3 })).toThrow('retry.maxAttempts must be between 1 and 10; got -3');
    expect(() => resolveRetryOptions({ maxAttempts: Number.NaN })).toThrow('retry.maxAttempts must be a finite number between 1 and 10; got NaN');
    expect(() => resolveRetryOptions({ maxAttempts: 1e6 })).toThrow('retry.maxAttempts must be between 1 and 10; got 1000000');
    expect(() => resolveRetryOptions({ maxAttempts: 2.5 })).toThrow('retry.maxAttempts must be a whole number between 1 and 10; got 2.5');
    expect(() => resolveRetryOptions({ maxAttempts: '3' as never })).toThrow('retry.maxAttempts must be a finite number between 1 and 10; got "3"');
    expect(() => resolveRetryOptions({ maxAttempts: Infinity })).toThrow('retry.maxAttempts must be a finite number');
    expect(resolveRetryOptions({ maxAttempts: 1 }).policyFor('/a.B/C').maxAttempts).toBe(1);
    expect(resolveRetryOptions({ maxAttempts: 10 }).policyFor('/a.B/C').maxAttempts).toBe(10);
  });

  it('backoff and timeout options are range-checked with their names', () => {
    expect(() => resolveRetryOptions({ initialBackoffMs: 0 })).toThrow('retry.initialBackoffMs must be between 1 and 60000; got 0');
    expect(() => resolveRetryOptions({ maxBackoffMs: -1 })).toThrow('retry.maxBackoffMs must be between 1 and 300000; got -1');
    expect(() => resolveRetryOptions({ multiplier: 0.5 })).toThrow('retry.multiplier must be between 1 and 10; got 0.5');
    expect(() => resolveRetryOptions({ jitter: 'random' as never })).toThrow(
      "retry.jitter must be one of 'full', 'equal', 'decorrelated', 'none'; got \"random\"",
    );
    expect(() => resolveRetryOptions({ perAttemptTimeoutMs: 0 })).toThrow('retry.perAttemptTimeoutMs must be milliseconds between 1 and');
    expect(() => resolveRetryOptions({ initialBackoffMs: 2_000, maxBackoffMs: 1_000 })).toThrow(
      'retry: maxBackoffMs (1000) must be at least initialBackoffMs (2000)',
    );
    expect(() => resolveRetryOptions({ methods: { '/a.B/C': { initialBackoffMs: 9_000 } } })).toThrow(
      'retry.methods["/a.B/C"]: maxBackoffMs (5000) must be at least initialBackoffMs (9000)',
    );
    expect(() => resolveRetryOptions({ idempotent: 'yes' as never })).toThrow('retry.idempotent must be true or false; got "yes"');
  });

  it('other options', () => {
    expect(() => resolveRetryOptions({ maxAttemps: 3 } as never)).toThrow('retry: unknown option "maxAttemps"; allowed: maxAttempts');
    expect(() => resolveRetryOptions({ methods: { 'a/b': {} } })).toThrow('retry.methods: "a/b" is neither a method path');
    expect(() => resolveRetryOptions({ methods: { '/a.B/C': { maxAttempts: 0 } } })).toThrow('retry.methods["/a.B/C"].maxAttempts must be between 1 and 10');
    expect(() => resolveRetryOptions({ bufferClientStreams: {} as never })).toThrow('retry.bufferClientStreams.maxBytes is required');
    expect(() => resolveRetryOptions({ bufferClientStreams: { maxBytes: 0 } })).toThrow('retry.bufferClientStreams.maxBytes must be between 1 and');
    expect(() => resolveRetryOptions({ budget: { maxTokens: 2_000 } })).toThrow('retry.budget.maxTokens must be between 0 and 1000; got 2000');
    expect(() => resolveRetryOptions({ onEvent: 'log' as never })).toThrow('retry.onEvent must be a function');
    expect(() => resolveRetryOptions({ target: '' })).toThrow('retry.target must be a non-empty string');
    expect(() => retryClientInterceptor({ statusTable: { overrides: { BOGUS: {} } } })).toThrow('"BOGUS" is not a gRPC status code');
    expect(resolveRetryOptions({ budget: false }).budgetFor('dns:a:1')).toBeUndefined();
    const shared = createRetryBudget();
    const resolved = resolveRetryOptions({ budget: shared });
    expect(resolved.budgetFor('dns:a:1')).toBe(shared);
    expect(resolved.budgetFor('dns:b:1')).toBe(shared);
  });
});

describe('withResilience({ retry })', () => {
  it('carries validated per-call retry settings, merged over earlier ones; false disables', () => {
    const first = withResilience({ deadline: 5 }, { retry: { maxAttempts: 5 } });
    const second = withResilience(first, { retry: { jitter: 'none' } });
    expect(resilienceCallOptions(second)?.retry).toEqual({ maxAttempts: 5, jitter: 'none' });
    expect(second.deadline).toBe(5);
    expect(resilienceCallOptions(withResilience(second, { retry: false }))?.retry).toBe(false);
  });

  it('rejects invalid per-call settings with a message naming them', () => {
    expect(() => withResilience({}, { retry: { maxAttempts: 0 } })).toThrow('withResilience: retry.maxAttempts must be between 1 and 10; got 0');
    expect(() => withResilience({}, { retry: { bogus: 1 } as never })).toThrow('withResilience: retry: unknown option "bogus"');
  });
});
