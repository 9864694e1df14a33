import { createHmac } from 'node:crypto';
import { Passport } from 'passport';
import {
  CookieStateStore,
  RedisUsedStateLedger,
  SessionStateStore,
  UltraCartStrategy,
  UltrapassIdStrategy,
  type StateStore,
  type UsedStateLedger,
} from 'passport-ultracart';
import type { AppSettings } from './config.js';
import type { Redis } from './redis.js';
import { pendingCookieName } from './security.js';
import { toAppUser, type AppUser } from './user.js';

/** What `passport.authorize('ultrapassid')` puts in `req.account`: the verified identity, never a token. */
export interface OidcVerification {
  /** The ID token's `sub`: UltrapassId's per-organization identifier of the person. */
  subject: string;
  issuer: string;
  /** ISO-8601: when UltrapassId verified the person. */
  verifiedAt: string;
}

/**
 * A Passport instance of its own (not the global one) with the UltraCart strategy, so two apps in
 * one process, as in the tests, never share strategies. The whole user goes into the session:
 * there is no user database in this example, and the session store is server-side.
 */
export type PassportInstance = InstanceType<typeof Passport>;

export function createPassport(
  settings: AppSettings,
  redis: Redis | undefined,
): { passport: PassportInstance; strategy: UltraCartStrategy; stateStore: StateStore } {
  const ultracart = settings.ultracart;
  // Made here, not left to the strategy's default: the callback's rate limit asks it too (security.ts).
  const stateStore =
    settings.stateStore === 'cookie' ? cookieStateStore(settings, pendingCookieName(settings, 'ultracart')) : new SessionStateStore();
  const strategy = new UltraCartStrategy(
    {
      callbackURL: ultracart.callbackURL,
      ...(ultracart.simpleKey !== undefined ? { simpleKey: ultracart.simpleKey } : { accessToken: ultracart.accessToken }),
      ...(ultracart.baseURL !== undefined && { baseURL: ultracart.baseURL }),
      stateStore,
      ...(redis && { usedStates: usedStates(settings, redis) }),
    },
    async (simpleKey, token, profile) => toAppUser(simpleKey, token, profile),
  );
  const passport = new Passport();
  passport.use(strategy);
  passport.use(oidcStrategy(settings, redis));
  passport.serializeUser<AppUser>((user, done) => done(null, user as AppUser));
  passport.deserializeUser<AppUser>((user, done) => done(null, user as Express.User));
  return { passport, strategy, stateStore };
}

/**
 * UltrapassId's OpenID Connect sign-in, used with `passport.authorize()`: it attaches a verified
 * identity to the UltraCart user already signed in. The verify function keeps only the subject,
 * issuer and time; the ID token itself is not stored.
 */
function oidcStrategy(settings: AppSettings, redis: Redis | undefined): UltrapassIdStrategy {
  const { oidc } = settings;
  return new UltrapassIdStrategy(
    {
      clientId: oidc.clientId,
      callbackURL: oidc.callbackURL,
      ...(oidc.issuer !== undefined && { issuer: oidc.issuer }),
      // Its own cookie name: two strategies sharing one pending cookie would each clear the other's entries.
      ...(settings.stateStore === 'cookie' && { stateStore: cookieStateStore(settings, pendingCookieName(settings, 'ultrapassid')) }),
      ...(redis && { usedStates: usedStates(settings, redis) }),
    },
    async (profile): Promise<OidcVerification> => ({
      subject: profile.id,
      issuer: profile.issuer,
      verifiedAt: profile.verifiedAt.toISOString(),
    }),
  );
}

/**
 * With Redis, every instance records used states there, so a callback is honoured once whichever
 * instance it reaches; without it, the package's default (this process only) is all there is.
 */
export function usedStates(settings: AppSettings, redis: Redis): UsedStateLedger {
  return new RedisUsedStateLedger({ client: redis, prefix: `${settings.redis?.prefix ?? ''}used-state:` });
}

/** Signed with keys derived from the session secrets: one secret, never reused as-is for two jobs. */
function cookieStateStore(settings: AppSettings, name: string): StateStore {
  const secret = settings.sessionSecrets.map((s) => createHmac('sha256', s).update('ultracart pending sign-in cookie').digest('base64url'));
  return new CookieStateStore({ secret, secure: settings.production, name });
}
