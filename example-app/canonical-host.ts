import type { RequestHandler } from 'express';

const LOOPBACK = /^(?:localhost|127\.0\.0\.1|\[::1\])$/;

/**
 * In demo mode, sends a visit to another loopback name (`localhost`) to the host of the callback
 * URL (`127.0.0.1`), same path and query. Cookies are kept per host name: a sign-in started on
 * localhost would come back from UltraCart to 127.0.0.1 without its session cookie, and fail.
 * Only loopback names are redirected, to the configured origin, so no Host header can steer it.
 */
export function canonicalLoopbackHost(callbackURL: string): RequestHandler {
  const { origin, hostname } = new URL(callbackURL);
  return (req, res, next) => {
    if (req.hostname === hostname || !LOOPBACK.test(req.hostname) || !LOOPBACK.test(hostname)) return next();
    res.redirect(307, `${origin}${req.originalUrl}`);
  };
}
