import { createHash, createHmac } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { BaseSettings } from './config.js';
import { redisRateLimitStore } from './rate-limit-store.js';
import type { Redis } from './redis.js';

/** Name of the session cookie; `__Host-` in production pins it to this host, https and path `/`. */
export function sessionCookieName(settings: BaseSettings): string {
  return settings.production ? '__Host-ultracart-example.sid' : 'ultracart-example.sid';
}

/** Attributes shared by the session cookie and its clearing at sign-out. */
export function sessionCookieOptions(settings: BaseSettings): { httpOnly: true; sameSite: 'lax'; secure: boolean; path: '/' } {
  // Lax, not Strict: the browser must send the cookie on the top-level return from UltraCart.
  return { httpOnly: true, sameSite: 'lax', secure: settings.production, path: '/' };
}

/** Name of the CSRF cookie; cleared with the session at sign-out. */
export function csrfCookieName(settings: BaseSettings): string {
  return settings.production ? '__Host-ultracart-example.csrf' : 'ultracart-example.csrf';
}

/** Attributes of the CSRF cookie and its clearing at sign-out. */
export function csrfCookieOptions(settings: BaseSettings): { httpOnly: true; sameSite: 'strict'; secure: boolean; path: '/' } {
  return { sameSite: 'strict', secure: settings.production, httpOnly: true, path: '/' };
}

/**
 * Name of a pending sign-in cookie (`ULTRACART_STATE_STORE=cookie`): `__Host-` in production, as
 * every other cookie of the app, so no sibling subdomain can plant or overwrite it.
 */
export function pendingCookieName(settings: BaseSettings, flow: 'ultracart' | 'ultrapassid'): string {
  return `${settings.production ? '__Host-' : ''}ultracart-example.${flow}-pending`;
}

/**
 * Security headers. The CSP allows only this origin, no scripts at all, and form posts to this
 * origin plus UltrapassId (the verify form's 303 goes there, and browsers apply `form-action` to
 * redirects); `frame-ancestors 'none'` stops click-jacking.
 */
export function securityHeaders(settings: BaseSettings, formTargets: string[]): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'self'", ...formTargets],
        frameAncestors: ["'none'"],
        ...(settings.production && { upgradeInsecureRequests: [] }),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: settings.production
      ? { maxAge: 180 * 24 * 60 * 60, includeSubDomains: settings.hstsIncludeSubDomains }
      : false,
  });
}

/** Double-submit CSRF tokens bound to the session id, for every POST form. */
export function csrfProtection(settings: BaseSettings): {
  protect: RequestHandler;
  token: (req: Request, res: Response) => string;
} {
  // Separate keys from the session secrets, one per secret so rotation works for both.
  const secrets = settings.sessionSecrets.map((s) => createHmac('sha256', s).update('csrf-token-key').digest('base64url'));
  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => secrets,
    getSessionIdentifier: (req) => req.sessionID ?? '',
    cookieName: csrfCookieName(settings),
    cookieOptions: csrfCookieOptions(settings),
    getCsrfTokenFromRequest: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      return typeof body?._csrf === 'string' ? body._csrf : undefined;
    },
  });
  return { protect: doubleCsrfProtection, token: (req, res) => generateCsrfToken(req, res) };
}

export interface RateLimits {
  signIn: RequestHandler;
  /** The UltraCart callback: anyone can send it without a cookie, in great numbers. */
  callback: RequestHandler;
  verify: RequestHandler;
}

/**
 * Per-IP limits. Sign-in starts `PUT /sso/authorize` and verify creates an UltrapassId session:
 * those limits protect the vendors' quotas, which all instances share, so with Redis they are
 * counted there. Each route counts on its own.
 *
 * The callback costs no vendor call before its state is checked, but anyone can send it without a
 * cookie in great numbers: its limit protects this instance, so it is counted in this instance's
 * memory and never waits for Redis. A callback that carries a sign-in its browser has pending
 * (`isGenuineCallback`) is counted against that sign-in alone, never against its address: users
 * behind one address (a NAT, a campus) are never locked out by someone else's bogus callbacks, a
 * forged `X-Forwarded-For` cannot aim at them, and replaying one genuine callback (a copied
 * pending cookie) still meets the limit. Every other callback is counted per address.
 */
export function rateLimits(
  settings: BaseSettings,
  redis: Redis | undefined,
  onLimited: (req: Request, res: Response) => void,
  isGenuineCallback: (req: Request) => Promise<boolean>,
): RateLimits {
  const limiter = (name: string, shared: boolean, keyGenerator?: (req: Request) => Promise<string>): RequestHandler =>
    rateLimit({
      windowMs: settings.rateLimit.windowMs,
      limit: settings.rateLimit.limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      handler: (req, res) => onLimited(req, res),
      ...(keyGenerator && { keyGenerator }),
      ...(redis && shared && { store: redisRateLimitStore(redis, `${settings.redis?.prefix ?? ''}rl:${name}:`) }),
    });
  const callbackKey = async (req: Request): Promise<string> =>
    (await isGenuineCallback(req))
      ? `pending-sign-in:${createHash('sha256').update(String(req.query.state)).digest('base64url')}`
      : ipKeyGenerator(req.ip ?? '');
  return { signIn: limiter('sign-in', true), callback: limiter('callback', false, callbackKey), verify: limiter('verify', true) };
}
