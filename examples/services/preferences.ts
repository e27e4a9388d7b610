import { wrapService } from '../../src';
import { PreferencesServiceService, type Preferences } from '../gen/example/preferences/v1/preferences';
import type { ServiceLog } from './log';

/** What a profile shows when the preferences service cannot answer. */
export const DEFAULT_PREFERENCES: Preferences = Object.freeze({ theme: 'light', language: 'en', emailNotifications: false });

const THEMES = ['light', 'dark', 'high-contrast'];
const LANGUAGES = ['en', 'de', 'fr', 'ja', 'pt'];

/** Stored preferences of one user (derived from the id, so every user has some). */
export function storedPreferences(userId: string): Preferences {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return { theme: THEMES[hash % THEMES.length], language: LANGUAGES[hash % LANGUAGES.length], emailNotifications: hash % 2 === 0 };
}

/** The preferences service: non-critical, the profile degrades to defaults without it. */
export function preferencesHandlers(log: ServiceLog) {
  return wrapService(PreferencesServiceService, {
    async getPreferences(call) {
      const preferences = storedPreferences(call.request.userId);
      log.info('preferences loaded', { user_id: call.request.userId });
      return { preferences };
    },
  });
}
