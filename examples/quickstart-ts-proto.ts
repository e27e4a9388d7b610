// Quick start with ts-proto: service B with the server stack, caller A with the client stack.
import * as grpc from '@grpc/grpc-js';
import { clientInterceptors, currentCallContext, isDegraded, PublicError, serverInterceptors, wrapService } from '../src';
import { UserServiceClient, UserServiceDefinition, UserServiceService, type GetUserResponse } from './gen/example/users/v1/users';

// B: async handlers. A PublicError reaches the caller as thrown; any other error becomes
// INTERNAL with the trace id in its message, and is logged here, never sent.
const server = new grpc.Server({ interceptors: serverInterceptors() });
server.addService(
  UserServiceService,
  wrapService(UserServiceService, {
    async getUser(call) {
      console.log(`B: GetUser ${call.request.id}, trace id ${currentCallContext()?.traceId}`);
      if (call.request.id === 'nobody') throw new PublicError(grpc.status.NOT_FOUND, 'no such user');
      return { user: { id: call.request.id, name: 'Ada', email: 'ada@example.com' } };
    },
    async renameUser(call) {
      return { user: { id: call.request.id, name: call.request.name, email: '' } };
    },
  }),
);

// A: one array of interceptors for the client: trace ids, deadlines, retries, breaker, fallback.
const stack = clientInterceptors({
  service: UserServiceDefinition, // idempotency_level in the proto: GetUser is safe to retry
  deadline: { defaultTimeoutMs: 1_000 },
  fallback: {
    '/example.users.v1.UserService/GetUser': (request: { id: string }) => ({ user: { id: request.id, name: '(cached)', email: '' } }),
  },
});

// Awaiting a unary call: the 'status' event follows the callback and carries the trailers,
// which tell whether a fallback answered.
function getUser(users: UserServiceClient, id: string): Promise<GetUserResponse & { degraded: boolean }> {
  return new Promise((resolve, reject) => {
    let response: GetUserResponse | undefined;
    const call = users.getUser({ id }, (error, value) => (error ? reject(error) : (response = value)));
    call.on('status', (status) => response && resolve({ ...response, degraded: isDegraded(status) }));
  });
}

async function main(): Promise<void> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const users = new UserServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: stack });

  const ada = await getUser(users, 'u1');
  console.log(`A: ${ada.user?.name}, degraded: ${ada.degraded}`);
  try {
    await getUser(users, 'nobody');
  } catch (err) {
    const error = err as grpc.ServiceError; // a failed call always carries its trace id
    console.log(`A: ${grpc.status[error.code]} "${error.details}", trace id ${error.metadata.get('x-trace-id')[0]}`);
  }
  server.forceShutdown(); // B goes away: the retries fail, then the fallback answers
  const cached = await getUser(users, 'u1');
  console.log(`A: ${cached.user?.name}, degraded: ${cached.degraded}`);

  users.close();
  stack.dispose(); // the breakers' timers
}

void main();
