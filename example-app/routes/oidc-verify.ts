import { Router, type RequestHandler } from 'express';
import { UltrapassIdFailureMessages, type UltrapassIdFailureReason } from 'passport-ultracart';
import { sendPage, type AppContext } from '../context.js';
import type { OidcVerification, PassportInstance } from '../passport.js';
import { problemPage } from '../views/problem.js';
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

/** The strategy's own sentence for a `?reason=` it put in the failure redirect; nothing else is shown. */
function messageFor(reason: unknown): string | undefined {
  return typeof reason === 'string' && Object.hasOwn(UltrapassIdFailureMessages, reason)
    ? UltrapassIdFailureMessages[reason as UltrapassIdFailureReason]
    : undefined;
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
    const explanation = messageFor(req.query.reason) ?? 'The identity verification did not complete. Start it again from your profile.';
    ctx.report('ultrapassid verification refused');
    // 200, as the UltraCart failure page: the page itself is what the browser asked for.
    sendPage(
      res,
      200,
      problemPage({
        kind: 'oidc-verification-failed',
        title: 'UltrapassId verification did not complete',
        explanation,
        next: { href: '/profile', label: 'Back to your profile', id: 'back-to-profile' },
        notice: ctx.notice,
      }),
    );
  });
  return router;
}
