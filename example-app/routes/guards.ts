import type { RequestHandler } from 'express';
import { currentUser } from '../user.js';

/** The sign-in page's query when the browser's session cookie named a session this instance does not know. */
export const SESSION_NOT_FOUND_QUERY = 'session=not-found';

/**
 * Lets signed-in users through. Others go to the sign-in page, which brings them back here
 * afterwards (for a GET; a POST cannot be replayed, so it goes to the start). A browser whose
 * session cookie this instance does not know loses that cookie on the way, and the sign-in page
 * says why: kept, it could take the browser to another instance that knows the user, which sends
 * it back here, round and round.
 */
export const requireUser: RequestHandler = (req, res, next) => {
  if (currentUser(req)) return next();
  const unknown = res.locals.unknownSession !== undefined;
  if (unknown) res.locals.forgetSessionCookie?.();
  if (req.method === 'GET') {
    const returnTo = `returnTo=${encodeURIComponent(req.originalUrl.split('?')[0] ?? '/')}`;
    return res.redirect(302, `/?${returnTo}${unknown ? `&${SESSION_NOT_FOUND_QUERY}` : ''}`);
  }
  res.redirect(303, unknown ? `/?${SESSION_NOT_FOUND_QUERY}` : '/');
};
