import * as grpc from '@grpc/grpc-js';
import { serverInterceptors, type LogOptions, type ResilienceEvent } from '../../src';
import { PreferencesServiceService } from '../gen/example/preferences/v1/preferences';
import { ProfileServiceService } from '../gen/example/profile/v1/profile';
import { UserServiceService } from '../gen/example/users/v1/users';
import { listen, shutdown } from './listen';
import { consoleSink, serviceLog, stackLogger, type LogSink } from './log';
import { preferencesHandlers } from './preferences';
import { connectDependencies, profileHandlers, type ProfileDependencies, type SharedStackOptions } from './profile';
import { userHandlers } from './users';

export interface ProfileSystemOptions {
  /** Every log line of the three services: stacks, error translators, handlers. Default: JSON to the console. */
  readonly log?: LogSink;
  /** Log levels of the stacks' call-end lines (e.g. `{ clientLevels: { OK: 'debug' } }` to see successes). */
  readonly logs?: LogOptions;
  /** Extra server interceptors after the stack (fault injection) of the user and preferences servers. */
  readonly usersInterceptors?: readonly grpc.ServerInterceptor[];
  readonly preferencesInterceptors?: readonly grpc.ServerInterceptor[];
  /** Events of the profile's two client stacks: retries, breaker states, fallbacks. */
  readonly onEvent?: (event: ResilienceEvent) => void;
  /** Breaker tuning and jitter source of the profile's clients. */
  readonly breaker?: SharedStackOptions['breaker'];
  readonly random?: () => number;
}

/** The three services running on 127.0.0.1, each on its own ephemeral port. */
export interface ProfileSystem {
  readonly addresses: { readonly users: string; readonly preferences: string; readonly profile: string };
  /** The profile's clients of the user and preferences services (their stacks hold the breakers). */
  readonly dependencies: ProfileDependencies;
  /** Stops the servers, closes the clients, disposes the stacks. */
  close(): Promise<void>;
}

/** Starts the user, preferences and profile servers, each with the full server stack. */
export async function startProfileSystem(options: ProfileSystemOptions = {}): Promise<ProfileSystem> {
  const sink = options.log ?? consoleSink;
  const stack = (service: string) => serverInterceptors({ logger: stackLogger(service, sink), logs: options.logs });

  const users = new grpc.Server({ interceptors: [...stack('users'), ...(options.usersInterceptors ?? [])] });
  users.addService(UserServiceService, userHandlers(serviceLog('users', sink)));
  const preferences = new grpc.Server({ interceptors: [...stack('preferences'), ...(options.preferencesInterceptors ?? [])] });
  preferences.addService(PreferencesServiceService, preferencesHandlers(serviceLog('preferences', sink)));
  const servers = [users, preferences];
  let dependencies: ProfileDependencies | undefined;
  try {
    const usersAddress = await listen(users);
    const preferencesAddress = await listen(preferences);
    dependencies = connectDependencies(
      { users: usersAddress, preferences: preferencesAddress },
      { logger: stackLogger('profile', sink), logs: options.logs, onEvent: options.onEvent, breaker: options.breaker, random: options.random },
    );
    const profile = new grpc.Server({ interceptors: stack('profile') });
    profile.addService(ProfileServiceService, profileHandlers(dependencies, serviceLog('profile', sink)));
    servers.push(profile);
    const profileAddress = await listen(profile);
    const deps = dependencies;
    return {
      addresses: { users: usersAddress, preferences: preferencesAddress, profile: profileAddress },
      dependencies: deps,
      async close() {
        await shutdown(profile);
        deps.close();
        await Promise.all([shutdown(users), shutdown(preferences)]);
      },
    };
  } catch (error) {
    dependencies?.close();
    for (const server of servers) server.forceShutdown();
    throw error;
  }
}
