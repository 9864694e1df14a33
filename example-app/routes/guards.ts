import type { RequestHandler } from 'express';
import { currentUser } from '../user.js';

/**
 * Lets signed-in users through. Others go to the sign-in page, which brings them back here
 * afterwards (for a GET; a POST cannot be replayed, so it goes to the start).
 */
export const requireUser: RequestHandler = (req, res, next) => {
  if (currentUser(req)) return next();
  if (req.method === 'GET') return res.redirect(302, `/?returnTo=${encodeURIComponent(req.originalUrl.split('?')[0] ?? '/')}`);
  res.redirect(303, '/');
};
