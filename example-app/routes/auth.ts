import { Router, type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AuthenticateOptions } from 'passport';
import { safeReturnTo, type UltraCartAuthenticateOptions, type UltraCartAuthInfo, type UltraCartStrategy } from 'passport-ultracart';
import { sendPage, type AppContext } from '../context.js';
import type { PassportInstance } from '../passport.js';
import { currentUser } from '../user.js';
import { failurePage, reasonFrom } from '../views/failure.js';

export const SIGN_IN_PATH = '/auth/ultracart';
export const CALLBACK_PATH = '/auth/ultracart/callback';
export const FAILURE_PATH = '/auth/failed';

/** The two legs of the UltraCart sign-in and the page that explains a failed one. */
export function authRoutes(
  ctx: AppContext,
  passport: PassportInstance,
  strategy: UltraCartStrategy,
  signInLimit: RequestHandler,
  callbackLimit: RequestHandler,
): Router {
  const router = Router();

  router.get(SIGN_IN_PATH, signInLimit, (req, res, next) => {
    // Validated here and again by the strategy; an array or an off-site URL is simply dropped.
    const returnTo = safeReturnTo(req.query.returnTo);
    const options: AuthenticateOptions & UltraCartAuthenticateOptions = { returnTo };
    passport.authenticate('ultracart', options)(req, res, next);
  });

  const sessionIdAtStart = new WeakMap<Request, string>();
  router.get(
    CALLBACK_PATH,
    callbackLimit,
    (req: Request, _res: Response, next: NextFunction) => {
      sessionIdAtStart.set(req, req.sessionID);
      next();
    },
    // No failureMessage: the strategy puts the reason in the failure redirect's query, so a failed
    // callback writes nothing to any session (a flood of them creates none).
    passport.authenticate('ultracart', { failureRedirect: FAILURE_PATH }),
    (req: Request, res: Response, next: NextFunction) => {
      const info = req.authInfo as UltraCartAuthInfo | undefined;
      const keyExpiry = info?.expiresAt ? new Date(info.expiresAt).getTime() - Date.now() : Infinity;
      // The session must not outlive the simple key it holds.
      req.session.cookie.maxAge = Math.max(1, Math.min(ctx.settings.sessionMaxAgeMs, keyExpiry));
      // Saved again explicitly: passport saved the new session before the cookie got its new lifetime.
      req.session.save((err) => {
        if (err) return next(err);
        res.redirect(302, safeReturnTo(info?.returnTo) ?? '/profile');
      });
    },
    discardRenewedSession(sessionIdAtStart, strategy),
  );

  router.get(FAILURE_PATH, (req, res) => {
    sendPage(res, 200, failurePage(reasonFrom(req.query.reason), ctx.notice));
  });

  return router;
}

/**
 * On an error after passport renewed the session (a store failing mid-sign-in), drops the renewed
 * session before the error page is sent. Otherwise express-session saves it again when the page
 * ends, since its id changed, and sets its cookie: a store that failed only once would leave the
 * user signed in behind the error page (threat model case 18). The simple key it held is revoked:
 * with the session gone nobody could use it, or revoke it at sign-out (case 52). The strategy
 * itself revokes when passport's own save fails; this covers the app's save after it.
 */
function discardRenewedSession(sessionIdAtStart: WeakMap<Request, string>, strategy: UltraCartStrategy): ErrorRequestHandler {
  return (err: unknown, req, _res, next) => {
    if (!req.session || req.sessionID === sessionIdAtStart.get(req)) return next(err);
    const orphan = currentUser(req)?.simpleKey;
    // destroy() drops req.session at once, so no cookie is set even if the store fails again.
    req.session.destroy(() => {
      if (orphan === undefined) return next(err);
      void strategy.client.revokeWithRetry(orphan).then(() => next(err));
    });
  };
}
