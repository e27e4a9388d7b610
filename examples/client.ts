/**
 * A client with the stack.   npx tsx examples/client.ts
 *
 * `clientInterceptors()` puts trace ids, deadlines, retries, a circuit breaker and a fallback on
 * every call of a client. The script starts a user service on 127.0.0.1 whose GetUser fails
 * now and then (the seeded fault kit stands in for a flaky network), then takes it down
 * entirely and back up, printing what the client sees and the events of its stack. It exits.
 */
import * as grpc from '@grpc/grpc-js';
// In your project: from 'grpc-resilience' and 'grpc-resilience/testing'.
import { clientInterceptors, describeServiceError, isDegraded, statusName, wrapService, type ResilienceEvent } from '../src';
import { faultInjector } from '../src/testing';
import { UserServiceClient, UserServiceDefinition, UserServiceService, type GetUserResponse } from './gen/example/users/v1/users';
import { unary } from './services/unary';

const GET_USER = '/example.users.v1.UserService/GetUser';

function printEvent(event: ResilienceEvent): void {
  if (event.type === 'retry') console.log(`    retry: attempt ${event.attempt} after ${statusName(event.code)}, waiting ${Math.round(event.delayMs)} ms`);
  if (event.type === 'breaker-state') console.log(`    breaker ${event.key}: ${event.from} → ${event.to}`);
  if (event.type === 'fallback') console.log(`    fallback answered (${event.reason}) after ${statusName(event.code)}`);
}

async function main(): Promise<void> {
  // The server: a user service behind the fault kit, failing 30 % of GetUser calls (seeded).
  const faults = faultInjector({ seed: 9, rules: { [GET_USER]: { error: { rate: 0.3, codes: 'UNAVAILABLE' } } } });
  const server = new grpc.Server({ interceptors: [faults.interceptor] });
  server.addService(
    UserServiceService,
    wrapService(UserServiceService, {
      async getUser(call) {
        return { user: { id: call.request.id, name: `User ${call.request.id}`, email: `${call.request.id}@example.com` } };
      },
      async renameUser(call) {
        return { user: { id: call.request.id, name: call.request.name, email: '' } };
      },
    }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );

  // The client: one array of interceptors, given to the generated client.
  const interceptors = clientInterceptors({
    service: UserServiceDefinition, // GetUser is NO_SIDE_EFFECTS in the proto: safe to retry
    deadline: { defaultTimeoutMs: 1_000 },
    retry: { maxAttempts: 3, budget: false }, // no retry budget here: every call may use its 3 attempts
    breaker: { volumeThreshold: 5, resetTimeoutMs: 300 },
    fallback: { [GET_USER]: (request: { id: string }) => ({ user: { id: request.id, name: '(from cache)', email: '' } }) },
    onEvent: printEvent,
  });
  const users = new UserServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors });

  const getUser = async (id: string) => {
    const started = performance.now();
    try {
      const { response, status } = await unary<{ id: string }, GetUserResponse>(users.getUser.bind(users), { id });
      const took = (performance.now() - started).toFixed(1);
      console.log(`  GetUser ${id} → ${response.user?.name}${isDegraded(status) ? ' [degraded]' : ''} in ${took} ms`);
    } catch (error) {
      const { codeName, message } = describeServiceError(error as grpc.ServiceError);
      console.log(`  GetUser ${id} → ${codeName}: ${message}`);
    }
  };

  console.log('1. A flaky server: retries hide the failures.');
  for (let n = 1; n <= 6; n++) await getUser(`u${n}`);

  console.log('\n2. The server is down: the fallback answers; the breaker opens and stops sending.');
  faults.down();
  for (let n = 1; n <= 8; n++) await getUser(`u${n}`);

  console.log('\n3. The server is back: after its reset timeout the breaker lets a probe through and closes.');
  faults.up();
  faults.setRules({});
  await new Promise((resolve) => setTimeout(resolve, 350));
  for (let n = 1; n <= 3; n++) await getUser(`u${n}`);

  console.log('\nbreakers:', interceptors.breakers?.snapshot().map((b) => `${b.key} ${b.state}`).join(', '));
  users.close();
  interceptors.dispose(); // the breakers' timers
  faults.dispose();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
