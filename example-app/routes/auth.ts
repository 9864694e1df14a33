import { Router, type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AuthenticateOptions } from 'passport';
import { safeReturnTo, type UltraCartAuthenticateOptions, type UltraCartAuthInfo, type UltraCartStrategy } from 'passport-ultracart';
import { sendPage, type AppContext } from '../context.js';
import type { PassportInstance } from '../passport.js';
import { plainHttpCause } from '../proxy-check.js';
import { sessionDeadline, startSessionDeadline } from '../session-lifetime.js';
import { currentUser } from '../user.js';
import { failurePage, failureStatus, reasonFrom } from '../views/failure.js';

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
    // In production every cookie is Secure: over what the app takes for plain http the sign-in could
    // never come back, so none starts and no UltraCart call is spent (the log says why).
    if (ctx.settings.production && plainHttpCause(req) !== undefined) {
      return res.set('Cache-Control', 'no-store').redirect(302, `${FAILURE_PATH}?reason=secureCookieOnHttp`);
    }
    // Validated here and again by the strategy; an array or an off-site URL is simply dropped.
    const returnTo = safeReturnTo(req.query.returnTo);
    // A refusal before the vendor is called (a set-up fault the strategy sees) goes to the failure page too.
    const options: AuthenticateOptions & UltraCartAuthenticateOptions = { returnTo, failureRedirect: FAILURE_PATH };
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
      // The session must not outlive the simple key it holds, however active the user is.
      startSessionDeadline(req, sessionDeadline(ctx.settings, info?.expiresAt));
      // Saved again explicitly: passport saved the new session before the cookie got its new lifetime.
      req.session.save((err) => {
        if (err) return next(err);
        res.redirect(302, safeReturnTo(info?.returnTo) ?? '/profile');
      });
    },
    discardRenewedSession(sessionIdAtStart, strategy),
  );

  router.get(FAILURE_PATH, (req, res) => {
    // The browser still sends the session cookie its callback came with: one this instance does not
    // know explains a sign-in it found nothing pending for, and is cleared for the next attempt.
    const sessionNotFound = res.locals.unknownSession !== undefined;
    if (sessionNotFound) res.locals.forgetSessionCookie?.();
    const reason = reasonFrom(req.query.reason);
    sendPage(
      res,
      failureStatus(reason),
      failurePage(reason, ctx.notice, { openedOverHttp: plainHttpCause(req) === 'forwarded-http', sessionNotFound }),
    );
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
