import * as grpc from '@grpc/grpc-js';
import {
  clientInterceptors,
  isDegraded,
  PublicError,
  wrapService,
  type ClientStack,
  type ClientStackOptions,
  type FallbackHandler,
} from '../../src';
import { PreferencesServiceClient, PreferencesServiceDefinition, type Preferences } from '../gen/example/preferences/v1/preferences';
import { ProfileServiceService } from '../gen/example/profile/v1/profile';
import { UserServiceClient, UserServiceDefinition, type User } from '../gen/example/users/v1/users';
import type { ServiceLog } from './log';
import { DEFAULT_PREFERENCES } from './preferences';
import { isServiceError, unary } from './unary';

export const GET_USER = '/example.users.v1.UserService/GetUser';
export const GET_PREFERENCES = '/example.preferences.v1.PreferencesService/GetPreferences';

/** The preferences call never holds a profile up longer than this (it is non-critical). */
export const PREFERENCES_TIMEOUT_MS = 300;

/** Answers a failed GetPreferences with the defaults; the response is then flagged degraded. */
const preferencesFallback: FallbackHandler = () => ({ preferences: DEFAULT_PREFERENCES });

/** The profile's two downstream clients, each with the full client stack. */
export interface ProfileDependencies {
  readonly users: UserServiceClient;
  readonly preferences: PreferencesServiceClient;
  readonly stacks: { readonly users: ClientStack; readonly preferences: ClientStack };
  /** Closes both clients and disposes their stacks (breaker timers). */
  close(): void;
}

/** What the two stacks share: events, logs, breaker tuning, jitter source. */
export type SharedStackOptions = Pick<ClientStackOptions, 'onEvent' | 'logger' | 'logs'> & {
  readonly breaker?: Exclude<ClientStackOptions['breaker'], false>;
  readonly random?: () => number;
};

export function connectDependencies(addresses: { users: string; preferences: string }, shared: SharedStackOptions = {}): ProfileDependencies {
  const { breaker, random, ...observe } = shared;
  const users = clientInterceptors({
    ...observe,
    target: 'users',
    // GetUser is NO_SIDE_EFFECTS in the proto: timed-out attempts are retried too (INTERNAL, a bug, is not).
    service: UserServiceDefinition,
    // A stalled attempt is abandoned after 250 ms and retried while the profile's deadline has room.
    retry: { methods: { [GET_USER]: { perAttemptTimeoutMs: 250 } }, random },
    breaker,
  });
  const preferences = clientInterceptors({
    ...observe,
    target: 'preferences',
    service: PreferencesServiceDefinition,
    // Non-critical: one retry at most, then the defaults.
    retry: { maxAttempts: 2, random },
    breaker,
    fallback: { [GET_PREFERENCES]: preferencesFallback },
  });
  const usersClient = new UserServiceClient(addresses.users, grpc.credentials.createInsecure(), { interceptors: users });
  const preferencesClient = new PreferencesServiceClient(addresses.preferences, grpc.credentials.createInsecure(), {
    interceptors: preferences,
  });
  return {
    users: usersClient,
    preferences: preferencesClient,
    stacks: { users, preferences },
    close() {
      usersClient.close();
      preferencesClient.close();
      users.dispose();
      preferences.dispose();
    },
  };
}

/**
 * The profile service: the user (critical) joined with their preferences (non-critical). Its
 * outgoing calls run inside the handler, so they carry its trace id and deadline and are
 * cancelled with it.
 */
export function profileHandlers(deps: Pick<ProfileDependencies, 'users' | 'preferences'>, log: ServiceLog) {
  async function loadUser(id: string): Promise<User> {
    try {
      const { response } = await unary(deps.users.getUser.bind(deps.users), { id });
      if (!response.user) throw new Error(`the user service answered GetUser(${id}) without a user`);
      return response.user;
    } catch (error) {
      // The user service's NOT_FOUND is about our request: pass it on, as our own public error.
      // (Left alone, the propagation table would make it INTERNAL: a dependency's NOT_FOUND is
      // usually not the caller's business.)
      if (isServiceError(error) && error.code === grpc.status.NOT_FOUND) {
        throw new PublicError('NOT_FOUND', `no profile: user ${id} does not exist`, { reason: 'USER_NOT_FOUND' }, { cause: error });
      }
      // Anything else follows the propagation table: UNAVAILABLE stays UNAVAILABLE (the caller may
      // retry), everything else becomes INTERNAL with a generic message and the trace id.
      throw error;
    }
  }

  async function loadPreferences(userId: string): Promise<{ preferences: Preferences; degraded: boolean }> {
    try {
      const { response, status } = await unary(
        deps.preferences.getPreferences.bind(deps.preferences),
        { userId },
        { deadline: Date.now() + PREFERENCES_TIMEOUT_MS },
      );
      // The fallback answered with the defaults: the response trailers say so.
      if (isDegraded(status)) log.warn('preferences unavailable: using defaults', { user_id: userId });
      return { preferences: response.preferences ?? DEFAULT_PREFERENCES, degraded: isDegraded(status) };
    } catch (error) {
      // Failures the fallback does not cover (a client fault, a cancel): still non-critical.
      log.warn('preferences failed: using defaults', { user_id: userId, code: isServiceError(error) ? error.code : undefined });
      return { preferences: DEFAULT_PREFERENCES, degraded: true };
    }
  }

  return wrapService(ProfileServiceService, {
    async getProfile(call) {
      const { userId } = call.request;
      if (!userId) {
        throw new PublicError('INVALID_ARGUMENT', 'user_id is required', {
          fieldViolations: [{ field: 'user_id', description: 'must not be empty' }],
        });
      }
      const [user, { preferences, degraded }] = await Promise.all([loadUser(userId), loadPreferences(userId)]);
      log.info(degraded ? 'profile built (degraded)' : 'profile built', { user_id: userId, degraded });
      return { profile: { user, preferences, degraded } };
    },
  });
}
