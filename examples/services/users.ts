import { PublicError, wrapService } from '../../src';
import { UserServiceService, type User } from '../gen/example/users/v1/users';
import type { ServiceLog } from './log';

/**
 * A fake credential that only ever appears inside the user service: in the message of an internal
 * bug. It must show up in that service's own error log and nowhere a caller can see it.
 */
export const FAKE_SECRET = 'FAKE-SECRET-db-password-4f1c9e';

/** A user whose stored record is corrupt: reading it hits an internal bug (an Error with the secret). */
export const CORRUPT_USER_ID = 'u-013';

const NAMES = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Margaret', 'Dennis', 'Radia'];

/** `u-001` … `u-<count>`, with names and addresses that follow from the id. */
export function userDirectory(count = 100): Map<string, User> {
  const users = new Map<string, User>();
  for (let n = 1; n <= count; n++) {
    const id = `u-${String(n).padStart(3, '0')}`;
    const name = `${NAMES[n % NAMES.length]} ${n}`;
    users.set(id, { id, name, email: `${name.toLowerCase().replace(' ', '.')}@example.com` });
  }
  return users;
}

/** The user service: the source of truth for users, and critical for the profile. */
export function userHandlers(log: ServiceLog, users: Map<string, User> = userDirectory()) {
  return wrapService(UserServiceService, {
    async getUser(call) {
      const { id } = call.request;
      if (id === CORRUPT_USER_ID) {
        // A bug, not a decision: the translator turns it into INTERNAL with a generic message.
        throw new Error(`decrypting the record of ${id} failed (postgres://users:${FAKE_SECRET}@db.internal:5432/users)`);
      }
      const user = users.get(id);
      if (!user) throw new PublicError('NOT_FOUND', `user ${id} not found`, { reason: 'USER_NOT_FOUND' });
      log.info('user loaded', { user_id: id });
      return { user };
    },
    async renameUser(call) {
      const { id, name } = call.request;
      const user = users.get(id);
      if (!user) throw new PublicError('NOT_FOUND', `user ${id} not found`, { reason: 'USER_NOT_FOUND' });
      if (!name.trim()) {
        throw new PublicError('INVALID_ARGUMENT', 'name must not be empty', {
          fieldViolations: [{ field: 'name', description: 'must not be empty' }],
        });
      }
      const renamed = { ...user, name };
      users.set(id, renamed);
      log.info('user renamed', { user_id: id });
      return { user: renamed };
    },
  });
}
