import * as grpc from '@grpc/grpc-js';
import { format } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientInterceptors, PublicError, serverInterceptors, wrapService } from '../../src';
import { faultInjector } from '../../src/testing';
import { closeAll, echoClient, startEchoServer, unary, type EchoClient, type EchoMessage, type TestServer } from '../helpers';
import { startRogueServer, type RogueServer } from '../helpers/raw-http2';

/**
 * Log forging: text an attacker influences (a request field quoted in an error message, a rogue
 * dependency's percent-decoded `grpc-message`) must not reach the console log or a process warning
 * with raw control characters: a CR or LF starts a forged line, ESC drives the terminal.
 */

const FORGED = 'x\r\n2026-01-01T00:00:00Z INFO admin logged in\u001b[2J\u0085\u2028';
/** What must never appear raw in a line the package writes. */
const RAW_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

type Unary = grpc.ServerUnaryCall<EchoMessage, EchoMessage>;
const LEVELS = ['debug', 'info', 'warn', 'error', 'log'] as const;

/** Everything written through `console`, each call as the text console would print. */
function captureConsole(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const spies = LEVELS.map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(format(...args))),
  );
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

describe('the default console log of failed calls', () => {
  let rogue: RogueServer;
  let toRogue: EchoClient;
  let server: TestServer;
  let client: EchoClient;
  let output: ReturnType<typeof captureConsole>;

  beforeAll(async () => {
    // A dependency whose grpc-message decodes to CR, LF and ESC.
    rogue = await startRogueServer((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '14', 'grpc-message': encodeURIComponent(`down ${FORGED}`) }));
      stream.end();
    });
    toRogue = echoClient(rogue.address);
    server = await startEchoServer(
      wrapService({
        unary: async (call: Unary) => {
          if (call.request.text === 'dependency') {
            return new Promise<EchoMessage>((resolve, reject) =>
              toRogue.unary({}, (error: grpc.ServiceError | null, response?: EchoMessage) => (error ? reject(error) : resolve(response!))),
            );
          }
          // A careless handler quoting a request field in its error.
          throw new Error(`cannot rename to ${String(call.request.text)}`);
        },
      }),
      // No logger given: failed calls go to the console.
      { interceptors: serverInterceptors() },
    );
    client = echoClient(server.address);
  });
  afterAll(() => closeAll(client, server, toRogue, rogue));
  afterEach(() => output.restore());

  it.each([
    ['an error message quoting a request field', FORGED, 'INTERNAL'],
    ['a rogue dependency’s grpc-message', 'dependency', 'UNAVAILABLE'],
  ])('%s is logged on one line, control characters escaped', async (_label, text, codeName) => {
    output = captureConsole();
    const result = await unary(client, { text });
    expect(grpc.status[result.status.code]).toBe(codeName);
    expect(output.lines).toHaveLength(1);
    const [line] = output.lines;
    expect(line).not.toMatch(RAW_CONTROL);
    // Still all there, readable: the message, the escaped text, the trace id.
    expect(line).toContain(`sent ${codeName}`);
    expect(line).toContain('x\\r\\n');
    expect(line).toContain('INFO admin logged in\\u001b[2J');
    expect(line).toContain(result.status.metadata.get('x-trace-id')[0] as string);
  });
});

describe('log lines of the observability options, written to console', () => {
  let server: TestServer;
  let output: ReturnType<typeof captureConsole>;
  beforeAll(async () => {
    server = await startEchoServer(
      wrapService({
        unary: async () => {
          throw new PublicError(grpc.status.UNAVAILABLE, 'busy');
        },
      }),
      { interceptors: serverInterceptors({ errors: { logger: false } }) },
    );
  });
  afterAll(() => server.close());
  afterEach(() => output.restore());

  it('a target name with control characters is escaped in every line', async () => {
    output = captureConsole();
    const stack = clientInterceptors({
      target: `users${FORGED}`,
      logger: console,
      logs: { clientLevels: { OK: 'info' } },
      retry: { maxAttempts: 2, initialBackoffMs: 1, maxBackoffMs: 1 },
      breaker: { volumeThreshold: 1, errorThresholdPercentage: 1 },
    });
    const client = echoClient(server.address, { interceptors: stack });
    try {
      for (let i = 0; i < 3; i++) await unary(client, {});
    } finally {
      client.close();
      stack.dispose();
    }
    expect(output.lines.length).toBeGreaterThanOrEqual(3);
    expect(output.lines.join('\n')).toContain('circuit breaker users');
    for (const line of output.lines) expect(line).not.toMatch(RAW_CONTROL);
  });
});

describe('process warnings', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  beforeAll(() => {
    process.on('warning', onWarning);
  });
  afterAll(() => {
    process.off('warning', onWarning);
  });

  it('quote what a handler, mapper, logger or sampler threw with control characters escaped', async () => {
    const thrown = () => new Error(`boom ${FORGED}`);
    const injector = faultInjector({
      rules: {
        '*': {
          latency: {
            kind: 'custom',
            sample: () => {
              throw thrown();
            },
          },
        },
      },
    });
    const server = await startEchoServer(
      wrapService({
        unary: async () => {
          throw new Error('internal');
        },
      }),
      {
        interceptors: [
          ...serverInterceptors({
            onEvent: () => {
              throw thrown();
            },
            errors: {
              mapError: () => {
                throw thrown();
              },
              logger: () => {
                throw thrown();
              },
            },
          }),
          injector.interceptor,
        ],
      },
    );
    const client = echoClient(server.address);
    try {
      expect((await unary(client, {})).status.code).toBe(grpc.status.INTERNAL);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await closeAll(client, server);
      injector.dispose();
    }
    const texts = warnings.map((w) => w.message);
    for (const what of ['an event handler threw', 'mapError threw', 'the error logger threw', 'a custom latency sampler threw']) {
      const text = texts.find((t) => t.includes(what));
      expect(text, what).toBeDefined();
      expect(text).not.toMatch(RAW_CONTROL);
      expect(text).toContain('boom x\\r\\n2026');
    }
  });
});
