import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { PublicError, isPublicError } from '../../src/errors';

describe('PublicError: codes and message', () => {
  it('accepts every non-OK code by number and by name', () => {
    for (let code = 1; code <= 16; code++) {
      expect(new PublicError(code, 'm').code).toBe(code);
    }
    const e = new PublicError('not_found', 'user not found');
    expect(e.code).toBe(grpc.status.NOT_FOUND);
    expect(e.codeName).toBe('NOT_FOUND');
    expect(e.message).toBe('user not found');
    expect(e.name).toBe('PublicError');
    expect(e).toBeInstanceOf(Error);
    expect(e.errorDetails).toEqual([]);
  });

  it.each([0, 17, -1, 1.5, NaN, 'OK', 'NOPE', '5', undefined, null])('rejects code %s', (code) => {
    expect(() => new PublicError(code as number, 'm')).toThrow(/code must be a gRPC status code from 1 to 16/);
  });

  it('requires a non-empty message', () => {
    expect(() => new PublicError(5, '')).toThrow(/message must be a non-empty string/);
    expect(() => new PublicError(5, 42 as unknown as string)).toThrow(/message/);
  });

  it('keeps a cause for the log', () => {
    const cause = new Error('db row missing');
    expect(new PublicError(5, 'not found', undefined, { cause }).cause).toBe(cause);
  });

  it('is recognised across package copies by a shared brand, and subclasses still work', () => {
    const foreign = Object.create({ [Symbol.for('grpc-resilience.PublicError')]: true }) as object;
    expect(isPublicError(foreign)).toBe(true);
    expect(foreign instanceof PublicError).toBe(true);
    expect(isPublicError(new Error('x'))).toBe(false);
    expect(isPublicError({ code: 5, message: 'x' })).toBe(false);
    expect(isPublicError(null)).toBe(false);
    class NotFound extends PublicError {
      constructor() {
        super('NOT_FOUND', 'not found');
      }
    }
    expect(new NotFound()).toBeInstanceOf(NotFound);
    expect(new PublicError(5, 'x') instanceof NotFound).toBe(false);
    expect(isPublicError(new NotFound())).toBe(true);
  });
});

describe('PublicError: details', () => {
  it('builds complete typed details from every friendly shape', () => {
    const e = new PublicError(grpc.status.INVALID_ARGUMENT, 'bad request', [
      { reason: 'EMAIL_INVALID', domain: 'users.example.com', metadata: { field: 'email', maxLength: '64' } },
      { fieldViolations: [{ field: 'user.email', description: 'not an address', reason: 'BAD_FORMAT' }] },
      { retryDelayMs: 1500 },
      { preconditionViolations: [{ type: 'TOS', subject: 'user:1', description: 'terms not accepted' }] },
      { quotaViolations: [{ subject: 'project:1', description: 'daily limit', quotaValue: 100, futureQuotaValue: 200 }] },
      { resourceType: 'user', resourceName: 'users/1' },
      { locale: 'en-US', message: 'Please check your e-mail address.' },
      { links: [{ description: 'docs', url: 'https://example.com/errors' }] },
    ]);
    expect(e.errorDetails.map((d) => d.type)).toEqual([
      'ErrorInfo',
      'BadRequest',
      'RetryInfo',
      'PreconditionFailure',
      'QuotaFailure',
      'ResourceInfo',
      'LocalizedMessage',
      'Help',
    ]);
    expect(e.errorDetails[0].value).toEqual({ reason: 'EMAIL_INVALID', domain: 'users.example.com', metadata: { field: 'email', maxLength: '64' } });
    expect(e.errorDetails[1].value).toEqual({
      fieldViolations: [{ field: 'user.email', description: 'not an address', reason: 'BAD_FORMAT', localizedMessage: undefined }],
    });
    expect(e.errorDetails[2].value).toEqual({ retryDelay: { seconds: 1, nanos: 500_000_000 } });
    expect(e.errorDetails[4].value).toEqual({
      violations: [
        {
          subject: 'project:1',
          description: 'daily limit',
          apiService: '',
          quotaMetric: '',
          quotaId: '',
          quotaDimensions: {},
          quotaValue: 100,
          futureQuotaValue: 200,
        },
      ],
    });
    expect(e.errorDetails[5].value).toEqual({ resourceType: 'user', resourceName: 'users/1', owner: '', description: '' });
    expect(Object.isFrozen(e.errorDetails)).toBe(true);
  });

  it('accepts a single detail and typed { type, value } details', () => {
    expect(new PublicError(5, 'x', { reason: 'USER_NOT_FOUND' }).errorDetails).toEqual([
      { type: 'ErrorInfo', value: { reason: 'USER_NOT_FOUND', domain: '', metadata: {} } },
    ]);
    const typed = new PublicError(14, 'x', [
      { type: 'RetryInfo', value: { retryDelay: { seconds: 2, nanos: 0 } } },
      { type: 'ErrorInfo', value: { reason: 'OVERLOADED', domain: 'd', metadata: {} } },
    ]);
    expect(typed.errorDetails).toEqual([
      { type: 'RetryInfo', value: { retryDelay: { seconds: 2, nanos: 0 } } },
      { type: 'ErrorInfo', value: { reason: 'OVERLOADED', domain: 'd', metadata: {} } },
    ]);
  });

  it.each([
    ['lowercase', 'user_not_found'],
    ['leading digit', '1USER'],
    ['trailing underscore', 'USER_'],
    ['too short', 'AB'.slice(0, 1)],
    ['spaces', 'USER NOT FOUND'],
    ['64 characters', 'A'.repeat(64)],
    ['empty', ''],
  ])('rejects an ErrorInfo reason that is not UPPER_SNAKE_CASE ≤ 63 (%s)', (_label, reason) => {
    expect(() => new PublicError(5, 'x', { reason })).toThrow(/reason/);
  });

  it('accepts a 63-character reason', () => {
    expect(() => new PublicError(5, 'x', { reason: 'A'.repeat(63) })).not.toThrow();
  });

  it.each([
    [{ reason: 'OK_REASON', metadata: { 'Bad Key': 'v' } }, /lowerCamelCase/],
    [{ reason: 'OK_REASON', metadata: { key: 5 } }, /metadata\.key must be a string/],
    [{ reason: 'OK_REASON', reasn: 'typo' }, /PublicError details: unknown option "reasn"; allowed: reason, domain, metadata/],
    [{ fieldViolations: [] }, /non-empty array/],
    [{ fieldViolations: [{ field: '', description: 'd' }] }, /field must be a non-empty string/],
    [{ fieldViolations: [{ field: 'f', description: 'd', reason: 'lower' }] }, /reason/],
    [{ retryDelayMs: -1 }, /retryDelayMs/],
    [{ retryDelayMs: Infinity }, /retryDelayMs/],
    [{ quotaViolations: [{ subject: 's', description: 'd', quotaValue: 1.5 }] }, /quotaValue must be a whole number/],
    [{ links: [{ description: 'd', url: 'not a url' }] }, /absolute URL/],
    [{ locale: '', message: 'm' }, /locale/],
    [{ type: 'DebugInfo', value: { stackEntries: [], detail: '' } }, /DebugInfo and RequestInfo are added by the translator/],
    [{ type: 'RequestInfo', value: { requestId: 'x', servingData: '' } }, /DebugInfo and RequestInfo/],
    [{ something: 1 }, /exactly one detail/],
    [{ reason: 'A_B', links: [] }, /exactly one detail/],
    ['text', /must be an object/],
  ])('rejects invalid detail %#', (detail, message) => {
    expect(() => new PublicError(3, 'x', detail as never)).toThrow(message);
  });

  it('allows each detail type at most once', () => {
    expect(() => new PublicError(3, 'x', [{ reason: 'ONE_X' }, { reason: 'TWO_X' }])).toThrow(/ErrorInfo given more than once/);
  });

  it('names the offending position in a list', () => {
    expect(() => new PublicError(3, 'x', [{ reason: 'GOOD' }, { retryDelayMs: -5 }])).toThrow(/details\[1\]\.retryDelayMs/);
  });
});
