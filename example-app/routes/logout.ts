import { Router } from 'express';
import type { UltraCartStrategy } from 'passport-ultracart';
import type { AppContext } from '../context.js';
import { csrfCookieName, csrfCookieOptions, sessionCookieName, sessionCookieOptions } from '../security.js';
import { currentUser } from '../user.js';

/**
 * Sign-out: ask UltraCart to revoke the simple key (waiting briefly), then end the local session
 * whatever UltraCart said, so a slow or failing UltraCart never keeps anyone signed in. A revoke
 * that fails or is slow goes on in the background: the client retries it within its bounds.
 */
export function logoutRoutes(ctx: AppContext, strategy: UltraCartStrategy): Router {
  const router = Router();

  router.post('/logout', async (req, res, next) => {
    const user = currentUser(req);
    if (user) await revokeBriefly(ctx, strategy, user.simpleKey);
    req.logout((logoutErr) => {
      if (logoutErr) return next(logoutErr);
      // logout() regenerated the session; the fresh one is not needed either.
      req.session.destroy((destroyErr) => {
        if (destroyErr) return next(destroyErr);
        res.clearCookie(sessionCookieName(ctx.settings), sessionCookieOptions(ctx.settings));
        // The CSRF token was bound to the session that just ended; its cookie goes with it.
        res.clearCookie(csrfCookieName(ctx.settings), csrfCookieOptions(ctx.settings));
        // The sign-in page then confirms the sign-out.
        res.redirect(303, '/?signedOut=1');
      });
    });
  });

  return router;
}

async function revokeBriefly(ctx: AppContext, strategy: UltraCartStrategy, simpleKey: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ctx.settings.revokeTimeoutMs);
  });
  try {
    // Never rejects: a failure that may pass is retried by the client after this request ends.
    const outcome = await Promise.race([strategy.client.revokeWithRetry(simpleKey), timeout]);
    if (outcome === 'timeout') ctx.report('sign-out: UltraCart revoke is slow; signed out locally, the revoke goes on in the background');
    else if (outcome === 'retrying') ctx.report('sign-out: UltraCart revoke failed; signed out locally, retrying in the background');
    else if (outcome === 'abandoned') ctx.report('sign-out: UltraCart refused the revoke; signed out locally');
  } finally {
    clearTimeout(timer);
  }
}
