import { Passport } from 'passport';
import { UltraCartStrategy } from 'passport-ultracart';
import type { UltraCartSettings } from './config.js';
import { toAppUser, type AppUser } from './user.js';

/**
 * A Passport instance of its own (not the global one) with the UltraCart strategy, so two apps in
 * one process, as in the tests, never share strategies. The whole user goes into the session:
 * there is no user database in this example, and the session store is server-side.
 */
export type PassportInstance = InstanceType<typeof Passport>;

export function createPassport(settings: UltraCartSettings): { passport: PassportInstance; strategy: UltraCartStrategy } {
  const strategy = new UltraCartStrategy(
    {
      callbackURL: settings.callbackURL,
      ...(settings.simpleKey !== undefined ? { simpleKey: settings.simpleKey } : { accessToken: settings.accessToken }),
      ...(settings.baseURL !== undefined && { baseURL: settings.baseURL }),
    },
    async (simpleKey, token, profile) => toAppUser(simpleKey, token, profile),
  );
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser<AppUser>((user, done) => done(null, user as AppUser));
  passport.deserializeUser<AppUser>((user, done) => done(null, user as Express.User));
  return { passport, strategy };
}
