import { Router, type RequestHandler } from 'express';
import { sendPage, type AppContext } from '../context.js';
import type { OidcVerification, PassportInstance } from '../passport.js';
import { alreadyVerifiedPage, oidcFailurePage, oidcReasonFrom } from '../views/oidc-failure.js';
import { requireUser } from './guards.js';

export const OIDC_VERIFY_PATH = '/verify/oidc';
export const OIDC_CALLBACK_PATH = '/verify/oidc/callback';
export const OIDC_FAILURE_PATH = '/verify/oidc/failed';

declare module 'express-session' {
  interface SessionData {
    /** The identity UltrapassId's OpenID Connect sign-in verified for the signed-in user. */
    oidcVerification?: OidcVerification;
  }
}

/**
 * "Verify identity with UltrapassId" over OpenID Connect: `passport.authorize('ultrapassid')`
 * attaches the verified identity (`req.account`) to the UltraCart user already signed in, who
 * stays signed in as they were. A POST starts it (CSRF-checked app-wide); the provider sends the
 * browser back to the callback with a GET (`response_mode=query`), which the session cookie
 * (SameSite=Lax) accompanies.
 */
export function oidcVerifyRoutes(ctx: AppContext, passport: PassportInstance, verifyLimit: RequestHandler): Router {
  const router = Router();
  router.post(OIDC_VERIFY_PATH, verifyLimit, requireUser, passport.authorize('ultrapassid'));
  router.get(
    OIDC_CALLBACK_PATH,
    requireUser,
    // No failureMessage: the strategy puts the reason in the failure redirect's query, so the page
    // shows it again on a reload and nothing is written to the session.
    passport.authorize('ultrapassid', { failureRedirect: OIDC_FAILURE_PATH }),
    (req, res, next) => {
      req.session.oidcVerification = (req as { account?: OidcVerification }).account;
      req.session.save((err) => (err ? next(err) : res.set('Cache-Control', 'no-store').redirect(303, '/profile')));
    },
  );
  router.get(OIDC_FAILURE_PATH, (req, res) => {
    const reason = oidcReasonFrom(req.query.reason);
    const verified = req.session.oidcVerification;
    // A reload of the callback that just succeeded finds its state used: the verification stands.
    if (verified && (reason === 'alreadyUsed' || reason === 'noPendingSignIn')) {
      return sendPage(res, 200, alreadyVerifiedPage(verified.verifiedAt, ctx.notice));
    }
    ctx.report('ultrapassid verification refused');
    const { status, body } = oidcFailurePage(reason, ctx.notice);
    sendPage(res, status, body);
  });
  return router;
}
