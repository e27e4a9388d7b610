import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { STATUS_DETAILS_KEY, decodeRichStatus, encodeRichStatus, type ErrorDetail } from '../../src/details';
import { PublicError, decodeErrorDetails, describeServiceError } from '../../src/errors';

// Reference encoder: protobufjs reflection built from our own .proto files, independent of ts-proto.
const root = protobuf.loadSync([
  path.join(__dirname, '../../proto/google/rpc/status.proto'),
  path.join(__dirname, '../../proto/google/rpc/error_details.proto'),
]);
const StatusType = root.lookupType('google.rpc.Status');

function referenceBytes(code: number, message: string, details: ReadonlyArray<{ type: string; fields: object }>): Buffer {
  const anys = details.map((d) => {
    const type = root.lookupType(`google.rpc.${d.type}`);
    const problem = type.verify(d.fields);
    if (problem) throw new Error(`reference fixture for ${d.type} is wrong: ${problem}`);
    // The bundled google/protobuf/any.proto descriptor keeps the proto field name `type_url`.
    return { type_url: `type.googleapis.com/google.rpc.${d.type}`, value: type.encode(type.fromObject(d.fields)).finish() };
  });
  return Buffer.from(StatusType.encode(StatusType.fromObject({ code, message, details: anys })).finish());
}

/** Every detail type, every field set to a non-default value, in both our shape and protobufjs' shape. */
const FIXTURES: ReadonlyArray<{ detail: ErrorDetail; fields: object }> = [
  {
    detail: { type: 'ErrorInfo', value: { reason: 'USER_NOT_FOUND', domain: 'users.example.com', metadata: { userId: '42', region: 'eu' } } },
    fields: { reason: 'USER_NOT_FOUND', domain: 'users.example.com', metadata: { userId: '42', region: 'eu' } },
  },
  {
    detail: { type: 'RetryInfo', value: { retryDelay: { seconds: 3, nanos: 250_000_000 } } },
    fields: { retryDelay: { seconds: 3, nanos: 250_000_000 } },
  },
  {
    detail: { type: 'DebugInfo', value: { stackEntries: ['at a (a.ts:1)', 'at b (b.ts:2)'], detail: 'boom' } },
    fields: { stackEntries: ['at a (a.ts:1)', 'at b (b.ts:2)'], detail: 'boom' },
  },
  {
    detail: {
      type: 'QuotaFailure',
      value: {
        violations: [
          {
            subject: 'project:7',
            description: 'daily limit',
            apiService: 'users.example.com',
            quotaMetric: 'reads',
            quotaId: 'ReadsPerDay',
            quotaDimensions: { region: 'eu' },
            quotaValue: 1000,
            futureQuotaValue: 2000,
          },
        ],
      },
    },
    fields: {
      violations: [
        {
          subject: 'project:7',
          description: 'daily limit',
          apiService: 'users.example.com',
          quotaMetric: 'reads',
          quotaId: 'ReadsPerDay',
          quotaDimensions: { region: 'eu' },
          quotaValue: 1000,
          futureQuotaValue: 2000,
        },
      ],
    },
  },
  {
    detail: { type: 'PreconditionFailure', value: { violations: [{ type: 'TOS', subject: 'user:1', description: 'terms not accepted' }] } },
    fields: { violations: [{ type: 'TOS', subject: 'user:1', description: 'terms not accepted' }] },
  },
  {
    detail: {
      type: 'BadRequest',
      value: {
        fieldViolations: [
          { field: 'user.email', description: 'not an address', reason: 'BAD_FORMAT', localizedMessage: { locale: 'de', message: 'ungültig' } },
          { field: 'user.name', description: 'too long', reason: 'TOO_LONG', localizedMessage: { locale: 'fr', message: 'trop long' } },
        ],
      },
    },
    fields: {
      fieldViolations: [
        { field: 'user.email', description: 'not an address', reason: 'BAD_FORMAT', localizedMessage: { locale: 'de', message: 'ungültig' } },
        { field: 'user.name', description: 'too long', reason: 'TOO_LONG', localizedMessage: { locale: 'fr', message: 'trop long' } },
      ],
    },
  },
  {
    detail: { type: 'RequestInfo', value: { requestId: '4bf92f3577b34da6a3ce929d0e0e4736', servingData: 'shard-3' } },
    fields: { requestId: '4bf92f3577b34da6a3ce929d0e0e4736', servingData: 'shard-3' },
  },
  {
    detail: { type: 'ResourceInfo', value: { resourceType: 'user', resourceName: 'users/42', owner: 'team-a', description: 'missing' } },
    fields: { resourceType: 'user', resourceName: 'users/42', owner: 'team-a', description: 'missing' },
  },
  {
    detail: { type: 'Help', value: { links: [{ description: 'error docs', url: 'https://example.com/errors#x' }] } },
    fields: { links: [{ description: 'error docs', url: 'https://example.com/errors#x' }] },
  },
  {
    detail: { type: 'LocalizedMessage', value: { locale: 'en-GB', message: 'Something went wrong, sorry.' } },
    fields: { locale: 'en-GB', message: 'Something went wrong, sorry.' },
  },
];

describe('google.rpc.Status encoding matches the canonical wire format (protobufjs reference)', () => {
  it.each(FIXTURES.map((f) => [f.detail.type, f] as const))('%s: same bytes, and decodes back equal', (_type, fixture) => {
    const ours = encodeRichStatus(grpc.status.FAILED_PRECONDITION, 'message ✓', [fixture.detail]);
    const reference = referenceBytes(grpc.status.FAILED_PRECONDITION, 'message ✓', [{ type: fixture.detail.type, fields: fixture.fields }]);
    expect(ours.toString('hex')).toBe(reference.toString('hex'));
    const decoded = decodeRichStatus(reference);
    expect(decoded.details).toEqual([fixture.detail]);
    expect(decoded.unknownDetails).toEqual([]);
  });

  it('a status with all ten detail types at once', () => {
    const ours = encodeRichStatus(grpc.status.INVALID_ARGUMENT, 'all', FIXTURES.map((f) => f.detail));
    const reference = referenceBytes(grpc.status.INVALID_ARGUMENT, 'all', FIXTURES.map((f) => ({ type: f.detail.type, fields: f.fields })));
    expect(ours.equals(reference)).toBe(true);
    // protobufjs decodes ours identically (the other direction).
    const back = StatusType.toObject(StatusType.decode(ours), { longs: Number }) as { code: number; details: unknown[] };
    expect(back.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(back.details).toHaveLength(FIXTURES.length);
  });

  it('PublicError friendly inputs produce the reference bytes', () => {
    const e = new PublicError(grpc.status.RESOURCE_EXHAUSTED, 'slow down', [
      { reason: 'RATE_LIMITED', domain: 'api.example.com', metadata: { limit: '10' } },
      { retryDelayMs: 2500 },
    ]);
    const reference = referenceBytes(grpc.status.RESOURCE_EXHAUSTED, 'slow down', [
      { type: 'ErrorInfo', fields: { reason: 'RATE_LIMITED', domain: 'api.example.com', metadata: { limit: '10' } } },
      { type: 'RetryInfo', fields: { retryDelay: { seconds: 2, nanos: 500_000_000 } } },
    ]);
    expect(encodeRichStatus(e.code, e.message, e.errorDetails).equals(reference)).toBe(true);
  });
});

/** A ServiceError-like value carrying raw details bytes. */
function withDetails(value: unknown, code = grpc.status.INTERNAL): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (value !== undefined) metadata.set(STATUS_DETAILS_KEY, value as Buffer);
  return Object.assign(new Error('x'), { code, details: 'x', metadata });
}

describe('decodeErrorDetails on rogue bytes never throws', () => {
  it('no details: empty lists, nothing malformed', () => {
    const decoded = decodeErrorDetails(withDetails(undefined));
    expect(decoded).toMatchObject({ details: [], unknownDetails: [] });
    expect(decoded.malformed).toBeUndefined();
    for (const input of [undefined, null, 42, 'text', {}, { metadata: 'nope' }, new Error('plain')]) {
      expect(decodeErrorDetails(input).details).toEqual([]);
    }
  });

  it('reads from a Metadata object too, and gives typed accessors', () => {
    const metadata = new grpc.Metadata();
    metadata.set(STATUS_DETAILS_KEY, encodeRichStatus(5, 'nf', FIXTURES.map((f) => f.detail)));
    const decoded = decodeErrorDetails(metadata);
    expect(decoded.status).toEqual({ code: 5, message: 'nf' });
    expect(decoded.errorInfo?.reason).toBe('USER_NOT_FOUND');
    expect(decoded.retryInfo?.retryDelay).toEqual({ seconds: 3, nanos: 250_000_000 });
    expect(decoded.badRequest?.fieldViolations).toHaveLength(2);
    expect(decoded.requestInfo?.requestId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(decoded.help?.links[0].url).toBe('https://example.com/errors#x');
    expect(decoded.localizedMessage?.locale).toBe('en-GB');
    expect(decoded.quotaFailure && decoded.preconditionFailure && decoded.resourceInfo && decoded.debugInfo).toBeTruthy();
  });

  it.each([
    ['a wrong wire type', Buffer.from([0x0f, 0x01])],
    ['a truncated length', Buffer.from([0x1a, 0x7f, 0x01])],
    ['a varint that never ends', Buffer.alloc(12, 0xff)],
    ['a truncated valid status', encodeRichStatus(5, 'a longer message', FIXTURES.map((f) => f.detail)).subarray(0, 40)],
  ])('reports %s as malformed', (_label, bytes) => {
    const decoded = decodeErrorDetails(withDetails(bytes));
    expect(decoded.malformed?.name).toBe('MalformedStatusDetailsError');
    expect(decoded.details).toEqual([]);
  });

  it('keeps a known detail whose bytes do not parse as unknown, and decodes the rest', () => {
    const status = root.lookupType('google.rpc.Status');
    const bytes = status
      .encode(
        status.fromObject({
          code: 14,
          message: 'm',
          details: [
            { type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: Buffer.from([0x0a, 0x7f]) },
            { type_url: 'type.googleapis.com/some.vendor.Thing', value: Buffer.from('opaque') },
            // RetryInfo whose seconds exceed Number.MAX_SAFE_INTEGER: not representable, so not decoded.
            {
              type_url: 'type.googleapis.com/google.rpc.RetryInfo',
              value: Buffer.from([0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            },
            { type_url: 'type.googleapis.com/google.rpc.LocalizedMessage', value: Buffer.from([0x0a, 0x02, 0x65, 0x6e]) },
          ],
        }),
      )
      .finish();
    const decoded = decodeErrorDetails(withDetails(Buffer.from(bytes)));
    expect(decoded.malformed).toBeUndefined();
    expect(decoded.details).toEqual([{ type: 'LocalizedMessage', value: { locale: 'en', message: '' } }]);
    expect(decoded.unknownDetails.map((d) => d.typeUrl)).toEqual([
      'type.googleapis.com/google.rpc.ErrorInfo',
      'type.googleapis.com/some.vendor.Thing',
      'type.googleapis.com/google.rpc.RetryInfo',
    ]);
  });

  it('a details value that is not binary (a look-alike metadata object) is malformed, not a crash', () => {
    const fake = { code: 13, details: 'x', metadata: { get: () => ['not bytes'], getMap: () => ({}) } };
    expect(decodeErrorDetails(fake).malformed).toBeDefined();
    const throwing = { code: 13, details: 'x', metadata: { get: () => { throw new Error('hostile'); } } };
    expect(decodeErrorDetails(throwing).details).toEqual([]);
  });

  it('2,000 random byte strings: every one decodes or is reported malformed', () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let malformed = 0;
    let wrong = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.alloc(1 + Math.floor(next() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(next() * 256);
      // Sometimes start from a valid status and corrupt a byte.
      const input = i % 2 === 0 ? bytes : corrupt(encodeRichStatus(5, 'm', FIXTURES.map((f) => f.detail)), next);
      const decoded = decodeErrorDetails(withDetails(input));
      if (decoded.malformed) malformed++;
      if (!Array.isArray(decoded.details) || describeServiceError(withDetails(input))?.code !== grpc.status.INTERNAL) wrong++;
    }
    expect(wrong).toBe(0);
    expect(malformed).toBeGreaterThan(0);
  });
});

function corrupt(bytes: Buffer, next: () => number): Buffer {
  const copy = Buffer.from(bytes);
  copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
  return copy;
}
