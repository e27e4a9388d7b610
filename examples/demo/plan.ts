import { seededRandom } from '../../src/testing';
import { CORRUPT_USER_ID } from '../services/users';

/** Shares of requests that ask for an unknown user (NOT_FOUND) or the corrupt one (an internal bug). */
const UNKNOWN_SHARE = 0.02;
const CORRUPT_SHARE = 0.001;
const KNOWN_USERS = 100;

/**
 * The user ids the demo asks profiles for, in order, derived from the seed alone. The healthy
 * phase always contains one request for the corrupt user, so every report can show an internal
 * error.
 */
export function requestPlan(seed: number, total: number, firstPhaseSize: number): string[] {
  const random = seededRandom(seed);
  const ids: string[] = [];
  for (let i = 0; i < total; i++) {
    const draw = random();
    const pick = random();
    if (draw < CORRUPT_SHARE) ids.push(CORRUPT_USER_ID);
    else if (draw < CORRUPT_SHARE + UNKNOWN_SHARE) ids.push(`u-${900 + Math.floor(pick * 99)}`);
    else ids.push(knownUser(pick));
  }
  if (firstPhaseSize > 0 && !ids.slice(0, firstPhaseSize).includes(CORRUPT_USER_ID)) {
    ids[Math.floor(firstPhaseSize / 2)] = CORRUPT_USER_ID;
  }
  return ids;
}

/** One of u-001 … u-100, never the corrupt one. */
function knownUser(pick: number): string {
  const id = `u-${String(1 + Math.floor(pick * KNOWN_USERS)).padStart(3, '0')}`;
  return id === CORRUPT_USER_ID ? 'u-014' : id;
}
