/**
 * The stack with @grpc/proto-loader.   npx tsx examples/proto-loader.ts
 *
 * Loads proto/example/users/v1/users.proto at run time (no generated code). The package
 * definition carries each method's options, so the client stack reads `idempotency_level` from
 * it: GetUser (NO_SIDE_EFFECTS) is retried after an ABORTED (a transaction conflict), RenameUser
 * (no option) is not, because running it twice could rename twice. The script starts a server on
 * 127.0.0.1 whose handlers lose a conflict on their first call, calls both methods, and exits.
 */
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
// In your project: from 'grpc-resilience'.
import { clientInterceptors, describeServiceError, PublicError, serverInterceptors, statusName, wrapService } from '../src';

interface User {
  id: string;
  name: string;
  email: string;
}
type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;
interface UserServiceClient extends grpc.Client {
  GetUser(request: { id: string }, callback: Callback<{ user: User }>): grpc.ClientUnaryCall;
  RenameUser(request: { id: string; name: string }, callback: Callback<{ user: User }>): grpc.ClientUnaryCall;
}

const definition = protoLoader.loadSync('example/users/v1/users.proto', {
  includeDirs: [path.join(__dirname, '..', 'proto')],
});
const { UserService } = (
  grpc.loadPackageDefinition(definition) as unknown as { example: { users: { v1: { UserService: grpc.ServiceClientConstructor } } } }
).example.users.v1;

/** A handler whose first call loses a transaction conflict (ABORTED: retry only what is idempotent), then works. */
function flakyOnce<Req, Res>(name: string, work: (request: Req) => Res) {
  let calls = 0;
  return async (call: grpc.ServerUnaryCall<Req, Res>): Promise<Res> => {
    calls++;
    const previous = call.metadata.get('grpc-previous-rpc-attempts')[0] ?? '0';
    console.log(`  [server] ${name} call ${calls} (grpc-previous-rpc-attempts: ${previous})`);
    if (calls === 1) throw new PublicError(grpc.status.ABORTED, `${name}: the transaction conflicted with another; try again`);
    return work(call.request);
  };
}

async function main(): Promise<void> {
  const server = new grpc.Server({ interceptors: serverInterceptors({ logger: () => {} }) });
  server.addService(
    UserService.service,
    wrapService({
      GetUser: flakyOnce('GetUser', (request: { id: string }) => ({ user: { id: request.id, name: 'Ada', email: 'ada@example.com' } })),
      RenameUser: flakyOnce('RenameUser', (request: { id: string; name: string }) => ({ user: { id: request.id, name: request.name, email: '' } })),
    }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );

  const interceptors = clientInterceptors({
    service: UserService, // its proto-loader definition carries idempotency_level per method
    onEvent: (event) => {
      if (event.type === 'retry') console.log(`  [client] retrying ${event.method} after ${statusName(event.code)}`);
      if (event.type === 'give-up') console.log(`  [client] not retrying ${event.method} after ${statusName(event.code)}: ${event.reason}`);
    },
  });
  const client = new UserService(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors }) as unknown as UserServiceClient;

  const report = (label: string) => (error: grpc.ServiceError | null, response?: { user: User }) => {
    if (error) console.log(`${label} → ${describeServiceError(error).codeName}: ${error.details}\n`);
    else console.log(`${label} → OK ${JSON.stringify(response?.user)}\n`);
  };
  console.log('GetUser (option idempotency_level = NO_SIDE_EFFECTS):');
  await new Promise<void>((resolve) => client.GetUser({ id: '7' }, (e, r) => resolve(report('GetUser')(e, r))));
  console.log('RenameUser (no idempotency option):');
  await new Promise<void>((resolve) => client.RenameUser({ id: '7', name: 'Grace' }, (e, r) => resolve(report('RenameUser')(e, r))));

  client.close();
  interceptors.dispose();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
