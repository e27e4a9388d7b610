/**
 * A server with the stack.   npx tsx examples/server.ts
 *
 * `serverInterceptors()` gives every call a trace id and call context, sheds calls that arrive
 * with no time left, and turns every failure into a safe status. `wrapService()` lets handlers be
 * async: a thrown error or rejected promise becomes a status, never a hung call. The script
 * starts the server on 127.0.0.1, calls it with a plain grpc-js client (no client stack) to show
 * what callers see, and exits.
 */
import * as grpc from '@grpc/grpc-js';
// In your project: from 'grpc-resilience'.
import { currentCallContext, describeServiceError, PublicError, serverInterceptors, wrapService } from '../src';
import { UserServiceClient, UserServiceService, type User } from './gen/example/users/v1/users';

const users = new Map<string, User>([['7', { id: '7', name: 'Ada', email: 'ada@example.com' }]]);

const handlers = wrapService(UserServiceService, {
  async getUser(call) {
    const { id } = call.request;
    if (id === 'crash') throw new Error('connection to postgres://app:hunter2@db.internal refused'); // a bug: stays in the log
    const user = users.get(id);
    if (!user) throw new PublicError('NOT_FOUND', `user ${id} not found`, { reason: 'USER_NOT_FOUND' }); // a decision: sent as is
    return { user };
  },
  async renameUser(_call) {
    // The call context: trace id, deadline, and a signal that aborts when the caller gives up.
    const { traceId, signal } = currentCallContext()!;
    console.log(`  [handler] renameUser, trace id ${traceId}: waiting on a slow database…`);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 2_000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
    throw new Error('unreachable in this example: the caller gave up first');
  },
});

async function main(): Promise<void> {
  const server = new grpc.Server({
    interceptors: serverInterceptors({
      errors: { domain: 'users.example.com' },
      // Each failed call is logged once, with the original error (pino or console work too).
      logger: (entry) => console.log(`  [server log] ${entry.level}: ${entry.msg}${'err' in entry ? ` — ${String(entry.err)}` : ''}`),
    }),
  });
  server.addService(UserServiceService, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );

  const client = new UserServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (label: string, run: (done: (error: grpc.ServiceError | null, value?: unknown) => void) => void) =>
    new Promise<void>((resolve) =>
      run((error, value) => {
        if (error) {
          const { codeName, message, reason, traceId } = describeServiceError(error);
          const extra = [reason && `reason ${reason}`, traceId && `trace id ${traceId}`].filter(Boolean).join(', ');
          console.log(`${label} → ${codeName}: "${message}"${extra ? ` (${extra})` : ''}\n`);
        } else {
          console.log(`${label} → OK ${JSON.stringify(value)}\n`);
        }
        resolve();
      }),
    );

  await call('GetUser 7', (done) => client.getUser({ id: '7' }, done));
  await call('GetUser 8', (done) => client.getUser({ id: '8' }, done));
  await call('GetUser crash', (done) => client.getUser({ id: 'crash' }, done));
  await call('RenameUser with a 200 ms deadline', (done) =>
    client.renameUser({ id: '7', name: 'Grace' }, new grpc.Metadata(), { deadline: Date.now() + 200 }, done),
  );

  client.close();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
