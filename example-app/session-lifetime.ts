import type { Request, RequestHandler } from 'express';
import type { BaseSettings } from './config.js';
import { sessionCookieName, sessionCookieOptions } from './security.js';

declare module 'express-session' {
  interface SessionData {
    /** When the signed-in session ends, whatever the user does (ms since the epoch). */
    endsAt?: number;
  }
}

/**
 * The deadline of a session signed in now: the longest session allowed, or the simple key's
 * expiry if that comes first, since the session holds the key and is useless without it.
 */
export function sessionDeadline(settings: BaseSettings, keyExpiresAt: Date | string | undefined | null, now = Date.now()): number {
  const keyExpiry = keyExpiresAt ? new Date(keyExpiresAt).getTime() : Infinity;
  return Math.min(now + settings.sessionMaxAgeMs, keyExpiry);
}

/** Starts the absolute deadline of a session that has just been signed in. */
export function startSessionDeadline(req: Request, endsAt: number): void {
  req.session.endsAt = endsAt;
  req.session.cookie.maxAge = Math.max(1, endsAt - Date.now());
}

/**
 * Holds a signed-in session to its deadline. express-session's `touch()` moves the cookie's and
 * the store's expiry forward on every request by the cookie's original lifetime, so an active user
 * would stay signed in past the key's expiry: each request here first sets the cookie's lifetime
 * to what is left, and once nothing is left, ends the session (a fresh, empty one takes its
 * place, the cookie is cleared) before Passport reads the user from it. The store expires the
 * session at the same time, so this mostly catches the moments `touch()` still adds.
 */
export function sessionLifetime(settings: BaseSettings, onEnded: () => void): RequestHandler {
  return (req, res, next) => {
    const endsAt = req.session?.endsAt;
    if (typeof endsAt !== 'number') return next();
    const left = endsAt - Date.now();
    if (left > 0) {
      req.session.cookie.maxAge = left;
      return next();
    }
    req.session.regenerate((err) => {
      if (err) return next(err);
      res.clearCookie(sessionCookieName(settings), sessionCookieOptions(settings));
      onEnded();
      next();
    });
  };
}
