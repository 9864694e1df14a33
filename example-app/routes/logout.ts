import { Router } from 'express';
import type { UltraCartStrategy } from 'passport-ultracart';
import type { AppContext } from '../context.js';
import { sessionCookieName, sessionCookieOptions } from '../security.js';
import { currentUser } from '../user.js';

/**
 * Sign-out: ask UltraCart to revoke the simple key (best effort, briefly), then end the local
 * session whatever UltraCart said, so a slow or failing UltraCart never keeps anyone signed in.
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
        res.redirect(303, '/');
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
    const outcome = await Promise.race([strategy.client.revokeSession(simpleKey).then(() => 'revoked' as const), timeout]);
    if (outcome === 'timeout') ctx.report('sign-out: UltraCart revoke is slow; signed out locally');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    ctx.report(`sign-out: UltraCart revoke failed (${typeof code === 'string' ? code : 'error'}); signed out locally`);
  } finally {
    clearTimeout(timer);
  }
}
