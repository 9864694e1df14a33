import session from 'express-session';
import { RedisStore } from 'connect-redis';
import type { RequestHandler } from 'express';
import type { BaseSettings } from './config.js';
import type { Redis } from './redis.js';
import { sessionCookieName, sessionCookieOptions } from './security.js';
import { SessionStoreWithDeadline } from './session-deadline.js';
import { BoundedMemoryStore } from './session-store.js';

/**
 * express-session with the app's cookie rules. Sessions live in Redis when the app has a Redis
 * client (so every instance sees them; each call bounded in time, so a stalled Redis costs a 503,
 * not a hung request), otherwise in a bounded, expiring in-memory store.
 *
 * A new session lasts `pendingSessionMaxAgeMs`: most are abandoned sign-ins. Sign-in extends it
 * (see `routes/auth.ts`), never past the user's simple key.
 */
export function sessions(
  settings: BaseSettings,
  redis: Redis | undefined,
  given?: session.Store,
): { middleware: RequestHandler; store: session.Store } {
  const store =
    given ??
    (redis
      ? new SessionStoreWithDeadline(new RedisStore({ client: redis, prefix: `${settings.redis?.prefix ?? ''}sess:` }))
      : new BoundedMemoryStore({ defaultTtlMs: settings.sessionMaxAgeMs }));
  const middleware = session({
    name: sessionCookieName(settings),
    secret: settings.sessionSecrets,
    store,
    resave: false,
    saveUninitialized: false,
    cookie: { ...sessionCookieOptions(settings), maxAge: settings.pendingSessionMaxAgeMs },
  });
  return { middleware, store };
}
