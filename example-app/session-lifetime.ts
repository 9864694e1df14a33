import type { Request, RequestHandler } from 'express';
import { safeReturnTo } from 'passport-ultracart';
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
 * to what is left. The store then expires the session at the deadline; a request that still finds
 * it afterwards ends it: the session is destroyed, its cookie cleared, and the browser sent to the
 * same address again (a GET; other methods go to `/`), where it arrives signed out. Destroyed, not
 * regenerated: express-session would store the fresh session and set its cookie.
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
    req.session.destroy((err) => {
      if (err) return next(err);
      onEnded();
      res.clearCookie(sessionCookieName(settings), sessionCookieOptions(settings));
      res.set('Cache-Control', 'no-store');
      // Validated as a same-origin path: the request line could hold `//elsewhere`.
      if (req.method === 'GET') return res.redirect(302, safeReturnTo(req.originalUrl) ?? '/');
      res.redirect(303, '/');
    });
  };
}
