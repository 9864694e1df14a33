import cookieParser from 'cookie-parser';
import type { RequestHandler } from 'express';
import type { BaseSettings } from './config.js';
import { sessionCookieName, sessionCookieOptions } from './security.js';

/** Why a session cookie the browser sent did not give back its session. */
export type UnknownSession = 'other-secret' | 'not-in-store';

const LIKELY_CAUSES: Record<UnknownSession, string> = {
  'other-secret':
    'it was signed with another SESSION_SECRET: every instance needs the same SESSION_SECRET (keep the old one after the new one when rotating)',
  'not-in-store':
    "this instance's session store has no such session: it expired or was evicted, the app restarted on its in-memory store, or another instance made it (without REDIS_URL each instance keeps its own sessions)",
};

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set when the browser's session cookie named a session this instance does not know. */
    unknownSession?: UnknownSession;
    /** Clears that cookie; `requireUser` calls it before sending the browser to sign in. */
    forgetSessionCookie?: () => void;
  }
}

/**
 * After express-session: notices a session cookie this instance cannot use and logs it with its
 * likely causes (never the cookie or the id). Without it such a browser fails in silence, and
 * behind a load balancer without shared sessions it bounces between `/` (where one instance knows
 * the user) and `/profile` (where the other does not): `requireUser` clears the cookie and says
 * why on the sign-in page, which ends that loop.
 */
export function sessionRecognition(settings: BaseSettings, report: (line: string) => void): RequestHandler {
  const name = sessionCookieName(settings);
  return (req, res, next) => {
    const sent = cookieValue(req.headers.cookie, name);
    if (sent === undefined) return next();
    const unsigned = cookieParser.signedCookie(sent, settings.sessionSecrets);
    if (unsigned === req.sessionID) return next();
    const why: UnknownSession = unsigned === false ? 'other-secret' : 'not-in-store';
    report(`session cookie not recognised on ${req.method} ${JSON.stringify(req.path)}: ${LIKELY_CAUSES[why]}`);
    res.locals.unknownSession = why;
    // A new, empty session is not stored (saveUninitialized: false), so the browser would keep sending the old cookie.
    res.locals.forgetSessionCookie = () => res.clearCookie(name, sessionCookieOptions(settings));
    next();
  };
}

/** The raw value of cookie `name` in a Cookie header, decoded as express-session decodes it. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}
