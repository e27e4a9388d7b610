import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  clientInterceptors,
  deadlineServerInterceptor,
  errorTranslationServerInterceptor,
  serverInterceptors,
  wrapService,
  type ServerStackOptions,
} from '../../src';
import { closeAll, echoClient, startEchoServer, unary, type EchoMessage } from '../helpers';

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;

describe('serverInterceptors: errors: false turns the translator off, as false does for the other concerns', () => {
  it('plain handlers then answer as grpc-js does; wrapService handlers stay safe; nothing is logged', async () => {
    const logged: unknown[] = [];
    const server = await startEchoServer(
      {
        unary: (_call: Unary, callback: grpc.sendUnaryData<EchoMessage>) => callback(new Error('plain secret')),
        ...wrapService({
          write: async () => {
            throw new Error('wrapped secret');
          },
        }),
      },
      { interceptors: serverInterceptors({ errors: false, logger: { error: (fields: object) => logged.push(fields) } }) },
    );
    const client = echoClient(server.address);
    try {
      const plain = await unary(client, {});
      expect(plain.status).toMatchObject({ code: grpc.status.UNKNOWN, details: 'plain secret' });
      const wrapped = await unary(client, {}, { method: 'write' });
      expect(wrapped.status.code).toBe(grpc.status.INTERNAL);
      expect(wrapped.status.details).toMatch(/^Internal error \(trace id [0-9a-f]{32}\)$/);
      // The observability logger still sees the calls end, but no translator logs the errors.
      expect(logged).toHaveLength(2);
      expect(logged.every((fields) => (fields as { event?: string }).event === 'call-end')).toBe(true);
    } finally {
      await closeAll(client, server);
    }
  });

  it.each([true, 42, null, 'off'])('errors: %j throws, naming the option', (value) => {
    expect(() => serverInterceptors({ errors: value } as unknown as ServerStackOptions)).toThrow(
      /serverInterceptors options: errors must be an object or false; got /,
    );
  });

  it.each([true, 42, null])('deadline: %j throws, naming the option', (value) => {
    expect(() => serverInterceptors({ deadline: value } as unknown as ServerStackOptions)).toThrow(
      /serverInterceptors options: deadline must be an object or false; got /,
    );
  });
});

describe('options given as null throw errors that name them', () => {
  it.each([
    ['clientInterceptors statusTable', () => clientInterceptors({ statusTable: null as never })],
    ['serverInterceptors statusTable', () => serverInterceptors({ statusTable: null as never })],
    ['errorTranslationServerInterceptor statusTable', () => errorTranslationServerInterceptor({ statusTable: null as never })],
  ])('%s: null', (_name, build) => {
    expect(build).toThrow(/statusTable/);
  });

  it('the server deadline.methods: null', () => {
    expect(() => deadlineServerInterceptor({ methods: null as never })).toThrow(/deadline\.methods must be an object/);
    expect(() => serverInterceptors({ deadline: { methods: null as never } })).toThrow(/deadline\.methods must be an object/);
  });
});
