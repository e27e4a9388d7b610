// Quick start with @grpc/proto-loader: the same A → B, with the proto loaded at run time.
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { clientInterceptors, currentCallContext, isDegraded, PublicError, serverInterceptors, wrapService } from '../src';

interface User {
  id: string;
  name: string;
  email: string;
}
const definition = protoLoader.loadSync('example/users/v1/users.proto', { includeDirs: [path.join(__dirname, '..', 'proto')] });
const proto = grpc.loadPackageDefinition(definition) as unknown as {
  example: { users: { v1: { UserService: grpc.ServiceClientConstructor } } };
};
const { UserService } = proto.example.users.v1;

// B: async handlers. A PublicError reaches the caller as thrown; any other error becomes
// INTERNAL with the trace id in its message, and is logged here, never sent.
const server = new grpc.Server({ interceptors: serverInterceptors() });
server.addService(
  UserService.service,
  wrapService({
    async GetUser(call: grpc.ServerUnaryCall<{ id: string }, { user: User }>) {
      console.log(`B: GetUser ${call.request.id}, trace id ${currentCallContext()?.traceId}`);
      if (call.request.id === 'nobody') throw new PublicError(grpc.status.NOT_FOUND, 'no such user');
      return { user: { id: call.request.id, name: 'Ada', email: 'ada@example.com' } };
    },
    async RenameUser(call: grpc.ServerUnaryCall<{ id: string; name: string }, { user: User }>) {
      return { user: { id: call.request.id, name: call.request.name, email: '' } };
    },
  }),
);

// A: one array of interceptors for the client: trace ids, deadlines, retries, breaker, fallback.
const stack = clientInterceptors({
  service: UserService, // idempotency_level in the proto: GetUser is safe to retry
  deadline: { defaultTimeoutMs: 1_000 },
  fallback: {
    '/example.users.v1.UserService/GetUser': (request: { id: string }) => ({ user: { id: request.id, name: '(cached)', email: '' } }),
  },
});

// Awaiting a unary call: the 'status' event follows the callback and carries the trailers,
// which tell whether a fallback answered.
function getUser(users: InstanceType<typeof UserService>, id: string): Promise<{ user: User; degraded: boolean }> {
  return new Promise((resolve, reject) => {
    let response: { user: User } | undefined;
    const call: grpc.ClientUnaryCall = users.GetUser({ id }, (error: grpc.ServiceError | null, value: { user: User }) =>
      error ? reject(error) : (response = value),
    );
    call.on('status', (status: grpc.StatusObject) => response && resolve({ ...response, degraded: isDegraded(status) }));
  });
}

async function main(): Promise<void> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const users = new UserService(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: stack });

  const ada = await getUser(users, 'u1');
  console.log(`A: ${ada.user.name}, degraded: ${ada.degraded}`);
  try {
    await getUser(users, 'nobody');
  } catch (err) {
    const error = err as grpc.ServiceError; // a failed call always carries its trace id
    console.log(`A: ${grpc.status[error.code]} "${error.details}", trace id ${error.metadata.get('x-trace-id')[0]}`);
  }
  server.forceShutdown(); // B goes away: the retries fail, then the fallback answers
  const cached = await getUser(users, 'u1');
  console.log(`A: ${cached.user.name}, degraded: ${cached.degraded}`);

  users.close();
  stack.dispose(); // the breakers' timers
}

void main();
