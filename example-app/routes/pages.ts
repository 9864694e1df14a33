import { Router } from 'express';
import { safeReturnTo } from 'passport-ultracart';
import { sendPage, type AppContext } from '../context.js';
import { currentUser } from '../user.js';
import { readVerification } from '../verification.js';
import { profilePage } from '../views/profile.js';
import { signInPage } from '../views/sign-in.js';
import { requireUser } from './guards.js';

/** The sign-in page and the profile page. */
export function pageRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/', (req, res) => {
    const returnTo = safeReturnTo(req.query.returnTo);
    if (currentUser(req)) return res.redirect(302, returnTo ?? '/profile');
    sendPage(
      res,
      200,
      signInPage({
        returnTo,
        sessionNotFound: req.query.session === 'not-found',
        signedOut: req.query.signedOut === '1',
        notice: ctx.notice,
      }),
    );
  });

  router.get('/profile', requireUser, (req, res) => {
    const user = currentUser(req)!;
    sendPage(
      res,
      200,
      profilePage({
        user,
        sessionEndsAt: req.session.endsAt,
        csrfToken: ctx.csrfToken(req, res),
        verification: readVerification(req),
        oidcVerification: req.session.oidcVerification,
        notice: ctx.notice,
      }),
    );
  });

  return router;
}
